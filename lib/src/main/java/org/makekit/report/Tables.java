package org.makekit.report;

import java.util.List;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/** Result tables built with Tablesaw. */
public final class Tables {
    private Tables() {}

    /** Cosine similarities of image rows against text columns (both L2-normalised). */
    public static Table similarity(String title, List<String> rowNames, float[][] rows, List<String> colNames,
                                   float[][] cols) {
        Table t = Table.create(title);
        t.addColumns(StringColumn.create("image", rowNames));
        for (int c = 0; c < cols.length; c++) {
            double[] v = new double[rows.length];
            for (int r = 0; r < rows.length; r++) v[r] = Math.round(dot(rows[r], cols[c]) * 1e4) / 1e4;
            String name = colNames.get(c);
            t.addColumns(DoubleColumn.create(uniqueName(t, shorten(name, 28)), v));
        }
        return t;
    }

    static String uniqueName(Table t, String name) {
        String n = name;
        for (int i = 2; t.columnNames().contains(n); i++) n = name + " #" + i;
        return n;
    }

    public static String shorten(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }

    public static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
