package org.makekit.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.makekit.util.KitException;
import tech.tablesaw.api.ColumnType;
import tech.tablesaw.api.NumericColumn;
import tech.tablesaw.api.Table;
import tech.tablesaw.columns.Column;

/** Writes a result table as CSV, markdown and a grouped bar chart (PNG). */
public final class TableWriter {
    private TableWriter() {}

    static {
        System.setProperty("java.awt.headless", "true");
    }

    public static String markdown(Table t) {
        StringBuilder sb = new StringBuilder("| ");
        for (String c : t.columnNames()) sb.append(c).append(" | ");
        sb.append("\n|");
        for (int i = 0; i < t.columnCount(); i++) sb.append(" --- |");
        sb.append('\n');
        for (int r = 0; r < t.rowCount(); r++) {
            sb.append("| ");
            for (Column<?> c : t.columns()) {
                Object v = c.get(r);
                sb.append(v instanceof Double d ? (Double.isNaN(d) ? "n/a" : String.format(Locale.ROOT, "%.4f", d)) : String.valueOf(v)).append(" | ");
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /**
     * A bar chart of the score columns (numeric, every value within [0, 1]; timings and counts are
     * left out), one group per column, one series per row.
     */
    public static CategoryChart chart(Table t, String labelColumn) {
        CategoryChart c = new CategoryChartBuilder().width(1000).height(520).title(t.name()).yAxisTitle("score").build();
        List<String> cols = new ArrayList<>();
        for (Column<?> col : t.columns()) {
            if (col.type() != ColumnType.DOUBLE) continue;
            boolean score = true;
            for (int r = 0; r < t.rowCount(); r++) {
                double v = ((NumericColumn<?>) col).getDouble(r);
                score &= Double.isNaN(v) || (v >= 0 && v <= 1);
            }
            if (score) cols.add(col.name());
        }
        for (int r = 0; r < t.rowCount(); r++) {
            List<Double> ys = new ArrayList<>();
            for (String col : cols) {
                double v = ((NumericColumn<?>) t.column(col)).getDouble(r);
                ys.add(Double.isNaN(v) ? 0 : v);
            }
            c.addSeries(String.valueOf(t.column(labelColumn).get(r)) + " #" + (r + 1), cols, ys);
        }
        return c;
    }

    public static void write(Table t, Path dir, String base, String labelColumn) {
        try {
            Files.createDirectories(dir);
            t.write().csv(dir.resolve(base + ".csv").toString());
            Files.writeString(dir.resolve(base + ".md"), "# " + t.name() + "\n\n" + markdown(t));
            BitmapEncoder.saveBitmap(chart(t, labelColumn), dir.resolve(base).toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new KitException("cannot write " + dir.resolve(base), e);
        }
    }
}
