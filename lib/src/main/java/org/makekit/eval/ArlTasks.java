package org.makekit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.makekit.data.BatchLoader;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.EntityLinker;
import org.makekit.model.ArlModel;
import org.makekit.model.ClipModel;
import org.makekit.text.Tokenizer;
import org.makekit.train.ArlInputs;
import org.makekit.train.ArlStep;
import org.makekit.util.KitException;
import org.makekit.util.Progress;

/**
 * The downstream tasks of ARL's paper in miniature, for an ARL model and a CLIP model of the same towers:
 * image-text retrieval (ARL: every pair scored by the ITM head, as ARL's zero-shot ROCO retrieval; CLIP: cosine
 * similarity), classification (a linear head on frozen features: ARL's fused [text; image] pooled feature of the
 * image with a diagnosis-free prompt; CLIP's image embedding) and closed visual question answering on SynthDerm's
 * ground truth ("what is the diagnosis?", "is there crust?"; ARL's VQA head on the fused feature of image and
 * question; CLIP: the same head on [image; question; image x question] embeddings).
 *
 * <p>Kit's choices, not ARL's: the backbones stay frozen (ARL fine-tunes them); the heads are trained full-batch
 * with cross-entropy (ARL's VQA uses BCE over soft answer scores; here every question has one answer).
 */
public final class ArlTasks {
    private ArlTasks() {}

    /** The prompt the classification feature is computed with: names no diagnosis. */
    public static final String NEUTRAL_PROMPT = "A close-up photo of a skin lesion.";

    /** A split of a metadata folder: rows (image, caption, label) and their preprocessed pixels. */
    public record Split(List<TrainingRow> rows, float[] pixels, int imageSize) {
        public int size() {
            return rows.size();
        }

        public float[] pixels(int from, int n) {
            int per = 3 * imageSize * imageSize;
            return Arrays.copyOfRange(pixels, from * per, (from + n) * per);
        }

        public Split first(int n) {
            int k = Math.min(n, rows.size());
            return new Split(rows.subList(0, k), pixels(0, k), imageSize);
        }
    }

    /** The rows of {@code split} in a metadata CSV (image, caption, label), their images decoded at {@code imageSize}. */
    public static Split load(Path metadata, String split, int imageSize) {
        List<TrainingRow> rows = EvalData.read(metadata, split, "image", "label", "caption");
        if (rows.isEmpty()) throw new KitException(metadata + " has no rows in split '" + split + "'");
        int per = 3 * imageSize * imageSize;
        float[] pixels = new float[rows.size() * per];
        try (BatchLoader l = new BatchLoader(rows, metadata.toAbsolutePath().getParent(), 64, imageSize, false, 0, 2, 2)) {
            Iterator<BatchLoader.Batch> it = l.epoch(0, 0);
            while (it.hasNext()) {
                BatchLoader.Batch b = it.next();
                for (int k = 0; k < b.size(); k++) System.arraycopy(b.pixels(), k * per, pixels, b.indices()[k] * per, per);
            }
        }
        return new Split(rows, pixels, imageSize);
    }

    // ------------------------------------------------------------------ ARL features

    /** The fused pooled feature (2d) of each image with its text (texts.get(i)); knowledge from the linked entities. */
    public static float[][] fused(ArlModel model, ArlInputs in, Split s, List<String> texts, int batch, String label) {
        float[][] out = new float[s.size()][];
        try (NDScope outer = new NDScope(); Progress p = label == null ? null : new Progress(label, s.size(), "pair")) {
            NDArray entities = model.gat(null); // no dropout in evaluation: the same for every batch
            for (int from = 0; from < s.size(); from += batch) {
                int n = Math.min(batch, s.size() - from);
                try (NDScope scope = new NDScope()) {
                    NDArray image = model.encodeImage(ArlStep.images(model, s.pixels(from, n), n), null);
                    NDArray pooled = fuse(model, in, entities, image, texts.subList(from, from + n)).pooled();
                    copyRows(pooled, out, from);
                }
                if (p != null) p.step(n);
            }
        }
        return out;
    }

