package org.makekit.util;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress bar for long work: done/total, throughput and ETA, plus any extra fields (loss, lr).
 * On a terminal it redraws one line; in logs and notebooks it prints a line at most every
 * {@code intervalSeconds}, and always the last one.
 */
public final class Progress implements AutoCloseable {
    private final String label;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private final double intervalSeconds;
    private long done;
    private long base;
    private long lastPrint;
    private String extra = "";
    private boolean closed;

    public Progress(String label, long total, String unit) {
        this(label, total, unit, System.err, System.console() != null, 5.0);
    }

    public Progress(String label, long total, String unit, PrintStream out, boolean terminal, double intervalSeconds) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.out = out;
        this.terminal = terminal;
        this.intervalSeconds = intervalSeconds;
    }

    /** Sets the extra text shown after the rate (e.g. "loss 2.31"). */
    public Progress extra(String text) {
        this.extra = text;
        return this;
    }

    /**
     * Starts the bar at {@code n} already done (a resumed run): the position shows them, the rate and
     * the ETA count only the work done from here on.
     */
    public Progress resumeAt(long n) {
        done = n;
        base = n;
        return this;
    }

    public void step(long n) {
        done += n;
        long now = System.nanoTime();
        boolean last = done >= total;
        double minGap = terminal ? 0.1 : intervalSeconds;
        if (last || (now - lastPrint) / 1e9 >= minGap) {
            lastPrint = now;
            print(last);
        }
    }

    /** Rate so far, units per second. */
    public double rate() {
        double secs = (System.nanoTime() - start) / 1e9;
        return secs > 0 ? (done - base) / secs : 0;
    }

    public double elapsedSeconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    public String line() {
        double secs = elapsedSeconds();
        double rate = rate();
        int width = 24;
        int filled = total > 0 ? (int) Math.min(width, width * done / total) : 0;
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        String eta = rate > 0 && total > done ? clock((total - done) / rate) : "--:--";
        return String.format(Locale.ROOT, "%-16s [%s] %d/%d  %.1f %s/s  elapsed %s  ETA %s%s", label, bar, done, total,
                rate, unit, clock(secs), done >= total ? "0:00" : eta, extra.isEmpty() ? "" : "  " + extra);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    private void print(boolean last) {
        if (terminal) {
            out.print("\r" + line() + (last ? "\n" : ""));
        } else {
            out.println(line());
        }
        out.flush();
    }

    @Override
    public void close() {
        if (!closed && done < total && terminal) out.println();
        closed = true;
    }
}
