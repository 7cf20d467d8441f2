package org.makekit.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Headless XChart figures written as PNG. */
public final class Plots {
    private Plots() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** Training loss (left axis) and learning rate (right axis) against the step. */
    public static XYChart lossCurve(String title, List<Double> steps, List<Double> loss, List<Double> lr) {
        XYChart c = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step").yAxisTitle("loss").build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        XYSeries l = c.addSeries("loss", steps, loss);
        l.setMarker(SeriesMarkers.NONE);
        XYSeries r = c.addSeries("learning rate", steps, lr);
        r.setMarker(SeriesMarkers.NONE);
        r.setYAxisGroup(1);
        c.setYAxisGroupTitle(1, "learning rate");
        return c;
    }

    /** Several curves against the step (one line each), e.g. the parts of a loss. */
    public static XYChart curves(String title, double[] steps, java.util.Map<String, double[]> series, String yTitle) {
        XYChart c = new XYChartBuilder().width(900).height(450).title(title).xAxisTitle("step").yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        series.forEach((name, y) -> c.addSeries(name, steps, y).setMarker(SeriesMarkers.NONE));
        return c;
    }

    public static void savePng(XYChart chart, Path png) {
        try {
            Files.createDirectories(png.toAbsolutePath().getParent());
            String base = png.toString().replaceFirst("\\.png$", "");
            BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new KitException("cannot write " + png, e);
        }
    }
}
