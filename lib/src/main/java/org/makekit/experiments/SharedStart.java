package org.makekit.experiments;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import org.makekit.data.SynthScenes;
import org.makekit.knowledge.TrainingTables;
import org.makekit.model.ModelConfig;
import org.makekit.train.Method;
import org.makekit.train.TrainConfig;
import org.makekit.train.Trainer;
import org.makekit.util.AtomicFiles;
import org.makekit.util.KitException;

/**
 * The kit's shared starting point, its miniature of "start from OpenAI CLIP": a generic image-text
 * model pretrained once on {@link SynthScenes} (general-domain scenes, no skin, no diagnosis, nothing
 * of the evaluation data), with the CLIP objective (CoCa's for a captioning config, as open_clip's
 * CoCa checkpoints are trained). Every row of Tables 1-3 and the notebooks start from it, as every
 * row of the paper starts from the same OpenAI weights before training on Derm1M.
 *
 * <p>Cached under {@code <cache>/starts/<model>-<key>/} (cache: {@code MAKEKIT_CACHE}, else
 * {@code ~/.cache/makekit}), where the key is a SHA-256 of everything that determines the weights:
 * the model config, the corpus config and generator version, and the training settings. A killed
 * build resumes from its last checkpoint; a finished one is marked by {@code start.json}.
 */
public final class SharedStart {
    private SharedStart() {}

    /** The value of {@code --init} that asks for the shared start. */
    public static final String NAME = "shared";

    /** How the start is made. */
    public record Spec(SynthScenes.Config corpus, long steps, int batchSize, double lr, long seed) {
        /** The start the tables and notebooks use: 6,000 scenes, 600 steps of 64 (about 6 passes). */
        public static Spec defaults() {
            return new Spec(SynthScenes.Config.defaults(), 600, 64, 5e-4, 0);
        }

        /** A smaller start (the demo's, and tests'): {@code images} scenes, {@code steps} steps. */
        public static Spec small(int images, long steps) {
            return new Spec(new SynthScenes.Config(0, images, 64), steps, Math.min(64, images), 5e-4, 0);
        }
    }

    /** The training settings of the start (method CLIP or CoCa; the kit's defaults otherwise). */
    static TrainConfig trainConfig(String model, Spec spec) {
        TrainConfig c = new TrainConfig();
        c.model = model;
        c.method = ModelConfig.load(model).isCoca() ? Method.COCA.id() : Method.CLIP.id();
        c.steps = spec.steps();
        c.batchSize = spec.batchSize();
        c.lr = spec.lr();
        c.seed = spec.seed();
        c.warmup = Math.min(50, Math.max(1, spec.steps() / 6));
        c.checkpointEvery = (int) Math.max(1, Math.min(100, spec.steps()));
        c.evalSplit = "";
        return c;
    }

    /** The cache key: SHA-256 over the model config, the corpus and its generator version, and the training settings. */
    public static String key(String model, Spec spec) {
        TrainConfig c = trainConfig(model, spec);
        String canon = "synthscenes-v" + SynthScenes.VERSION + "\n" + spec.corpus() + "\n" + ModelConfig.load(model) + "\n" + c.toJson();
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(canon.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The start's folder in the cache. */
    public static Path dir(String model, Spec spec) {
        String safe = Path.of(model).getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        return org.makekit.data.Weights.cacheRoot().resolve("starts").resolve(safe + "-" + key(model, spec));
    }

    /** The start's weights, built first if the cache does not hold them. */
    public static Path ensure(String model, Spec spec, boolean progress) {
        Path dir = dir(model, spec);
        Path weights = dir.resolve("model").resolve("model.safetensors");
        if (Files.exists(dir.resolve("start.json")) && Files.exists(weights)) return weights;
        long t0 = System.nanoTime();
        System.err.println("building the shared start for " + model + " (once; cached in " + dir + "): SynthScenes "
                + spec.corpus().images() + " images, " + spec.steps() + " steps of " + spec.batchSize());
        Path corpus = dir.resolve("synthscenes");
        Path pairs = corpus.resolve("metadata.csv");
        if (!Files.exists(corpus.resolve(".done"))) {
            SynthScenes.generate(corpus, spec.corpus());
            TrainingTables.fromPairs(pairs, corpus.resolve("train-table.csv"), null);
            AtomicFiles.writeString(corpus.resolve(".done"), "");
        }
        TrainConfig c = trainConfig(model, spec);
        c.table = corpus.resolve("train-table.csv").toString();
        c.out = dir.resolve("model").toString();
        boolean resume = org.makekit.train.Checkpoint.latest(dir.resolve("model")) != null;
        new Trainer(c, progress).run(resume);
        AtomicFiles.writeString(dir.resolve("start.json"), String.format(Locale.ROOT,
                "{\"model\": \"%s\", \"key\": \"%s\", \"corpus\": \"%s\", \"synthscenes_version\": %d, \"seconds\": %.1f}%n",
                model, key(model, spec), spec.corpus(), SynthScenes.VERSION, (System.nanoTime() - t0) / 1e9));
        return weights;
    }

    /** {@code init} as the trainer takes it: "shared" becomes the start's weights for {@code model}; anything else is kept. */
    public static String resolve(String init, String model, Spec spec) {
        if (init == null || !init.equals(NAME)) return init;
        // an ARL model starts its towers from the start of its tower config
        String towers = org.makekit.model.ArlConfig.isArl(model) ? org.makekit.model.ArlConfig.load(model).towers() : model;
        return ensure(towers, spec, true).toString();
    }

    /** Whether a cached start exists (for status listings). */
    public static boolean cached(String model, Spec spec) {
        return Files.exists(dir(model, spec).resolve("start.json"));
    }
}
