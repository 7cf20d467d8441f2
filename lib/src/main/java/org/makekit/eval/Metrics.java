package org.makekit.eval;

import java.util.Arrays;

/**
 * Evaluation metrics with the conventions of the official scripts (scikit-learn 1.2 and torch):
 * AUROC counts tied scores as 1/2; top-1 takes the lowest class index among tied maxima; top-k
 * follows sklearn's top_k_accuracy_score (ascending stable sort, reversed: among equal scores the
 * higher class index ranks first); retrieval ranks use a stable descending sort (lower index first).
 */
public final class Metrics {
    private Metrics() {}

    /** Binary AUROC (Mann-Whitney with average ranks); NaN when a class is absent. */
    public static double auroc(double[] scores, boolean[] positive) {
        int n = scores.length;
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(scores[a], scores[b]));
        double[] rank = new double[n];
        for (int i = 0; i < n; ) {
            int j = i;
            while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int t = i; t <= j; t++) rank[idx[t]] = avg;
            i = j + 1;
        }
        long pos = 0;
        double sum = 0;
        for (int i = 0; i < n; i++) {
            if (positive[i]) {
                pos++;
                sum += rank[i];
            }
        }
        long neg = n - pos;
        if (pos == 0 || neg == 0) return Double.NaN;
        return (sum - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    }

    /** Per-class one-vs-rest AUROC of scores (N x C). */
    public static double[] aurocPerClass(double[][] scores, int[] labels, int classes) {
        double[] out = new double[classes];
        for (int c = 0; c < classes; c++) {
            double[] s = new double[scores.length];
            boolean[] p = new boolean[scores.length];
            for (int i = 0; i < scores.length; i++) {
                s[i] = scores[i][c];
                p[i] = labels[i] == c;
            }
            out[c] = auroc(s, p);
        }
        return out;
    }

    /** Macro one-vs-rest AUROC over the classes that have positives and negatives. */
    public static double macroAuroc(double[][] scores, int[] labels, int classes) {
        double sum = 0;
        int n = 0;
        for (double a : aurocPerClass(scores, labels, classes)) {
            if (!Double.isNaN(a)) {
                sum += a;
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    /** argmax with the lowest index among ties (numpy/sklearn). */
    public static int argmax(double[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    public static double top1(double[][] scores, int[] labels) {
        int hit = 0;
        for (int i = 0; i < scores.length; i++) if (argmax(scores[i]) == labels[i]) hit++;
        return (double) hit / scores.length;
    }

    /** Whether label is in the top k of row, by sklearn's rule. */
    public static boolean inTopK(double[] row, int label, int k) {
        int c = row.length;
        if (k >= c) return true;
        Integer[] idx = new Integer[c];
        for (int i = 0; i < c; i++) idx[i] = i;
        Arrays.sort(idx, (a, b) -> Double.compare(row[a], row[b])); // stable ascending
        for (int t = c - 1; t >= c - k; t--) if (idx[t] == label) return true;
        return false;
    }

    public static double topK(double[][] scores, int[] labels, int k) {
        int hit = 0;
        for (int i = 0; i < scores.length; i++) if (inTopK(scores[i], labels[i], k)) hit++;
        return (double) hit / scores.length;
    }

    /** sklearn f1_score(average='weighted') of argmax predictions. */
    public static double weightedF1(double[][] scores, int[] labels, int classes) {
        int[] tp = new int[classes];
        int[] fp = new int[classes];
        int[] fn = new int[classes];
        int[] support = new int[classes];
        for (int i = 0; i < scores.length; i++) {
            int p = argmax(scores[i]);
            support[labels[i]]++;
            if (p == labels[i]) {
                tp[p]++;
            } else {
                fp[p]++;
                fn[labels[i]]++;
            }
        }
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            double denom = 2.0 * tp[c] + fp[c] + fn[c];
            double f1 = denom == 0 ? 0 : 2.0 * tp[c] / denom;
            sum += f1 * support[c];
        }
        return sum / scores.length;
    }

    /** Mean of per-class recall (balanced accuracy) of argmax predictions, over classes present. */
    public static double balancedAccuracy(double[][] scores, int[] labels, int classes) {
        int[] hit = new int[classes];
        int[] n = new int[classes];
        for (int i = 0; i < scores.length; i++) {
            n[labels[i]]++;
            if (argmax(scores[i]) == labels[i]) hit[labels[i]]++;
        }
        double sum = 0;
        int present = 0;
        for (int c = 0; c < classes; c++) {
            if (n[c] > 0) {
                sum += (double) hit[c] / n[c];
                present++;
            }
        }
        return sum / present;
    }

    /** Row-wise softmax of logits. */
    public static double[][] softmax(double[][] logits) {
        double[][] out = new double[logits.length][];
        for (int i = 0; i < logits.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double v : logits[i]) max = Math.max(max, v);
            double sum = 0;
            out[i] = new double[logits[i].length];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = Math.exp(logits[i][j] - max);
                sum += out[i][j];
            }
            for (int j = 0; j < out[i].length; j++) out[i][j] /= sum;
        }
        return out;
    }

    /**
     * 0-based rank of the true match in each query row of a similarity matrix whose diagonal holds
     * the matches: a stable descending sort, so among equal scores the lower index ranks first.
     */
    public static int[] ranks(double[][] sim) {
        int[] out = new int[sim.length];
        for (int i = 0; i < sim.length; i++) {
            double t = sim[i][i];
            int r = 0;
            for (int j = 0; j < sim[i].length; j++) {
                if (sim[i][j] > t || (sim[i][j] == t && j < i)) r++;
            }
            out[i] = r;
        }
        return out;
    }

    /** R@k = mean(rank0 < k). */
    public static double recallAt(int[] ranks0, int k) {
        int hit = 0;
        for (int r : ranks0) if (r < k) hit++;
        return (double) hit / ranks0.length;
    }

    public static double meanRank(int[] ranks0) {
        double s = 0;
        for (int r : ranks0) s += r;
        return s / ranks0.length + 1;
    }

    /** floor(median(rank0)) + 1, the median of an even count being the mean of the middle two. */
    public static double medianRank(int[] ranks0) {
        int[] s = ranks0.clone();
        Arrays.sort(s);
        int n = s.length;
        double med = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
        return Math.floor(med) + 1;
    }
}
