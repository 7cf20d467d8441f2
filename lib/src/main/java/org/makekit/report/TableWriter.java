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

/**
 * Writes a result table as CSV, markdown and a grouped bar chart (PNG). A score column X may come
 * with siblings "X sd" (spread over seeds) and "X diff", "X diff lo", "X diff hi" (difference from
 * the baseline row and its interval): the CSV keeps them as numbers, the markdown and the printed
 * table show "mean ± sd" and "+diff [lo, hi]", and the chart draws the sd as error bars.
 */
public final class TableWriter {
    private TableWriter() {}

    public static final String SD = " sd";
    public static final String DIFF = " diff";
    public static final String DIFF_LO = " diff lo";
    public static final String DIFF_HI = " diff hi";

    /** Whether a column is a sibling of a score column (its sd or difference). */
    static boolean sibling(Table t, String name) {
        for (String suffix : List.of(DIFF_LO, DIFF_HI, DIFF, SD)) {
            if (name.endsWith(suffix) && t.columnNames().contains(name.substring(0, name.length() - suffix.length()))) return true;
        }
        return false;
    }

    /**
     * The table as people read it: a score with siblings becomes "mean ± sd" (just the mean when sd is
     * missing) and, when it has a difference, a column "X vs baseline [95% CI]" with "+diff [lo, hi]".
     */
    public static Table display(Table t) {
        Table out = Table.create(t.name());
        for (Column<?> c : t.columns()) {
            String n = c.name();
            if (sibling(t, n)) continue;
            boolean hasSd = t.columnNames().contains(n + SD);
            boolean hasDiff = t.columnNames().contains(n + DIFF);
            if (!hasSd && !hasDiff) {
                out.addColumns(c.copy());
                continue;
            }
            tech.tablesaw.api.StringColumn v = tech.tablesaw.api.StringColumn.create(n);
            tech.tablesaw.api.StringColumn d = tech.tablesaw.api.StringColumn.create(n + " vs baseline [95% CI]");
            for (int r = 0; r < t.rowCount(); r++) {
                double mean = num(t, n, r);
                double sd = hasSd ? num(t, n + SD, r) : Double.NaN;
                v.append(Double.isNaN(mean) ? "n/a" : Double.isNaN(sd) ? f(mean) : f(mean) + " ± " + f(sd));
                if (hasDiff) {
                    double diff = num(t, n + DIFF, r);
                    d.append(Double.isNaN(diff) ? "" : String.format(Locale.ROOT, "%+.4f [%+.4f, %+.4f]", diff, num(t, n + DIFF_LO, r),
                            num(t, n + DIFF_HI, r)));
                }
            }
            out.addColumns(v);
            if (hasDiff) out.addColumns(d);
        }
        return out;
    }

    private static double num(Table t, String col, int r) {
        return ((NumericColumn<?>) t.column(col)).getDouble(r);
    }

    private static String f(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static {
        System.setProperty("java.awt.headless", "true");
    }

    public static String markdown(Table table) {
        Table t = display(table);
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
            if (col.type() != ColumnType.DOUBLE || sibling(t, col.name())) continue;
            boolean score = true;
            for (int r = 0; r < t.rowCount(); r++) {
                double v = ((NumericColumn<?>) col).getDouble(r);
                score &= Double.isNaN(v) || (v >= 0 && v <= 1);
            }
            if (score) cols.add(col.name());
        }
        boolean bars = cols.stream().anyMatch(col -> t.columnNames().contains(col + SD));
        for (int r = 0; r < t.rowCount(); r++) {
            List<Double> ys = new ArrayList<>();
            List<Double> err = new ArrayList<>();
            for (String col : cols) {
                double v = num(t, col, r);
                ys.add(Double.isNaN(v) ? 0 : v); // no graph: Java lists of chart values
                double e = t.columnNames().contains(col + SD) ? num(t, col + SD, r) : Double.NaN;
                err.add(Double.isNaN(e) ? 0 : e); // no graph: Java lists of chart values
            }
            String name = String.valueOf(t.column(labelColumn).get(r)) + " #" + (r + 1);
            if (bars) c.addSeries(name, cols, ys, err); else c.addSeries(name, cols, ys);
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
