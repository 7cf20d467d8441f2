package org.makekit.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.makekit.util.KitException;

/**
 * Spread over seeds and the paired bootstrap over test images, for the paper tables.
 *
 * <p>A metric is kept per image ({@link Metric}), so it can be recomputed on a resample of the test
 * images given as multiplicities (how often each image was drawn). A row's difference from the
 * baseline is paired twice: seed s of the row against seed s of the baseline, and both scored on
 * the same resample. The interval is the percentile interval (2.5% and 97.5%, linear interpolation
 * between order statistics) of the difference averaged over seeds, over {@code reps} resamples.
 */
public final class Bootstrap {
    private Bootstrap() {}

    /** A metric over N test images, computable on any weighting of them (null weights: each image once). */
    public interface Metric {
        int size();

        double on(double[] weights);

        default double value() {
            return on(null);
        }
    }

    /** Mean and sample standard deviation (n - 1; NaN for fewer than two values) of per-seed values. */
    public record MeanSd(double mean, double sd, int n) {}

    /** A difference and its 95% interval. */
    public record Interval(double diff, double lo, double hi, int reps) {
        /** Whether the interval excludes zero. */
        public boolean resolved() {
            return lo > 0 || hi < 0;
        }
    }

    public static MeanSd meanSd(double[] values) {
        int n = values.length;
        if (n == 0) return new MeanSd(Double.NaN, Double.NaN, 0);
        double mean = 0;
        for (double v : values) mean += v;
        mean /= n;
        if (n < 2) return new MeanSd(mean, Double.NaN, n);
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        return new MeanSd(mean, Math.sqrt(ss / (n - 1)), n);
    }

    /** Share of images answered right (top-1 accuracy), from per-image correctness. */
    public static Metric accuracy(boolean[] correct) {
        return new Metric() {
            public int size() {
                return correct.length;
            }

            public double on(double[] w) {
                double num = 0;
                double den = 0;
                for (int i = 0; i < correct.length; i++) {
                    double wi = w == null ? 1 : w[i];
                    den += wi;
                    if (correct[i]) num += wi;
                }
                return den == 0 ? Double.NaN : num / den;
            }
        };
    }

    /** Recall@k from the rank (0 = first) of each query's match; the gallery stays the whole test set. */
    public static Metric recallAt(int[] ranks, int k) {
        boolean[] hit = new boolean[ranks.length];
        for (int i = 0; i < ranks.length; i++) hit[i] = ranks[i] < k;
        return accuracy(hit);
    }

    /** The mean of several metrics over the same images (Table 2's average of six recalls). */
    public static Metric average(List<Metric> parts) {
        return new Metric() {
            public int size() {
                return parts.get(0).size();
            }

            public double on(double[] w) {
                double s = 0;
                for (Metric m : parts) s += m.on(w);
                return s / parts.size();
            }
        };
    }

    /**
     * Mean AUROC over concepts (scores and labels per concept, same image order). On a resample a
     * concept that lost all its positives or negatives is left out of that resample's mean.
     */
    public static Metric meanAuroc(Map<String, double[]> scores, Map<String, boolean[]> labels) {
        List<Metric> per = new ArrayList<>();
        for (String c : scores.keySet()) per.add(auroc(scores.get(c), labels.get(c)));
        return new Metric() {
            public int size() {
                return per.isEmpty() ? 0 : per.get(0).size();
            }

            public double on(double[] w) {
                double s = 0;
                int n = 0;
                for (Metric m : per) {
                    double a = m.on(w);
                    if (!Double.isNaN(a)) {
                        s += a;
                        n++;
                    }
                }
                return n == 0 ? Double.NaN : s / n;
            }
        };
    }

    /**
     * AUROC with image weights: the weighted share of (positive, negative) pairs the score orders
     * right, ties counting half. With unit weights it is the usual AUROC ({@link Metrics#auroc}).
     * One pass over the images sorted once by score.
     */
    public static Metric auroc(double[] scores, boolean[] positive) {
        if (scores.length != positive.length) throw new KitException(scores.length + " scores but " + positive.length + " labels");
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
        return new Metric() {
            public int size() {
                return scores.length;
            }

            public double on(double[] w) {
                double negBelow = 0;
                double pairs = 0;
                double posTotal = 0;
                int i = 0;
                while (i < order.length) {
                    int j = i;
                    double pos = 0;
                    double neg = 0;
                    while (j < order.length && scores[order[j]] == scores[order[i]]) {
                        double wi = w == null ? 1 : w[order[j]];
                        if (positive[order[j]]) pos += wi; else neg += wi;
                        j++;
                    }
                    pairs += pos * (negBelow + 0.5 * neg);
                    negBelow += neg;
                    posTotal += pos;
                    i = j;
                }
                double den = posTotal * negBelow;
                return den == 0 ? Double.NaN : pairs / den;
            }
        };
    }

    /**
     * The paired difference (row minus baseline), averaged over seeds, and its bootstrap interval.
     * {@code row.get(s)} and {@code baseline.get(s)} are seed s; all metrics cover the same images.
     */
    public static Interval paired(List<Metric> row, List<Metric> baseline, int reps, long seed) {
        if (row.size() != baseline.size() || row.isEmpty()) {
            throw new KitException("paired bootstrap: " + row.size() + " seeds against " + baseline.size() + " for the baseline");
        }
        int n = row.get(0).size();
        for (Metric m : row) if (m.size() != n) throw new KitException("paired bootstrap: metrics over different image counts");
        for (Metric m : baseline) if (m.size() != n) throw new KitException("paired bootstrap: metrics over different image counts");
        double diff = meanDiff(row, baseline, null);
        double[] reps0 = new double[reps];
        SplittableRandom rng = new SplittableRandom(seed);
        double[] w = new double[n];
        for (int b = 0; b < reps; b++) {
            Arrays.fill(w, 0);
            for (int i = 0; i < n; i++) w[rng.nextInt(n)] += 1;
            reps0[b] = meanDiff(row, baseline, w);
        }
        return percentile(diff, reps0);
    }

    /** The interval of given replicate values around {@code diff}: their 2.5% and 97.5% quantiles. */
    public static Interval percentile(double diff, double[] replicates) {
        double[] s = Arrays.stream(replicates).filter(v -> !Double.isNaN(v)).sorted().toArray();
        return new Interval(diff, quantile(s, 0.025), quantile(s, 0.975), replicates.length);
    }

    /** The q-quantile of sorted values, interpolating linearly between order statistics (R's type 7). */
    public static double quantile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    private static double meanDiff(List<Metric> row, List<Metric> baseline, double[] w) {
        double s = 0;
        for (int k = 0; k < row.size(); k++) s += row.get(k).on(w) - baseline.get(k).on(w);
        return s / row.size();
    }
}
