package org.makekit.train;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.util.AtomicFiles;
import org.makekit.util.KitException;
import org.makekit.util.Plots;

/**
 * A run's per-step metrics, {@code metrics.csv}: one column list, used to write the file, to plot it
 * and to read it back by name (notebooks and tests ask for {@code "loss"}, never for column 2).
 * The loss columns are the objective's parts, so a new objective brings its own columns.
 */
public final class MetricsLog implements AutoCloseable {
    /** Columns before the objective's parts. */
    public static final List<String> HEAD = List.of("step", "epoch", "loss");
    /** Columns after them. */
    public static final List<String> TAIL = List.of("lr", "logit_scale", "images_per_s", "loss_scale", "skipped", "seconds");
    private static final Map<String, String> FORMAT = Map.of("step", "%.0f", "epoch", "%.0f", "lr", "%.8g",
            "logit_scale", "%.5f", "images_per_s", "%.2f", "loss_scale", "%.1f", "skipped", "%.0f", "seconds", "%.3f");

    private final Path file;
    private final List<String> columns;
    private final BufferedWriter out;

    /** The columns of a run whose objective reports {@code parts}. */
    public static List<String> columns(List<String> parts) {
        List<String> c = new ArrayList<>(HEAD);
        c.addAll(parts);
        c.addAll(TAIL);
        return c;
    }

    /**
     * Opens {@code file} for appending after step {@code keepUpTo} (a resumed run rewrites what came after its
     * checkpoint; 0 starts afresh). An existing file with other columns is an error naming both lists.
     */
    public static MetricsLog open(Path file, List<String> columns, long keepUpTo) {
        try {
            List<String> keep = new ArrayList<>();
            if (Files.exists(file) && keepUpTo > 0) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                if (!lines.isEmpty() && !lines.get(0).equals(String.join(",", columns))) {
                    throw new KitException(file + " has columns " + lines.get(0) + ", this run writes " + String.join(",", columns));
                }
                for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
                    if (stepOf(line) > 0 && stepOf(line) <= keepUpTo) keep.add(line);
                }
            }
            keep.add(0, String.join(",", columns));
            AtomicFiles.writeString(file, String.join("\n", keep) + "\n");
            return new MetricsLog(file, columns, Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new KitException("cannot write " + file, e);
        }
    }

    private MetricsLog(Path file, List<String> columns, BufferedWriter out) {
        this.file = file;
        this.columns = List.copyOf(columns);
        this.out = out;
    }

    private static long stepOf(String line) {
        try {
            return Long.parseLong(line.substring(0, Math.max(0, line.indexOf(','))));
        } catch (NumberFormatException e) {
            return -1; // a line cut by a kill
        }
    }

    public List<String> columns() {
        return columns;
    }

    /** Appends one row and flushes it (a kill loses at most the row being written). Missing values stay empty. */
    public void write(Map<String, Double> values) {
        for (String k : values.keySet()) {
            if (!columns.contains(k)) throw new IllegalArgumentException("metrics column '" + k + "' is not in " + columns);
        }
        StringBuilder sb = new StringBuilder();
        for (String c : columns) {
            if (sb.length() > 0) sb.append(',');
            Double v = values.get(c);
            if (v != null) sb.append(String.format(Locale.ROOT, FORMAT.getOrDefault(c, "%.6f"), v));
        }
        try {
            out.write(sb.append('\n').toString());
            out.flush();
        } catch (IOException e) {
            throw new KitException("cannot write " + file, e);
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new KitException("cannot close " + file, e);
        }
    }

    /** The file's columns by name (NaN where a value is empty). */
    public static Map<String, double[]> read(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            if (lines.isEmpty()) throw new KitException(file + " is empty");
            String[] names = lines.get(0).split(",", -1);
            List<String[]> rows = new ArrayList<>();
            for (String l : lines.subList(1, lines.size())) {
                String[] f = l.split(",", -1);
                if (f.length == names.length) rows.add(f); // a row cut by a kill is left out
            }
            Map<String, double[]> out = new LinkedHashMap<>();
            for (int c = 0; c < names.length; c++) {
                double[] v = new double[rows.size()];
                for (int r = 0; r < v.length; r++) {
                    String s = rows.get(r)[c];
                    try {
                        v[r] = s.isEmpty() ? Double.NaN : Double.parseDouble(s);
                    } catch (NumberFormatException e) {
                        throw new KitException(file + ", line " + (r + 2) + ", column '" + names[c] + "': not a number: '" + s + "'");
                    }
                }
                out.put(names[c], v);
            }
            return out;
        } catch (IOException e) {
            throw new KitException("cannot read " + file, e);
        }
    }

    /** Draws loss and learning rate against the step into {@code png} (a warning, not an error, if it fails). */
    public static void plot(Path file, String title, Path png) {
        try {
            Map<String, double[]> m = read(file);
            if (m.get("step").length < 2) return;
            Plots.savePng(Plots.lossCurve(title, box(m.get("step")), box(m.get("loss")), box(m.get("lr"))), png);
        } catch (RuntimeException e) {
            System.err.println("warning: could not draw " + png + ": " + e.getMessage());
        }
    }

    private static List<Double> box(double[] v) {
        List<Double> l = new ArrayList<>(v.length);
        for (double x : v) l.add(x);
        return l;
    }
}
