package org.makekit.experiments;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.eval.ConceptEval;
import org.makekit.eval.Embedder;
import org.makekit.eval.RetrievalEval;
import org.makekit.eval.ZeroShotEval;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;
import org.makekit.train.Method;
import org.makekit.train.TrainConfig;
import org.makekit.train.Trainer;
import org.makekit.util.KitException;

/**
 * A paper-table experiment: train (or reuse) one model per method on a training table, then score
 * each on the held-out split: zero-shot classification, concept annotation (when concept labels
 * are given) and image-text retrieval with the held-out captions.
 */
public final class Experiment {
    private Experiment() {}

    /** Scores of one model; {@code ranks} (null when there is no retrieval task) are per pair, for the bootstrap. */
    public record Scores(String method, ZeroShotEval.Result zeroShot, ConceptEval.Result concepts,
                         Map<String, Double> retrieval, double trainSeconds, RetrievalEval.Ranks ranks) {}

    /** Settings that change a run's weights; the rest (output folder, workers, checkpoint cadence) do not. */
    static final List<String> IGNORED = List.of("out", "evalSplit", "workers", "prefetch", "checkpointEvery", "keepCheckpoints");

    /**
     * Trains {@code method} into {@code dir} unless a finished model trained with the same settings is
     * there; returns its weights. A folder holding another run's settings (other steps, seed, start ...)
     * is trained afresh, saying which settings differ; an unfinished run with the same settings resumes.
     */
    public static Path train(TrainConfig base, Method method, Path dir, boolean reuse) {
        Path model = dir.resolve("model.safetensors");
        TrainConfig c = base.copy();
        c.method = method.id();
        c.out = dir.toString();
        c.evalSplit = "";
        List<String> differ = differences(dir.resolve("config.json"), c);
        if (reuse && differ.isEmpty() && Files.exists(model)) {
            System.err.println("reusing " + model);
            return model;
        }
        if (!differ.isEmpty() || !reuse) {
            if (!differ.isEmpty() && Files.exists(dir.resolve("config.json"))) {
                System.err.println(dir + " holds a run with other settings (" + String.join(", ", differ) + "): training afresh");
            }
            clear(dir);
        }
        System.err.println("training " + method.id() + " (" + method.description() + "), seed " + c.seed);
        boolean resume = org.makekit.train.Checkpoint.latest(dir) != null;
        long t0 = System.nanoTime();
        new Trainer(c, true).run(resume);
        try {
            Files.writeString(dir.resolve("train-seconds.txt"), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
        } catch (IOException e) {
            throw new KitException("cannot write " + dir, e);
        }
        return model;
    }

    /** The settings (fields of the training config) in which the saved run differs from {@code want}; none if no run is saved. */
    static List<String> differences(Path savedConfig, TrainConfig want) {
        if (!Files.exists(savedConfig)) return List.of();
        com.google.gson.JsonObject have;
        try {
            have = org.makekit.util.Json.parse(Files.readString(savedConfig)).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            return List.of("unreadable " + savedConfig.getFileName());
        }
        com.google.gson.JsonObject w = org.makekit.util.Json.parse(want.toJson()).getAsJsonObject();
        List<String> out = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(w.keySet());
        keys.addAll(have.keySet());
        // A setting the saved run does not name (a field added to the kit later) counts as its default value.
        com.google.gson.JsonObject defaults = org.makekit.util.Json.parse(new TrainConfig().toJson()).getAsJsonObject();
        for (String k : keys) {
            if (IGNORED.contains(k)) continue;
            com.google.gson.JsonElement h = have.has(k) ? have.get(k) : defaults.get(k);
            if (!java.util.Objects.equals(h, w.get(k))) out.add(k + " " + h + " -> " + w.get(k));
        }
        return out;
    }

    /** Removes a run folder's checkpoints, weights and logs (nothing else the kit did not write). */
    private static void clear(Path dir) {
        if (!Files.isDirectory(dir)) return;
        try (var files = Files.walk(dir)) {
            for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) if (!f.equals(dir)) Files.delete(f);
        } catch (IOException e) {
            throw new KitException("cannot clear " + dir + " for a new run", e);
        }
    }