    private static ArlModel.Fused fuse(ArlModel model, ArlInputs in, NDArray entities, NDArray image, List<String> texts) {
        int n = texts.size();
        long[][] ids = new long[n][];
        int[][] ent = new int[n][];
        double[][][] pos = new double[n][][];
        for (int i = 0; i < n; i++) {
            ArlInputs.Encoded e = in.encoded(texts.get(i));
            ids[i] = e.ids();
            ArlInputs.Linked l = in.link(e.mentions(), null);
            ent[i] = l.ids();
            pos[i] = l.positions();
        }
        return model.fuse(model.encodeText(ids, null), model.keyMask(ids), image, model.knowledge(entities, ent, pos), -1);
    }

    private static void copyRows(NDArray x, float[][] out, int from) {
        float[] flat = x.toType(DataType.FLOAT32, false).toFloatArray();
        int n = (int) x.getShape().get(0);
        int d = flat.length / n;
        for (int i = 0; i < n; i++) out[from + i] = Arrays.copyOfRange(flat, i * d, (i + 1) * d);
    }

    /**
     * ITM match probabilities of every image with every text (N x N): the image tokens and the texts are encoded
     * once; each image's tokens are fused with all texts, {@code batch} at a time.
     */
    public static double[][] itmScores(ArlModel model, ArlInputs in, Split s, List<String> texts, int batch, boolean showProgress) {
        int n = s.size();
        double[][] score = new double[n][n];
        try (NDScope outer = new NDScope(); Progress p = showProgress ? new Progress("ITM scores", (long) n * n, "pair") : null) {
            NDArray entities = model.gat(null);
            List<NDArray> parts = new ArrayList<>();
            for (int from = 0; from < n; from += batch) {
                int k = Math.min(batch, n - from);
                parts.add(model.encodeImage(ArlStep.images(model, s.pixels(from, k), k), null));
            }
            NDArray images = NDArrays.concat(new ai.djl.ndarray.NDList(parts), 0);
            for (int i = 0; i < n; i++) {
                for (int from = 0; from < n; from += batch) {
                    int k = Math.min(batch, n - from);
                    try (NDScope scope = new NDScope()) {
                        int[] which = new int[k];
                        Arrays.fill(which, i);
                        NDArray img = ArlStep.rows(images, which);
                        NDArray prob = model.itmLogits(fuse(model, in, entities, img, texts.subList(from, from + k)).pooled()).softmax(-1);
                        float[] v = prob.get(":, 1").toType(DataType.FLOAT32, false).toFloatArray();
                        for (int j = 0; j < k; j++) score[i][from + j] = v[j];
                    }
                    if (p != null) p.step(k);
                }
            }
        }
        return score;
    }

    // ------------------------------------------------------------------ CLIP features

    /** CLIP's normalised image embeddings of a split. */
    public static float[][] clipImages(ClipModel model, Split s, int batch) {
        Embedder e = new Embedder(model, Tokenizer.forConfig(model.config()), batch);
        float[][] out = new float[s.size()][];
        for (int from = 0; from < s.size(); from += batch) {
            int n = Math.min(batch, s.size() - from);
            System.arraycopy(e.pixels(s.pixels(from, n), n), 0, out, from, n);
        }
        return out;
    }

    public static float[][] clipTexts(ClipModel model, List<String> texts, int batch) {
        return new Embedder(model, Tokenizer.forConfig(model.config()), batch).texts(texts, false);
    }

    // ------------------------------------------------------------------ tasks

