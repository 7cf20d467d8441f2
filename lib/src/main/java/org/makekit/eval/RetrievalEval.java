package org.makekit.eval;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Cross-modal retrieval as the official get_clip_metrics: pair i is (image i, text i); ranks from a
 * stable descending sort; R@k = mean(rank < k) for image-to-text and text-to-image. Similarities are
 * computed one block of queries at a time, so memory stays bounded on large sets.
 */
public final class RetrievalEval {
    private RetrievalEval() {}

    /** The rank (0 = first) of each pair's match, image-to-text and text-to-image. */
    public record Ranks(int[] imageToText, int[] textToImage) {}

    public static Ranks ranks(float[][] images, float[][] texts, int chunk) {
        if (texts.length != images.length) throw new IllegalArgumentException(images.length + " images but " + texts.length + " texts");
        return new Ranks(rankOfMatch(images, texts, chunk), rankOfMatch(texts, images, chunk));
    }

    /**
     * Ranks from a full score matrix, {@code score[i][j]} for image i and text j (ARL's ITM scores): the match of
     * image i is text i; ties go to the lower index, as {@link #ranks(float[][], float[][], int)}.
     */
    public static Ranks ranks(double[][] score) {
        int n = score.length;
        int[] i2t = new int[n];
        int[] t2i = new int[n];
        for (int i = 0; i < n; i++) {
            if (score[i].length != n) throw new IllegalArgumentException("score row " + i + " has " + score[i].length + " texts, not " + n);
            for (int j = 0; j < n; j++) {
                if (score[i][j] > score[i][i] || (score[i][j] == score[i][i] && j < i)) i2t[i]++;
                if (score[j][i] > score[i][i] || (score[j][i] == score[i][i] && j < i)) t2i[i]++;
            }
        }
        return new Ranks(i2t, t2i);
    }

    public static Map<String, Double> run(float[][] images, float[][] texts, int chunk) {
        return metrics(ranks(images, texts, chunk));
    }

    /** R@1/5/10/50/100, mean and median rank both ways, and the pair count. */
    public static Map<String, Double> metrics(Ranks r) {
        int n = r.imageToText().length;
        int[] i2t = r.imageToText();
        int[] t2i = r.textToImage();
        Map<String, Double> out = new LinkedHashMap<>();
        for (int k : new int[] {1, 5, 10, 50, 100}) out.put("image_to_text_R@" + k, Metrics.recallAt(i2t, k));
        out.put("image_to_text_mean_rank", Metrics.meanRank(i2t));
        out.put("image_to_text_median_rank", Metrics.medianRank(i2t));
        for (int k : new int[] {1, 5, 10, 50, 100}) out.put("text_to_image_R@" + k, Metrics.recallAt(t2i, k));
        out.put("text_to_image_mean_rank", Metrics.meanRank(t2i));
        out.put("text_to_image_median_rank", Metrics.medianRank(t2i));
        out.put("pairs", (double) n);
        return out;
    }

    /** Rank of the true match for each query, computing one block of query rows at a time. */
    static int[] rankOfMatch(float[][] queries, float[][] keys, int chunk) {
        int[] out = new int[queries.length];
        for (int s = 0; s < queries.length; s += chunk) {
            int e = Math.min(queries.length, s + chunk);
            for (int i = s; i < e; i++) {
                double t = dot(queries[i], keys[i]);
                int r = 0;
                for (int j = 0; j < keys.length; j++) {
                    double v = dot(queries[i], keys[j]);
                    if (v > t || (v == t && j < i)) r++;
                }
                out[i] = r;
            }
        }
        return out;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }
}
