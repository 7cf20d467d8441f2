package org.makekit.eval;

/**
 * MONET's concept presence score, as MAKE's concept annotation computes it: for each template t,
 * the image's mean cosine with the concept's synonym prompts (a_t) and its cosine with the
 * template's reference prompt (r_t); p_t = softmax([a_t, r_t] * e^4.5944)[0]; the score is the mean
 * of p_t over templates. Synonyms are averaged before the softmax, templates after it.
 */
public final class ConceptScore {
    private ConceptScore() {}

    public static final double LOG_SCALE = 4.5944;

    /**
     * @param image  (D) unit image embedding
     * @param target [T][S][D] unit embeddings of (template, synonym) prompts
     * @param ref    [T][D] unit embeddings of the reference prompts
     */
    public static double presence(double[] image, double[][][] target, double[][] ref) {
        double scale = Math.exp(LOG_SCALE);
        double sum = 0;
        for (int t = 0; t < target.length; t++) {
            double a = 0;
            for (double[] syn : target[t]) a += dot(syn, image);
            a /= target[t].length;
            double r = dot(ref[t], image);
            // softmax over the pair, target entry: 1 / (1 + exp(scale * (r - a)))
            sum += 1.0 / (1.0 + Math.exp(scale * (r - a)));
        }
        return sum / target.length;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
