package org.makekit.experiments;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.eval.ArlTasks;
import org.makekit.eval.Bootstrap;
import org.makekit.eval.Probe;
import org.makekit.eval.RetrievalEval;
import org.makekit.model.ArlModel;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.report.TableWriter;
import org.makekit.text.Tokenizer;
import org.makekit.train.ArlInputs;
import org.makekit.train.ArlTrainer;
import org.makekit.train.Method;
import org.makekit.train.TrainConfig;
import org.makekit.util.KitException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * ARL against CLIP with the same towers on the same data, over seeds (issue 17): each seed trains (or reuses) an
 * ARL model ({@code out/arl/seed-S}) and takes the setup's CLIP run ({@code out/clip/seed-S}, the Table 3 row when
 * the settings match), then scores both on the three downstream tasks of {@link ArlTasks}. Cells are mean and sd
 * over seeds; ARL minus CLIP is the paired bootstrap over the test items (same resample for both, seed s with s).
 */
public final class ArlStudy {
    /**
     * @param retrievalPairs test pairs ranked in retrieval (ARL scores all N x N pairs with its ITM head)
     * @param perAnswer      concept questions per image and answer (yes, no) in VQA
     * @param batch          pairs per fusion pass in scoring
     */
    public record Options(String model, double lr, double weightDecay, double eps, double warmupShare, int retrievalPairs,
                          int perAnswer, int batch) {
        /** ARL-mini's optimiser (related-methods.md 2.9: AdamW 1e-4, x5 on ARL's parts, eps 1e-8, wd 0.01, 10% warm-up). */
        public static Options defaults() {
            return new Options("arl-tiny", 1e-4, 0.01, 1e-8, 0.1, 200, 2, 128);
        }
    }

    /** One seed's scores of one method: named values and the per-item outcomes the bootstrap resamples. */
    public record Scores(String method, long seed, Map<String, Double> values, Map<String, Bootstrap.Metric> metrics,
                         double trainSeconds) {}

    private final PaperTable table;
    private final Options options;

    public ArlStudy(PaperTable.Setup setup, Options options) {
        this.table = new PaperTable(setup);
        this.options = options;
    }

    /** The ARL run config of a seed: the setup's data, steps, batch and start, ARL's model and optimiser. */
    public TrainConfig arlConfig(long seed) {
        TrainConfig c = table.setup().train.copy();
        c.table = table.prepare().toString();
        c.seed = seed;
        c.model = options.model();
        c.lr = options.lr();
        c.weightDecay = options.weightDecay();
        c.eps = options.eps();
        long steps = c.steps > 0 ? c.steps : 0;
        if (steps > 0) c.warmup = Math.max(1, Math.round(steps * options.warmupShare()));
        c.init = SharedStart.resolve(c.init, c.model, table.setup().start);
        return c;
    }

    /** Trains (or reuses) the ARL model of a seed; returns its folder. */
    public Path trainArl(long seed) {
        Path dir = table.setup().out.resolve(Method.ARL.id()).resolve("seed-" + seed);
        Experiment.train(arlConfig(seed), Method.ARL, dir, table.setup().reuse);
        return dir;
    }

    /** Every seed of both methods, trained or reused, then scored. */
    public List<Scores> run() {
        table.prepare();
        Path data = table.setup().out.resolve("synthderm");
        if (table.setup().table != null || table.setup().dataset != null) {
            throw new KitException("the ARL study runs on the setup's SynthDerm (its VQA questions come from SynthDerm's concept labels)");
        }
        ModelConfig tc = ModelConfig.load(table.setup().train.model);
        System.err.println("loading SynthDerm train and test images");
        ArlTasks.Split train = ArlTasks.load(data.resolve("metadata.csv"), "train", tc.vision().imageSize());
        ArlTasks.Split test = ArlTasks.load(data.resolve("metadata.csv"), table.setup().evalSplit, tc.vision().imageSize());
        Map<String, Map<String, Boolean>> concepts = Experiment.readConceptLabels(data.resolve("concepts.csv"), "image");
        List<String> classes = ArlTasks.classes(concat(train.rows(), test.rows())); // a class missing from a small train split still counts
        List<Scores> out = new ArrayList<>();
        for (long seed : table.setup().seedList()) {
            Path clipWeights = table.trained(Method.CLIP, seed).weights();
            Path arlDir = trainArl(seed);
            out.add(scoreClip(clipWeights, tc, train, test, concepts, classes, seed));
            out.add(scoreArl(arlDir, train, test, concepts, classes, seed));
        }
        return out;
    }