    /** R@1/5/10 both ways and their mean (ARL's retrieval table), from ranks. */
    public static Map<String, Double> retrievalMetrics(RetrievalEval.Ranks r) {
        Map<String, Double> all = RetrievalEval.metrics(r);
        Map<String, Double> out = new LinkedHashMap<>();
        double sum = 0;
        for (String dir : List.of("image_to_text", "text_to_image")) {
            for (int k : new int[] {1, 5, 10}) {
                double v = all.get(dir + "_R@" + k);
                out.put(dir + "_R@" + k, v);
                sum += v;
            }
        }
        out.put("mean_recall", sum / 6);
        out.put("pairs", all.get("pairs"));
        return out;
    }

    /** Class labels of rows as indices into {@code classes} (e.g. {@link #classes}). */
    public static int[] labels(List<TrainingRow> rows, List<String> classes) {
        int[] y = new int[rows.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = classes.indexOf(rows.get(i).label());
            if (y[i] < 0) throw new KitException("row " + rows.get(i).filename() + ": label '" + rows.get(i).label() + "' not among " + classes);
        }
        return y;
    }

    /** The sorted distinct labels of rows. */
    public static List<String> classes(List<TrainingRow> rows) {
        return new ArrayList<>(new TreeSet<>(rows.stream().map(TrainingRow::label).toList()));
    }

