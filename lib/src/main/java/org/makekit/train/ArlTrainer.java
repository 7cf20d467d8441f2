package org.makekit.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.makekit.data.BatchLoader;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.KnowledgeGraph;
import org.makekit.knowledge.Ontology;
import org.makekit.knowledge.TransE;
import org.makekit.loss.Objective;
import org.makekit.model.ArlConfig;
import org.makekit.model.ArlModel;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;
import org.makekit.util.Devices;
import org.makekit.util.KitException;
import org.makekit.util.Progress;

/**
 * Pretraining of method {@code arl} on an ARL model config ({@code arl-tiny}, {@code arl-base}): the knowledge graph
 * from the run's ontology, TransE trained (or reused) in the run folder, the model (towers fresh or from
 * {@code --init}), AdamW with ARL's groups (the towers at the base rate; everything ARL adds, heads and fusion, at
 * 5x), warm-up then linear decay to 0 as ARL's scheduler, and per-step metrics, progress, checkpoints and exact
 * resume as the CLIP-tower {@link Trainer}.
 *
 * <p>Not applicable or not built, refused with a message: gradient caching ({@code --micro-batch}; ARL's losses have
 * no in-batch contrast, so it would be plain accumulation), fp16 and several devices.
 */
public final class ArlTrainer {
    /** Part names for method tables; ARL's losses are computed by {@link ArlStep}, not through this objective. */
    static final Objective OBJECTIVE = new Objective() {
        @Override
        public Value compute(Inputs in) {
            throw new KitException("method arl trains a fusion model: its losses are computed by ArlStep (train with ArlTrainer)");
        }

        @Override
        public List<String> partNames() {
            return ArlStep.Losses.PARTS;
        }
    };

    /** ARL's learning-rate multiplier for its heads and fusion modules (arl_utils.py). */
    public static final double HEAD_LR_MULTIPLIER = 5.0;

    private final TrainConfig cfg;
    private final boolean showProgress;
    private long stopAfter;
    private final List<Double> losses = new ArrayList<>();

    public ArlTrainer(TrainConfig cfg, boolean showProgress) {
        this.cfg = cfg;
        this.showProgress = showProgress;
    }

    public ArlTrainer stopAfter(long steps) {
        this.stopAfter = steps;
        return this;
    }

    public List<Double> losses() {
        return losses;
    }

    /** The knowledge graph, TransE table and model a run (or an evaluation of its weights) uses. */
    public record Built(ArlConfig config, KnowledgeGraph graph, Ontology ontology, TransE transE, ArlModel model) {}

    /**
     * The TransE table of a graph (k = the config's knowledge width, ARL's OpenKE settings, seed 0): trained once per
     * graph and settings and cached under the kit's cache ({@code <cache>/transe}, see {@code Weights.cacheRoot}); with
     * {@code runDir} a copy is written into {@code runDir/transe} as the run's record.
     */
    public static TransE transE(ArlConfig c, KnowledgeGraph graph, Path runDir) {
        TransE.Settings d = TransE.Settings.defaults();
        TransE.Settings s = new TransE.Settings(c.knowledgeWidth(), d.margin(), d.negatives(), d.epochs(), d.lr(), d.batches(), d.seed());
        TransE t = TransE.cached(graph, s, org.makekit.data.Weights.cacheRoot().resolve("transe"));
        if (runDir != null) t.save(runDir.resolve("transe").resolve("transe.json"), graph);
        return t;
    }

    /** Directed edges (head, tail) of every triple: the GAT's edge index (both relations, so both directions). */
    public static int[][] edges(KnowledgeGraph g) {
        int[][] e = new int[g.triples().size()][];
        for (int i = 0; i < e.length; i++) e[i] = new int[] {g.triples().get(i).head(), g.triples().get(i).tail()};
        return e;
    }

    /** A model for this config: towers fresh from {@code seed} or from CLIP weights {@code init}; ARL's parts fresh. */
    public static Built build(String model, String init, String ontologyFile, Path runDir, NDManager m, long seed) {
        ArlConfig c = ArlConfig.load(model);
        Ontology ont = ontologyFile == null ? Ontology.builtin() : Ontology.load(Path.of(ontologyFile));
        KnowledgeGraph g = new KnowledgeGraph(ont);
        TransE te = transE(c, g, runDir);
        ModelConfig tc = c.towerConfig();
        ClipModel towers = org.makekit.data.Weights.resolve(init) == null ? ClipModel.create(tc, m, seed, DataType.FLOAT32)
                : org.makekit.data.Weights.open(tc, init, m, DataType.FLOAT32);
        return new Built(c, g, ont, te, ArlModel.create(c, towers, te.entity(), edges(g), seed));
    }

    /** The trained model of a run folder (its config.json, TransE table and model.safetensors). */
    public static Built open(Path dir, NDManager m) {
        TrainConfig c;
        try {
            c = TrainConfig.fromJson(Files.readString(dir.resolve("config.json")));
        } catch (IOException e) {
            throw new KitException("cannot read " + dir.resolve("config.json") + " (not a finished ARL run?)", e);
        }
        if (!Files.exists(dir.resolve("model.safetensors"))) throw new KitException(dir + " has no model.safetensors (run not finished?)");
        Built b = build(c.model, null, c.ontology, null, m, c.seed);
        b.model().load(dir.resolve("model.safetensors"));
        return b;
    }

