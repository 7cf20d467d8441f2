package org.makekit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.model.ClipModel;
import org.makekit.text.Tokenizer;

/**
 * Zero-shot concept annotation as MONET and MAKE do it: each concept's synonym terms in the 6
 * concept templates against the 6 reference prompts, scored per image with {@link ConceptScore},
 * AUROC per concept, then the mean. Concepts with too few positives (or negatives) are reported
 * and left out, never silently.
 */
public final class ConceptEval {
    private ConceptEval() {}

    /** Per scored concept its AUROC, and the per-image scores and labels it came from (for the bootstrap). */
    public record Result(Map<String, Double> auroc, Map<String, String> excluded, double mean, int images,
                         Map<String, double[]> scores, Map<String, boolean[]> labels) {}

    public static List<String> templates() {
        List<String> t = new ArrayList<>();
        for (var e : ZeroShotEval.knowledge("zero-shot.json").getAsJsonArray("concept_templates")) t.add(e.getAsString());
        return t;
    }

    public static List<String> referencePrompts() {
        List<String> t = new ArrayList<>();
        for (var e : ZeroShotEval.knowledge("zero-shot.json").getAsJsonArray("concept_reference_prompts")) t.add(e.getAsString());
        return t;
    }

    /**
     * @param images     unit image embeddings (N, D) as float rows
     * @param labels     per concept, whether each image shows it
     * @param minPositive concepts with fewer positives (or negatives) are excluded and named
     */
    public static Result run(ClipModel model, Tokenizer tok, ConceptLexicon lexicon, float[][] images,
                             Map<String, boolean[]> labels, int minPositive) {
        List<String> templates = templates();
        List<String> refs = referencePrompts();
        double[][] ref = embed(model, tok, refs);
        Map<String, Double> auroc = new LinkedHashMap<>();
        Map<String, String> excluded = new LinkedHashMap<>();
        Map<String, double[]> kept = new LinkedHashMap<>();
        Map<String, boolean[]> keptLabels = new LinkedHashMap<>();
        double sum = 0;
        for (Map.Entry<String, boolean[]> e : labels.entrySet()) {
            String concept = e.getKey();
            boolean[] pos = e.getValue();
            int p = 0;
            for (boolean b : pos) if (b) p++;
            List<String> terms = lexicon.terms().get(concept);
            if (terms == null) {
                excluded.put(concept, "not in the concept lexicon");
                continue;
            }
            if (p < minPositive || pos.length - p < minPositive) {
                excluded.put(concept, p + " positives of " + pos.length + " (fewer than " + minPositive + " on a side)");
                continue;
            }
            double[][][] target = new double[templates.size()][][];
            for (int t = 0; t < templates.size(); t++) {
                List<String> prompts = new ArrayList<>();
                for (String term : terms) prompts.add(templates.get(t).replace("{}", term));
                target[t] = embed(model, tok, prompts);
            }
            double[] scores = new double[images.length];
            for (int i = 0; i < images.length; i++) {
                double[] img = new double[images[i].length];
                for (int d = 0; d < img.length; d++) img[d] = images[i][d];
                scores[i] = ConceptScore.presence(img, target, ref);
            }
            double a = Metrics.auroc(scores, pos);
            auroc.put(concept, a);
            kept.put(concept, scores);
            keptLabels.put(concept, pos);
            sum += a;
        }
        return new Result(auroc, excluded, auroc.isEmpty() ? Double.NaN : sum / auroc.size(), images.length, kept, keptLabels);
    }

    static double[][] embed(ClipModel model, Tokenizer tok, List<String> texts) {
        try (NDScope s = new NDScope()) {
            NDArray f = Embedder.textFeatures(model, tok, texts, texts.size()).toType(DataType.FLOAT64, false);
            double[] flat = f.toDoubleArray();
            int d = flat.length / texts.size();
            double[][] out = new double[texts.size()][];
            for (int i = 0; i < out.length; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
            return out;
        }
    }
}
