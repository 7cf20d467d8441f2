package org.makekit.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.makekit.knowledge.KnowledgeGraph;
import org.makekit.knowledge.TransE;

/**
 * One entity's neighbourhood in the knowledge graph beside its TransE neighbours: the entity, its graph neighbours
 * (parent and children) and its nearest TransE embeddings, placed by the first two principal components of their
 * normalised TransE embeddings (one marker per entity, named in the legend).
 */
public final class KnowledgePlot {
    private KnowledgePlot() {}

    /** What the plot shows: the entity, its graph neighbours and its TransE nearest, by name. */
    public record Neighbourhood(String entity, List<String> graph, List<String> transE) {}

    public static Neighbourhood neighbourhood(KnowledgeGraph g, TransE t, int entity, int k) {
        List<String> graph = g.neighbours(entity).stream().map(g.entities()::get).toList();
        List<String> near = new ArrayList<>();
        for (int j : t.nearest(entity, k)) near.add(g.entities().get(j));
        return new Neighbourhood(g.entities().get(entity), graph, near);
    }

    public static XYChart chart(KnowledgeGraph g, TransE t, int entity, int k) {
        Neighbourhood n = neighbourhood(g, t, entity, k);
        Map<Integer, String> group = new LinkedHashMap<>();
        group.put(entity, "entity");
        for (int j : g.neighbours(entity)) group.putIfAbsent(j, "graph");
        for (int j : t.nearest(entity, k)) group.merge(j, "TransE", (a, b) -> a + "+" + b);
        List<Integer> ids = new ArrayList<>(group.keySet());
        double[][] x = new double[ids.size()][];
        for (int i = 0; i < ids.size(); i++) x[i] = unit(t.entity()[ids.get(i)]);
        double[][] xy = pca2(x);
        XYChart c = new XYChartBuilder().width(900).height(560)
                .title("'" + n.entity() + "': ontology neighbours and TransE nearest " + k + " (PCA of the embeddings)")
                .xAxisTitle("PC 1").yAxisTitle("PC 2").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        c.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        c.getStyler().setMarkerSize(12);
        for (int i = 0; i < ids.size(); i++) {
            String gr = group.get(ids.get(i));
            String name = "[" + gr + "] " + Tables.shorten(g.entities().get(ids.get(i)), 40);
            XYSeries s = c.addSeries(name, new double[] {xy[i][0]}, new double[] {xy[i][1]});
            s.setMarker(gr.equals("entity") ? SeriesMarkers.DIAMOND : gr.startsWith("graph") ? (gr.contains("TransE")
                    ? SeriesMarkers.SQUARE : SeriesMarkers.CIRCLE) : SeriesMarkers.TRIANGLE_UP);
        }
        return c;
    }

    private static double[] unit(double[] v) {
        double s = 0;
        for (double a : v) s += a * a;
        double n = Math.max(Math.sqrt(s), 1e-12);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] / n;
        return out;
    }

    /** Rows projected on the first two principal components (power iteration with deflation). */
    static double[][] pca2(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        for (double[] r : x) for (int j = 0; j < d; j++) mean[j] += r[j] / n;
        double[][] c = new double[n][d];
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) c[i][j] = x[i][j] - mean[j];
        double[][] out = new double[n][2];
        for (int comp = 0; comp < 2; comp++) {
            double[] v = new double[d];
            for (int j = 0; j < d; j++) v[j] = 1.0 / (j + 1);
            for (int it = 0; it < 200; it++) {
                double[] w = new double[d];
                for (double[] r : c) {
                    double p = 0;
                    for (int j = 0; j < d; j++) p += r[j] * v[j];
                    for (int j = 0; j < d; j++) w[j] += p * r[j];
                }
                double s = 0;
                for (double a : w) s += a * a;
                s = Math.sqrt(s);
                if (s < 1e-15) break;
                for (int j = 0; j < d; j++) v[j] = w[j] / s;
            }
            for (int i = 0; i < n; i++) {
                double p = 0;
                for (int j = 0; j < d; j++) p += c[i][j] * v[j];
                out[i][comp] = p;
                for (int j = 0; j < d; j++) c[i][j] -= p * v[j];
            }
        }
        return out;
    }
}