    /** ARL's schedule: linear warm-up to the rate, then linear decay to 0 at the last step. */
    public static double lr(double base, long warmup, long total, long step) {
        if (step < warmup) return base * (step + 1) / warmup;
        return base * Math.max(0, total - step) / (double) Math.max(1, total - warmup);
    }

    public Trainer.Outcome run(boolean resume) {
        if (!ArlConfig.isArl(cfg.model)) {
            throw new KitException("method arl needs an ARL model config (arl-tiny, arl-base), got --model " + cfg.model);
        }
        if (cfg.microBatch > 0) {
            throw new KitException("method arl: --micro-batch is not built (ARL's losses have no in-batch contrast; "
                    + "gradient caching would be plain accumulation): lower --batch-size instead");
        }
        if (!cfg.precision.equals("fp32")) throw new KitException("method arl trains in fp32 only (fp16 is not built for it)");
        List<Device> devices = Devices.parse(cfg.device);
        if (devices.size() != 1) throw new KitException("method arl runs on one device, got --device " + cfg.device);
        if (Trainer.medCutMixOn(cfg)) {
            throw new KitException("method arl: MedCutMix is not built for the fusion model");
        }
        List<TrainingRow> train = Trainer.trainingRows(cfg);
        Trainer.validate(cfg, train.size());
        Path out = Path.of(cfg.out);
        Path ckpt = Trainer.checkpointToResume(out, resume);
        try (NDManager m = NDManager.newBaseManager(devices.get(0))) {
            Built built = build(cfg.model, cfg.init, cfg.ontology, out, m, cfg.seed);
            ArlModel model = built.model();
            model.requireGradients();
            Map<String, NDArray> towers = new LinkedHashMap<>();
            Map<String, NDArray> heads = new LinkedHashMap<>();
            model.parameters().forEach((k, v) -> (k.startsWith("arl.") ? heads : towers).put(k, v));
            AdamW towerOpt = new AdamW(towers, cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay);
            AdamW headOpt = new AdamW(heads, cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay);
            ModelConfig tc = built.config().towerConfig();
            ArlInputs inputs = new ArlInputs(built.config(), Tokenizer.forConfig(tc, built.config().textLength()), built.graph(),
                    built.ontology(), tc.vision().numPatches(), ArlInputs.Budget.parse(cfg.mode.equals("intended") ? "intended" : "compat"));
            try (BatchLoader loader = new BatchLoader(train, Trainer.imageRoot(cfg), cfg.batchSize, tc.vision().imageSize(), true,
                    cfg.seed, cfg.workers, cfg.prefetch)) {
                long total = cfg.steps > 0 ? cfg.steps : (long) cfg.epochs * loader.batchesPerEpoch();
                long start = 0;
                if (ckpt != null) {
                    start = restore(ckpt, model, towerOpt, headOpt, m);
                    System.err.println("resumed from " + ckpt + " at step " + start);
                }
                Files.writeString(out.resolve("config.json"), cfg.toJson());
                return loop(out, model, inputs, loader, towerOpt, headOpt, total, start);
            }
        } catch (IOException e) {
            throw new KitException("cannot write to " + out, e);
        }
    }