    /** Concept labels keyed by image filename: a CSV with an image column and one 0/1 column per concept. */
    public static Map<String, Map<String, Boolean>> readConceptLabels(Path csv, String imageColumn) {
        Map<String, Map<String, Boolean>> out = new LinkedHashMap<>();
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            List<String> concepts = new ArrayList<>(p.getHeaderNames());
            if (!concepts.remove(imageColumn)) throw new KitException(csv + ": no column '" + imageColumn + "'");
            for (CSVRecord rec : p) {
                Map<String, Boolean> m = new LinkedHashMap<>();
                for (String c : concepts) {
                    String v = rec.get(c).strip();
                    if (!v.equals("0") && !v.equals("1")) {
                        throw new KitException(csv + ", line " + p.getCurrentLineNumber() + ", column '" + c + "': expected 0 or 1, got '" + v + "'");
                    }
                    m.put(c, v.equals("1"));
                }
                out.put(rec.get(imageColumn), m);
            }
        } catch (IOException e) {
            throw new KitException("cannot read concept labels " + csv, e);
        }
        return out;
    }

    /**
     * What to score a model on.
     *
     * @param rows          the evaluation rows (labels for zero-shot, captions for retrieval)
     * @param imageRoot     folder the rows' image paths are relative to
     * @param conceptLabels concept labels by the image path as written in the concept CSV (null: no concept task)
     * @param conceptRoot   folder the concept CSV's image paths are relative to
     * @param minPositive   concepts with fewer positives (or negatives) are reported and left out
     * @param lexicon       the concept terms (the built-in dermatology lexicon, or a new domain's)
     * @param classes       the zero-shot class list (null: the known list the labels belong to)
     * @param prompts       the zero-shot templates (null: MAKE's dermatology templates)
     */
    public record Task(List<TrainingRow> rows, Path imageRoot, Map<String, Map<String, Boolean>> conceptLabels,
                       Path conceptRoot, int minPositive, ConceptLexicon lexicon, List<String> classes, List<String> prompts) {
        public Task(List<TrainingRow> rows, Path imageRoot, Map<String, Map<String, Boolean>> conceptLabels, Path conceptRoot,
                    int minPositive, ConceptLexicon lexicon) {
            this(rows, imageRoot, conceptLabels, conceptRoot, minPositive, lexicon, null, null);
        }

        public Task(List<TrainingRow> rows, Path imageRoot, Map<String, Map<String, Boolean>> conceptLabels, Path conceptRoot,
                    int minPositive, ConceptLexicon lexicon, List<String> classes) {
            this(rows, imageRoot, conceptLabels, conceptRoot, minPositive, lexicon, classes, null);
        }

        /** A released evaluation set: its rows, its class list and its concept labels. */
        public static Task of(org.makekit.data.EvalSets.EvalSet set, int minPositive, ConceptLexicon lexicon) {
            if (set.rows().isEmpty()) {
                throw new KitException(set.dataset() + ": none of the " + set.listed() + " listed images is on disk under " + set.root());
            }
            return new Task(set.rows(), set.root(), set.concepts(), set.root(), minPositive, lexicon,
                    set.classes().isEmpty() ? null : set.classes());
        }
    }

    /** Scores a model on a task: zero-shot (when rows have labels), concepts (when labels are given), retrieval. */
    public static Scores evaluate(String method, ModelConfig mc, Path weights, Task task, double trainSeconds) {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = org.makekit.data.Weights.open(mc, weights.toString(), m, DataType.FLOAT32);
            Tokenizer tok = Tokenizer.forConfig(mc);
            List<TrainingRow> rows = task.rows();
            ZeroShotEval.Result zs = rows.stream().anyMatch(r -> !r.label().isEmpty())
                    ? ZeroShotEval.run(model, tok, rows, task.imageRoot(), task.classes() != null ? task.classes()
                    : ZeroShotEval.classesFor(rows), task.prompts() != null ? task.prompts() : ZeroShotEval.templates(), 64, 2, true) : null;
            Embedder emb = new Embedder(model, tok, 64);
            List<Path> files = rows.stream().map(r -> task.imageRoot().resolve(r.filename()).normalize()).toList();
            float[][] img = emb.images(files, true);
            ConceptEval.Result ce = task.conceptLabels() == null ? null
                    : ConceptEval.run(model, tok, task.lexicon(), img, conceptLabels(task, files), task.minPositive());
            List<String> captions = rows.stream().map(r -> r.texts(0).get(0)).toList();
            // sets without captions (the classification and concept sets) have no retrieval task
            RetrievalEval.Ranks ranks = captions.stream().allMatch(String::isBlank) ? null
                    : RetrievalEval.ranks(img, emb.texts(captions, true), 256);
            return new Scores(method, zs, ce, ranks == null ? Map.of() : RetrievalEval.metrics(ranks), trainSeconds, ranks);
        }
    }

    /** Per concept, whether each image (in {@code files} order) shows it. */
    private static Map<String, boolean[]> conceptLabels(Task task, List<Path> files) {
        Map<Path, Map<String, Boolean>> byFile = new java.util.HashMap<>();
        task.conceptLabels().forEach((k, v) -> byFile.put(task.conceptRoot().resolve(k).normalize(), v));
        Map<String, boolean[]> labels = new LinkedHashMap<>();
        for (int i = 0; i < files.size(); i++) {
            Map<String, Boolean> l = byFile.get(files.get(i));
            if (l == null) throw new KitException("no concept labels for image " + files.get(i));
            for (Map.Entry<String, Boolean> c : l.entrySet()) {
                labels.computeIfAbsent(c.getKey(), k -> new boolean[files.size()])[i] = c.getValue();
            }
        }
        return labels;
    }

    /** Held-out rows of a training table. */
    public static List<TrainingRow> split(Path table, String split) {
        List<TrainingRow> rows = TrainingTable.read(table).stream().filter(r -> r.split().equals(split)).toList();
        if (rows.isEmpty()) throw new KitException(table + " has no '" + split + "' rows");
        return rows;
    }

    public static double trainSeconds(Path weights) {
        try {
            Path f = weights.getParent().resolve("train-seconds.txt");
            return Files.exists(f) ? Double.parseDouble(Files.readString(f).strip()) : Double.NaN;
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
    }
}