    private Scores scoreClip(Path weights, ModelConfig tc, ArlTasks.Split train, ArlTasks.Split test,
                             Map<String, Map<String, Boolean>> concepts, List<String> classes, long seed) {
        return cached(weights.getParent(), "CLIP", seed, Experiment.trainSeconds(weights), train, test,
                () -> clipOutcome(weights, tc, train, test, concepts, classes, seed));
    }

    private Outcome clipOutcome(Path weights, ModelConfig tc, ArlTasks.Split train, ArlTasks.Split test,
                                Map<String, Map<String, Boolean>> concepts, List<String> classes, long seed) {
        System.err.println("scoring CLIP, seed " + seed);
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel clip = ClipModel.load(tc, weights, m, DataType.FLOAT32);
            ArlTasks.Split pairs = test.first(options.retrievalPairs());
            float[][] pairImages = ArlTasks.clipImages(clip, pairs, options.batch());
            float[][] pairTexts = ArlTasks.clipTexts(clip, pairs.rows().stream().map(r -> r.caption()).toList(), options.batch());
            RetrievalEval.Ranks ranks = RetrievalEval.ranks(pairImages, pairTexts, 256);
            float[][] trainImages = ArlTasks.clipImages(clip, train, options.batch());
            float[][] testImages = ArlTasks.clipImages(clip, test, options.batch());
            List<ArlTasks.Question> trainQ = ArlTasks.questions(train.rows(), concepts, options.perAnswer(), seed);
            List<ArlTasks.Question> testQ = ArlTasks.questions(test.rows(), concepts, options.perAnswer(), 1_000 + seed);
            Map<String, float[]> qEmb = ArlTasks.clipQuestions(clip, concat(trainQ, testQ));
            return outcome("CLIP", seed, ranks, trainImages, testImages, ArlTasks.clipQuestionFeatures(trainImages, qEmb, trainQ),
                    ArlTasks.clipQuestionFeatures(testImages, qEmb, testQ), train, test, trainQ, testQ, classes);
        }
    }

    private Scores scoreArl(Path dir, ArlTasks.Split train, ArlTasks.Split test, Map<String, Map<String, Boolean>> concepts,
                            List<String> classes, long seed) {
        return cached(dir, "ARL", seed, Experiment.trainSeconds(dir.resolve("model.safetensors")), train, test,
                () -> arlOutcome(dir, train, test, concepts, classes, seed));
    }

    private Outcome arlOutcome(Path dir, ArlTasks.Split train, ArlTasks.Split test, Map<String, Map<String, Boolean>> concepts,
                               List<String> classes, long seed) {
        System.err.println("scoring ARL, seed " + seed);
        try (NDManager m = NDManager.newBaseManager()) {
            ArlTrainer.Built b = ArlTrainer.open(dir, m);
            ArlModel model = b.model();
            ArlInputs in = new ArlInputs(b.config(), Tokenizer.forConfig(b.config().towerConfig(), b.config().textLength()), b.graph(),
                    b.ontology(), b.config().towerConfig().vision().numPatches(), ArlInputs.Budget.COMPAT);
            ArlTasks.Split pairs = test.first(options.retrievalPairs());
            double[][] itm = ArlTasks.itmScores(model, in, pairs, pairs.rows().stream().map(r -> r.caption()).toList(), options.batch(), true);
            RetrievalEval.Ranks ranks = RetrievalEval.ranks(itm);
            float[][] trainF = ArlTasks.fused(model, in, train, neutral(train.size()), options.batch(), "ARL features (train)");
            float[][] testF = ArlTasks.fused(model, in, test, neutral(test.size()), options.batch(), "ARL features (test)");
            List<ArlTasks.Question> trainQ = ArlTasks.questions(train.rows(), concepts, options.perAnswer(), seed);
            List<ArlTasks.Question> testQ = ArlTasks.questions(test.rows(), concepts, options.perAnswer(), 1_000 + seed);
            float[][] trainQF = ArlTasks.arlQuestionFeatures(model, in, train, trainQ, options.batch(), "ARL VQA features (train)");
            float[][] testQF = ArlTasks.arlQuestionFeatures(model, in, test, testQ, options.batch(), "ARL VQA features (test)");
            return outcome("ARL", seed, ranks, trainF, testF, trainQF, testQF, train, test, trainQ, testQ, classes);
        }
    }

    private static List<String> neutral(int n) {
        return java.util.Collections.nCopies(n, ArlTasks.NEUTRAL_PROMPT);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /** What scoring a model gives: the values and the per-item outcomes (retrieval ranks, correct answers). */
    record Outcome(Map<String, Double> values, int[] imageToText, int[] textToImage, boolean[] classification, boolean[] vqa) {}

    /**
     * A run's scores, read from {@code dir/arl-study-scores.json} when it was written for the same options and splits
     * (a retrained run's folder is cleared, so stale scores go with it), else computed and written there.
     */
    private Scores cached(Path dir, String method, long seed, double seconds, ArlTasks.Split train, ArlTasks.Split test,
                          java.util.function.Supplier<Outcome> compute) {
        Path file = dir.resolve("arl-study-scores.json");
        String key = options + " train " + train.size() + " test " + test.size() + " " + test.rows().get(0).filename();
        Outcome o = null;
        if (Files.exists(file)) {
            try {
                com.google.gson.JsonObject j = org.makekit.util.Json.parse(Files.readString(file)).getAsJsonObject();
                if (j.get("key").getAsString().equals(key)) o = read(j);
            } catch (IOException | RuntimeException e) {
                System.err.println("ignoring unreadable " + file + ": " + e.getMessage());
            }
        }
        if (o == null) {
            o = compute.get();
            org.makekit.util.AtomicFiles.writeString(file, write(o, key));
        } else {
            System.err.println("scores of " + method + " seed " + seed + " from " + file);
        }
        return scores(method, seed, o, seconds);
    }

    // Written by hand, not by Gson's reflection: the notebooks' kernel ships an older Gson without record support.
    static String write(Outcome o, String key) {
        com.google.gson.JsonObject j = new com.google.gson.JsonObject();
        j.addProperty("key", key);
        com.google.gson.JsonObject v = new com.google.gson.JsonObject();
        o.values().forEach((k, x) -> v.addProperty(k, Double.isNaN(x) ? "NaN" : String.valueOf(x)));
        j.add("values", v);
        j.addProperty("image_to_text", join(o.imageToText().length, i -> String.valueOf(o.imageToText()[i])));
        j.addProperty("text_to_image", join(o.textToImage().length, i -> String.valueOf(o.textToImage()[i])));
        j.addProperty("classification", join(o.classification().length, i -> o.classification()[i] ? "1" : "0"));
        j.addProperty("vqa", join(o.vqa().length, i -> o.vqa()[i] ? "1" : "0"));
        return j.toString();
    }

    private static String join(int n, java.util.function.IntFunction<String> f) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(i == 0 ? "" : ",").append(f.apply(i));
        return b.toString();
    }

    static Outcome read(com.google.gson.JsonObject j) {
        Map<String, Double> v = new LinkedHashMap<>();
        for (Map.Entry<String, com.google.gson.JsonElement> e : j.getAsJsonObject("values").entrySet()) {
            v.put(e.getKey(), Double.parseDouble(e.getValue().getAsString()));
        }
        return new Outcome(v, ints(j.get("image_to_text").getAsString()), ints(j.get("text_to_image").getAsString()),
                bools(j.get("classification").getAsString()), bools(j.get("vqa").getAsString()));
    }

    private static int[] ints(String s) {
        return s.isEmpty() ? new int[0] : java.util.Arrays.stream(s.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static boolean[] bools(String s) {
        int[] x = ints(s);
        boolean[] out = new boolean[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] == 1;
        return out;
    }

    private static Scores scores(String method, long seed, Outcome o, double seconds) {
        Map<String, Bootstrap.Metric> m = new LinkedHashMap<>();
        List<Bootstrap.Metric> recalls = new ArrayList<>();
        for (int k : new int[] {1, 5, 10}) {
            recalls.add(Bootstrap.recallAt(o.imageToText(), k));
            recalls.add(Bootstrap.recallAt(o.textToImage(), k));
        }
        m.put("retrieval mean recall", Bootstrap.average(recalls));
        m.put("retrieval i2t R@1", Bootstrap.recallAt(o.imageToText(), 1));
        m.put("retrieval t2i R@1", Bootstrap.recallAt(o.textToImage(), 1));
        m.put("classification ACC", Bootstrap.accuracy(o.classification()));
        m.put("VQA overall", Bootstrap.accuracy(o.vqa()));
        return new Scores(method, seed, o.values(), m, seconds);
    }

    private Outcome outcome(String method, long seed, RetrievalEval.Ranks ranks, float[][] trainCls, float[][] testCls, float[][] trainQ,
                            float[][] testQ, ArlTasks.Split train, ArlTasks.Split test, List<ArlTasks.Question> trainQs,
                            List<ArlTasks.Question> testQs, List<String> classes) {
        Map<String, Double> v = new LinkedHashMap<>();
        Map<String, Double> r = ArlTasks.retrievalMetrics(ranks);
        v.put("retrieval mean recall", r.get("mean_recall"));
        v.put("retrieval i2t R@1", r.get("image_to_text_R@1"));
        v.put("retrieval t2i R@1", r.get("text_to_image_R@1"));
        int[] yTrain = ArlTasks.labels(train.rows(), classes);
        int[] yTest = ArlTasks.labels(test.rows(), classes);
        int[] pred = Probe.fit(trainCls, yTrain, classes.size(), Probe.Options.linear()).predict(testCls);
        v.put("classification ACC", ArlTasks.accuracy(pred, yTest, classes.size()).get("accuracy"));
        List<String> answers = ArlTasks.answers(classes);
        int[] aTrain = ArlTasks.answerIndex(trainQs, answers);
        int[] aTest = ArlTasks.answerIndex(testQs, answers);
        int width = trainQ[0].length;
        int[] qPred = Probe.fit(trainQ, aTrain, answers.size(), Probe.Options.vqaHead(width)).predict(testQ);
        Map<String, Double> vqa = ArlTasks.vqaScores(testQs, qPred, answers);
        v.put("VQA overall", vqa.get("vqa_overall"));
        v.put("VQA closed", vqa.get("vqa_closed"));
        v.put("VQA open (diagnosis)", vqa.get("vqa_open"));
        System.err.printf(Locale.ROOT, "%s seed %d: %s%n", method, seed, v);
        return new Outcome(v, ranks.imageToText(), ranks.textToImage(), correct(pred, yTest), correct(qPred, aTest));
    }

    private static boolean[] correct(int[] pred, int[] truth) {
        boolean[] out = new boolean[pred.length];
        for (int i = 0; i < pred.length; i++) out[i] = pred[i] == truth[i];
        return out;
    }

    /** CLIP and ARL rows: mean and sd over seeds; ARL's paired difference from CLIP with its interval; train seconds. */
    public Table table(List<Scores> scores) {
        List<Scores> clip = scores.stream().filter(s -> s.method().equals("CLIP")).toList();
        List<Scores> arl = scores.stream().filter(s -> s.method().equals("ARL")).toList();
        Table t = Table.create("ARL vs CLIP (same towers, same data), " + clip.size() + " seeds");
        t.addColumns(StringColumn.create("Method", List.of("CLIP", "ARL")));
        for (String k : clip.get(0).values().keySet()) {
            DoubleColumn mean = DoubleColumn.create(k);
            DoubleColumn sd = DoubleColumn.create(k + TableWriter.SD);
            for (List<Scores> rows : List.of(clip, arl)) {
                Bootstrap.MeanSd ms = Bootstrap.meanSd(rows.stream().mapToDouble(s -> s.values().get(k)).toArray());
                mean.append(ms.mean());
                sd.append(ms.sd());
            }
            t.addColumns(mean, sd);
            if (clip.get(0).metrics().containsKey(k)) {
                Bootstrap.Interval iv = Bootstrap.paired(arl.stream().map(s -> s.metrics().get(k)).toList(),
                        clip.stream().map(s -> s.metrics().get(k)).toList(), table.setup().bootstrapReps, 17);
                t.addColumns(DoubleColumn.create(k + TableWriter.DIFF, new double[] {Double.NaN, iv.diff()}),
                        DoubleColumn.create(k + TableWriter.DIFF_LO, new double[] {Double.NaN, iv.lo()}),
                        DoubleColumn.create(k + TableWriter.DIFF_HI, new double[] {Double.NaN, iv.hi()}));
            }
        }
        DoubleColumn secs = DoubleColumn.create("train s (mean)");
        for (List<Scores> rows : List.of(clip, arl)) secs.append(rows.stream().mapToDouble(Scores::trainSeconds).average().orElse(Double.NaN));
        t.addColumns(secs);
        return t;
    }

    /** Writes the table as CSV, markdown and a bar chart under {@code out/arl-study.*}; returns the markdown's path. */
    public Path emit(Table t) {
        Path dir = table.setup().out;
        TableWriter.write(t, dir, "arl-study", "Method");
        try {
            Files.writeString(dir.resolve("arl-study.md"), TableWriter.markdown(TableWriter.display(t)));
        } catch (IOException e) {
            throw new KitException("cannot write " + dir.resolve("arl-study.md"), e);
        }
        return dir.resolve("arl-study.md");
    }
}
