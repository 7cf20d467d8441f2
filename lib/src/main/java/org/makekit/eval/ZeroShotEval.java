package org.makekit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.data.BatchLoader;
import org.makekit.data.TrainingRow;
import org.makekit.model.ClipModel;
import org.makekit.model.Features;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;
import org.makekit.util.KnowledgeFiles;
import org.makekit.util.Progress;
import org.makekit.util.Tensors;

/**
 * Zero-shot disease classification as the official protocol: a classifier from the class names in
 * the 8 templates, logits 100 * image . classifier, scored on the whole set (top-1, top-5, macro
 * one-vs-rest AUROC of the softmax, balanced accuracy, weighted F1).
 */
public final class ZeroShotEval {
    private ZeroShotEval() {}

    /** Scores of the set; {@code correct} says per labelled image (in row order) whether the top-1 class was right. */
    public record Result(List<String> classes, int n, double top1, double top5, double macroAuroc,
                         double balancedAccuracy, double weightedF1, double chance, boolean[] correct) {
        public Map<String, Object> asMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("images", n);
            m.put("classes", classes.size());
            m.put("top1", top1);
            m.put("top5", top5);
            m.put("macro_auroc", macroAuroc);
            m.put("balanced_accuracy", balancedAccuracy);
            m.put("weighted_f1", weightedF1);
            m.put("chance_top1", chance);
            return m;
        }
    }

    /** The 8 zero-shot templates of MAKE/Derm1M (zero-shot.json). */
    public static List<String> templates() {
        JsonObject z = knowledge("zero-shot.json");
        List<String> t = new ArrayList<>();
        for (var e : z.getAsJsonArray("zero_shot_templates")) t.add(e.getAsString());
        return t;
    }

    /** Class names of a dataset in zero-shot.json (HAM10000, PAD-UFES-20, ...), or null. */
    public static List<String> classnames(String dataset) {
        JsonObject d = knowledge("zero-shot.json").getAsJsonObject("datasets");
        if (!d.has(dataset)) return null;
        List<String> out = new ArrayList<>();
        for (var e : d.getAsJsonObject(dataset).getAsJsonArray("classnames")) out.add(e.getAsString());
        return out;
    }

    public static JsonObject knowledge(String file) {
        return KnowledgeFiles.json(file);
    }

    /** Class order for labelled rows: a known list that contains every label, else the labels sorted. */
    public static List<String> classesFor(List<TrainingRow> rows) {
        java.util.Set<String> labels = new java.util.TreeSet<>();
        for (TrainingRow r : rows) if (!r.label().isEmpty()) labels.add(r.label());
        if (labels.isEmpty()) throw new KitException("no labelled rows to evaluate");
        List<List<String>> known = new ArrayList<>();
        known.add(org.makekit.data.SynthDerm.classnames());
        JsonObject d = knowledge("zero-shot.json").getAsJsonObject("datasets");
        for (String k : d.keySet()) known.add(classnames(k));
        for (List<String> k : known) if (k.containsAll(labels) && k.size() <= labels.size() + 2) return k;
        return new ArrayList<>(labels);
    }

    /**
     * Scores one model on labelled rows (eval transform, whole set).
     *
     * @param classes   class names, in the classifier's column order (each row's label must be one of them to count)
     * @param templates prompt templates with "{}" (or "{c}") for the class name; {@link #templates()} are MAKE's
     */
    public static Result run(ClipModel model, Tokenizer tok, List<TrainingRow> rows, Path imageRoot, List<String> classes,
                             List<String> templates, int batchSize, int workers, boolean showProgress) {
        List<TrainingRow> labelled = rows.stream().filter(r -> classes.contains(r.label())).toList();
        if (labelled.isEmpty()) throw new KitException("no row has one of the classes " + classes);
        if (templates.isEmpty()) throw new KitException("zero-shot classification needs at least one prompt template");
        int size = model.config().vision().imageSize();
        double[][] logits = new double[labelled.size()][];
        int[] labels = new int[labelled.size()];
        try (NDScope scope = new NDScope();
             Progress p = showProgress ? new Progress("zero-shot", labelled.size(), "img") : null) {
            NDArray w = ZeroShotClassifier.build(model, tok, classes, templates);
            try (BatchLoader l = new BatchLoader(labelled, imageRoot, batchSize, size, false, 0, workers, 2)) {
                Iterator<BatchLoader.Batch> it = l.epoch(0, 0);
                int row = 0;
                while (it.hasNext()) {
                    BatchLoader.Batch b = it.next();
                    try (NDScope s = new NDScope()) {
                        NDArray x = Tensors.of(model.manager(), b.pixels(), new Shape(b.size(), 3, size, size), model.dataType());
                        NDArray img = Features.l2normalize(model.encodeImage(x, null).global());
                        double[] flat = Tensors.mul(img.matMul(w), 100).toType(DataType.FLOAT64, false).toDoubleArray();
                        int c = classes.size();
                        for (int i = 0; i < b.size(); i++) {
                            logits[row] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
                            labels[row] = classes.indexOf(b.rows().get(i).label());
                            row++;
                        }
                    }
                    if (p != null) p.step(b.size());
                }
            }
        }
        double[][] probs = Metrics.softmax(logits);
        int c = classes.size();
        return new Result(classes, labelled.size(), Metrics.top1(logits, labels), Metrics.topK(probs, labels, Math.min(5, c)),
                Metrics.macroAuroc(probs, labels, c), Metrics.balancedAccuracy(logits, labels, c),
                Metrics.weightedF1(logits, labels, c), 1.0 / c, correct(logits, labels));
    }

    private static boolean[] correct(double[][] logits, int[] labels) {
        boolean[] ok = new boolean[labels.length];
        for (int i = 0; i < ok.length; i++) ok[i] = Metrics.argmax(logits[i]) == labels[i];
        return ok;
    }
}