    /** Accuracy and balanced accuracy of predictions. */
    public static Map<String, Double> accuracy(int[] predicted, int[] truth, int classes) {
        int correct = 0;
        double[] hit = new double[classes];
        double[] count = new double[classes];
        for (int i = 0; i < truth.length; i++) {
            count[truth[i]]++;
            if (predicted[i] == truth[i]) {
                correct++;
                hit[truth[i]]++;
            }
        }
        double bal = 0;
        int present = 0;
        for (int c = 0; c < classes; c++) {
            if (count[c] > 0) {
                bal += hit[c] / count[c];
                present++;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("accuracy", correct / (double) truth.length);
        out.put("balanced_accuracy", bal / present);
        return out;
    }

    /** A closed question about one image: its text, its answer, and whether it is yes/no ("closed") or the diagnosis. */
    public record Question(int image, String text, String answer, boolean closed) {}

    /** How a concept column reads in a question: "brown(hyperpigmentation)" -> "brown hyperpigmentation". */
    public static String conceptWords(String column) {
        return column.replace("(", " ").replace(")", "").replaceAll("\\s+", " ").strip();
    }

    /**
     * Questions from ground truth (concept flags by image, as {@code Experiment.readConceptLabels} reads them): per image "What is the diagnosis?" and up to {@code perAnswer} concepts it shows
     * ("Is there crust?" - yes) and as many it does not (no), drawn from the seed: closed answers are balanced.
     */
    public static List<Question> questions(List<TrainingRow> rows, Map<String, Map<String, Boolean>> concepts, int perAnswer, long seed) {
        List<Question> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < rows.size(); i++) {
            TrainingRow r = rows.get(i);
            out.add(new Question(i, "What is the diagnosis?", r.label(), false));
            Map<String, Boolean> flags = concepts.get(r.filename());
            if (flags == null) throw new KitException("no concept flags for image " + r.filename());
            List<String> yes = new ArrayList<>();
            List<String> no = new ArrayList<>();
            for (Map.Entry<String, Boolean> f : flags.entrySet()) {
                List<String> pool = f.getValue() ? yes : no;
                String concept = f.getKey();
                pool.add(concept);
            }
            int k = Math.min(perAnswer, Math.min(yes.size(), no.size()));
            for (List<String> pool : List.of(yes, no)) {
                for (int q = 0; q < k; q++) {
                    int j = q + rng.nextInt(pool.size() - q);
                    String c = pool.get(j);
                    pool.set(j, pool.get(q));
                    pool.set(q, c);
                    out.add(new Question(i, "Is there " + conceptWords(c) + "?", pool == yes ? "yes" : "no", true));
                }
            }
        }
        return out;
    }

    /** The answer vocabulary: the classes, then yes and no. */
    public static List<String> answers(List<String> classes) {
        List<String> a = new ArrayList<>(classes);
        a.add("yes");
        a.add("no");
        return a;
    }

    /** VQA scores: overall, closed (yes/no) and open (diagnosis) accuracy. */
    public static Map<String, Double> vqaScores(List<Question> qs, int[] predicted, List<String> answers) {
        double all = 0;
        double closed = 0;
        double open = 0;
        int nClosed = 0;
        for (int i = 0; i < qs.size(); i++) {
            boolean ok = answers.get(predicted[i]).equals(qs.get(i).answer());
            if (ok) all++;
            if (qs.get(i).closed()) {
                nClosed++;
                if (ok) closed++;
            } else if (ok) {
                open++;
            }
        }
        Map<String, Double> out = new LinkedHashMap<>();
        out.put("vqa_overall", all / qs.size());
        out.put("vqa_closed", nClosed == 0 ? Double.NaN : closed / nClosed);
        out.put("vqa_open", qs.size() == nClosed ? Double.NaN : open / (qs.size() - nClosed));
        out.put("questions", (double) qs.size());
        return out;
    }

    /** The answer index of each question. */
    public static int[] answerIndex(List<Question> qs, List<String> answers) {
        int[] y = new int[qs.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = answers.indexOf(qs.get(i).answer());
            if (y[i] < 0) throw new KitException("answer '" + qs.get(i).answer() + "' not in the vocabulary " + answers);
        }
        return y;
    }

    /** ARL features of questions: the fused feature of each question's image with the question. */
    public static float[][] arlQuestionFeatures(ArlModel model, ArlInputs in, Split s, List<Question> qs, int batch, String label) {
        List<TrainingRow> rows = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        int per = 3 * s.imageSize() * s.imageSize();
        float[] pixels = new float[qs.size() * per];
        for (int i = 0; i < qs.size(); i++) {
            rows.add(s.rows().get(qs.get(i).image()));
            texts.add(qs.get(i).text());
            System.arraycopy(s.pixels(), qs.get(i).image() * per, pixels, i * per, per);
        }
        return fused(model, in, new Split(rows, pixels, s.imageSize()), texts, batch, label);
    }

    /** CLIP features of questions: [image; question; image x question] of normalised embeddings. */
    public static float[][] clipQuestionFeatures(float[][] images, Map<String, float[]> questionEmbeddings, List<Question> qs) {
        float[][] out = new float[qs.size()][];
        for (int i = 0; i < qs.size(); i++) {
            float[] a = images[qs.get(i).image()];
            float[] q = questionEmbeddings.get(qs.get(i).text());
            float[] f = new float[3 * a.length];
            for (int j = 0; j < a.length; j++) {
                f[j] = a[j];
                f[a.length + j] = q[j];
                f[2 * a.length + j] = a[j] * q[j];
            }
            out[i] = f;
        }
        return out;
    }

    /** Distinct question texts' CLIP embeddings. */
    public static Map<String, float[]> clipQuestions(ClipModel model, List<Question> qs) {
        List<String> distinct = new ArrayList<>(new TreeSet<>(qs.stream().map(Question::text).toList()));
        float[][] e = clipTexts(model, distinct, 64);
        Map<String, float[]> out = new HashMap<>();
        for (int i = 0; i < e.length; i++) out.put(distinct.get(i), e[i]);
        return out;
    }

    /** Used by callers that print one line per task. */
    public static String format(Map<String, Double> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(String.format(Locale.ROOT, "%s %.3f  ", k, v)));
        return b.toString().strip();
    }

    /** Entities linked in a text (for notebooks showing what the knowledge stream reads). */
    public static List<String> linkedNames(ArlInputs in, List<String> entityNames, String text) {
        List<String> out = new ArrayList<>();
        for (EntityLinker.Mention m : in.encoded(text).mentions()) out.add(entityNames.get(m.entity()));
        return out;
    }
}