    private Trainer.Outcome loop(Path out, ArlModel model, ArlInputs inputs, BatchLoader loader, AdamW towerOpt, AdamW headOpt,
                                 long total, long start) {
        long t0 = System.nanoTime();
        double first = Double.NaN;
        double last = Double.NaN;
        long ran = 0;
        int nonFinite = 0;
        long bpe = loader.batchesPerEpoch();
        Iterator<BatchLoader.Batch> it = null;
        long itEpoch = -1;
        try (MetricsLog log = MetricsLog.open(out.resolve("metrics.csv"), MetricsLog.columns(ArlStep.Losses.PARTS), start);
             Progress p = showProgress ? new Progress("pretrain arl", total, "step").resumeAt(start) : null) {
            for (long step = start; step < total; step++) {
                long epoch = step / bpe;
                if (it == null || itEpoch != epoch) {
                    it = loader.epoch((int) epoch, (int) (step % bpe));
                    itEpoch = epoch;
                }
                long ts = System.nanoTime();
                BatchLoader.Batch batch = it.next();
                double lr = lr(cfg.lr, cfg.warmup, total, step);
                double loss;
                Map<String, Double> parts;
                boolean finite;
                try (NDScope scope = new NDScope()) {
                    StepComputer.zeroGrads(model.parameters());
                    ArlInputs.Batch in = inputs.batch(batch.rows(), cfg.seed, step);
                    ArlStep.Losses l;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        l = ArlStep.compute(model, ArlStep.images(model, batch.pixels(), batch.size()), in,
                                new SplittableRandom(cfg.seed * 31 + step * 0x632BE59BD9B4E019L));
                        gc.backward(l.total());
                    }
                    loss = l.total().toType(DataType.FLOAT64, false).getDouble();
                    parts = l.parts();
                    Map<String, NDArray> grads = new LinkedHashMap<>();
                    finite = Double.isFinite(loss);
                    for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                        NDArray g = e.getValue().getGradient();
                        grads.put(e.getKey(), g);
                    }
                    if (finite) finite = allFinite(grads);
                    if (finite) {
                        towerOpt.step(grads, lr);
                        headOpt.step(grads, lr * HEAD_LR_MULTIPLIER);
                    }
                }
                if (!finite) {
                    nonFinite++;
                    System.err.printf(Locale.ROOT, "step %d: non-finite loss or gradient (loss %s): step skipped%n", step + 1, loss);
                    if (nonFinite >= cfg.maxNonFinite) {
                        throw new KitException(nonFinite + " non-finite steps in a row at step " + (step + 1)
                                + ": stopping (the last checkpoint is intact; lower --lr)");
                    }
                } else {
                    nonFinite = 0;
                }
                double secs = (System.nanoTime() - ts) / 1e9;
                if (Double.isNaN(first)) first = loss;
                last = loss;
                losses.add(loss);
                Map<String, Double> row = new LinkedHashMap<>();
                row.put("step", (double) (step + 1));
                row.put("epoch", (double) epoch);
                row.put("loss", loss);
                row.putAll(parts);
                row.put("lr", lr);
                row.put("logit_scale", Double.NaN);
                row.put("images_per_s", batch.size() / secs);
                row.put("loss_scale", 1.0);
                row.put("skipped", finite ? 0.0 : 1.0);
                row.put("seconds", secs);
                log.write(row);
                if (p != null) {
                    p.extra(String.format(Locale.ROOT, "loss %.4f (itm %.3f mlm %.3f mim %.3f align %.3f)  lr %.2e", loss,
                            parts.get("itm"), parts.get("mlm"), parts.get("mim"), parts.get("align"), lr)).step(1);
                }
                ran++;
                boolean lastStep = step + 1 == total;
                if ((step + 1) % cfg.checkpointEvery == 0 || lastStep) checkpoint(out, step + 1, model, towerOpt, headOpt);
                if (stopAfter > 0 && ran >= stopAfter && !lastStep) {
                    return new Trainer.Outcome(out, step + 1, first, last, (System.nanoTime() - t0) / 1e9, 0, null);
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path weights = out.resolve("model.safetensors");
        model.save(weights);
        return new Trainer.Outcome(out, total, first, last, seconds, ran > 0 ? ran * (double) cfg.batchSize / seconds : 0, weights);
    }

    private static boolean allFinite(Map<String, NDArray> grads) {
        for (NDArray g : grads.values()) {
            try (NDArray bad = g.isNaN().logicalOr(g.isInfinite()).any()) {
                if (bad.getBoolean()) return false;
            }
        }
        return true;
    }

    private void checkpoint(Path out, long step, ArlModel model, AdamW towerOpt, AdamW headOpt) {
        JsonObject state = new JsonObject();
        state.addProperty("step", step);
        state.addProperty("optimizer_step", towerOpt.stepCount());
        state.addProperty("seed", cfg.seed);
        state.addProperty("rng", "batches, masks, swaps and dropout derive from (seed, step): nothing else to restore");
        state.add("config", org.makekit.util.Json.parse(cfg.toJson()));
        Map<String, NDArray> opt = new LinkedHashMap<>(towerOpt.state());
        opt.putAll(headOpt.state());
        Checkpoint.save(out, step, model.parameters(), opt, state, cfg.keepCheckpoints);
        MetricsLog.plot(out.resolve("metrics.csv"), "pretraining: ARL (" + cfg.model + ")", out.resolve("loss.png"));
    }

    private long restore(Path ckpt, ArlModel model, AdamW towerOpt, AdamW headOpt, NDManager m) {
        JsonObject st = Checkpoint.state(ckpt);
        TrainConfig saved = TrainConfig.fromJson(st.get("config").toString());
        for (String[] f : new String[][] {{"method", saved.method, cfg.method}, {"model", saved.model, cfg.model},
            {"batchSize", "" + saved.batchSize, "" + cfg.batchSize}, {"seed", "" + saved.seed, "" + cfg.seed},
            {"table", saved.table, cfg.table}}) {
            if (!java.util.Objects.equals(f[1], f[2])) {
                throw new KitException("--resume: checkpoint " + ckpt + " was made with " + f[0] + " = " + f[1] + ", this run has " + f[2]);
            }
        }
        model.load(ckpt.resolve("model.safetensors"));
        try (NDScope scope = new NDScope()) {
            Map<String, NDArray> o = Checkpoint.tensors(ckpt.resolve("optimizer.safetensors"), m);
            long n = st.get("optimizer_step").getAsLong();
            towerOpt.load(o, n);
            headOpt.load(o, n);
        }
        return st.get("step").getAsLong();
    }
}
