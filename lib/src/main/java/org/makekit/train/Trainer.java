package org.makekit.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
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
import org.makekit.data.BatchLoader;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;
import org.makekit.util.Devices;
import org.makekit.util.KitException;
import org.makekit.util.Progress;

/**
 * Pretraining of any registered {@link Method} on a training table. Writes a per-step metrics log
 * ({@link MetricsLog}), a loss/learning-rate plot, checkpoints (OpenCLIP-named weights, optimizer
 * state, step, loss scaler, config) every N steps and at the end, and the final weights; with
 * {@code resume} it continues from the latest checkpoint exactly where an uninterrupted run would be.
 *
 * <p>In parts: {@link #open} sets a run up (table, model, replicas, optimizer, resume); {@link TrainStep}
 * takes one step; {@link #loop} runs the steps, logs and checkpoints. Evaluation after training is
 * the caller's (the experiments layer's Pretraining runs the zero-shot check).
 */
public final class Trainer {
    private final TrainConfig cfg;
    private final boolean showProgress;
    /** Stop after this many steps in this process (simulates a kill in tests); 0 = none. */
    private long stopAfter;
    private final List<Double> losses = new ArrayList<>();

    public Trainer(TrainConfig cfg, boolean showProgress) {
        this.cfg = cfg;
        this.showProgress = showProgress;
    }

    public Trainer stopAfter(long steps) {
        this.stopAfter = steps;
        return this;
    }

    /** Losses of the steps this process ran, in order. */
    public List<Double> losses() {
        return losses;
    }

    /** What a run produced; {@code weights} is null when the run was stopped before its last step. */
    public record Outcome(Path out, long steps, double firstLoss, double lastLoss, double seconds, double imagesPerSecond,
                          Path weights) {}

    /** A run between its steps: data, models, the step, the schedule and where it starts. */
    public record Session(Method method, Path out, ClipModel master, TrainStep step,
                          NDManager masterManager, List<NDManager> replicaManagers, BatchLoader loader, long total, long start,
                          Schedule schedule) implements AutoCloseable {
        @Override
        public void close() {
            loader.close();
            for (NDManager m : replicaManagers) m.close();
            masterManager.close();
        }
    }

    public Outcome run(boolean resume) {
        if (Method.parse(cfg.method).needs(Method.Output.FUSION)) {
            ArlTrainer t = new ArlTrainer(cfg, showProgress).stopAfter(stopAfter);
            Outcome o = t.run(resume);
            losses.addAll(t.losses());
            return o;
        }
        try (Session s = open(resume)) {
            return loop(s);
        }
    }

    /** Checks the config, reads the table, builds the models and the step, and restores a checkpoint if asked. */
    public Session open(boolean resume) {
        Method method = Method.parse(cfg.method);
        Method.Settings settings = cfg.settings();
        List<TrainingRow> train = trainingRows(cfg);
        validate(cfg, train.size());
        Path out = Path.of(cfg.out);
        Path ckpt = checkpointToResume(out, resume);
        ModelConfig mc = ModelConfig.load(cfg.model);
        List<Device> devices = Devices.parse(cfg.device);
        NDManager masterMgr = NDManager.newBaseManager(devices.get(0));
        List<NDManager> replicaMgrs = new ArrayList<>();
        BatchLoader loader = null;
        try {
            boolean fresh = org.makekit.data.Weights.resolve(cfg.init) == null;
            ClipModel master = fresh ? ClipModel.create(mc, masterMgr, cfg.seed, DataType.FLOAT32)
                    : org.makekit.data.Weights.open(mc, cfg.init, masterMgr, DataType.FLOAT32);
            method.objective().create(settings).prepare(master, fresh);
            master.requireGradients();
            List<ClipModel> replicas = replicas(master, devices, replicaMgrs);
            StepComputer sc = new StepComputer(master.parameters(), replicas, method, settings, Tokenizer.forConfig(mc),
                    cfg.microBatch, cfg.textChunk).withMedCutMix(medCutMix(settings));
            TrainStep step = new TrainStep(master, replicas, sc, new AdamW(master.parameters(), cfg.beta1, cfg.beta2, cfg.eps,
                    cfg.weightDecay), fp16() ? LossScaler.defaults() : LossScaler.none());
            loader = new BatchLoader(train, imageRoot(cfg), cfg.batchSize, mc.vision().imageSize(), true, cfg.seed, cfg.workers,
                    cfg.prefetch);
            long total = cfg.steps > 0 ? cfg.steps : (long) cfg.epochs * loader.batchesPerEpoch();
            if (cfg.sampler != null && !cfg.sampler.equals("random")) {
                if (!cfg.sampler.equals("ontology")) throw new KitException("--sampler '" + cfg.sampler + "': expected random or ontology");
                org.makekit.knowledge.Ontology ont = settings.loadOntology();
                int[] labels = train.stream().mapToInt(r -> ont.indexOf(r.diagnosis())).toArray();
                OntologySampler os = new OntologySampler(labels, ont::wuPalmer, cfg.batchSize,
                        (int) ((total + loader.batchesPerEpoch() - 1) / loader.batchesPerEpoch()), cfg.seed);
                loader.withSampler(os);
                System.err.println("batches from the " + os);
            }
            long start = ckpt == null ? 0 : restore(ckpt, step, masterMgr);
            if (ckpt != null) System.err.println("resumed from " + ckpt + " at step " + start);
            Files.writeString(out.resolve("config.json"), cfg.toJson());
            return new Session(method, out, master, step, masterMgr, replicaMgrs, loader, total, start,
                    new Schedule(cfg.lr, cfg.warmup, total));
        } catch (IOException | RuntimeException e) {
            if (loader != null) loader.close();
            for (NDManager m : replicaMgrs) m.close();
            masterMgr.close();
            if (e instanceof IOException io) throw new KitException("cannot write to " + out, io);
            throw (RuntimeException) e;
        }
    }

    /** MedCutMix as the config says (null: off), finding diagnostic sentences with the run's ontology and lexicon. */
    private org.makekit.augment.MedCutMix medCutMix(Method.Settings settings) {
        if (!medCutMixOn(cfg)) return null;
        var lexicon = cfg.concepts == null ? org.makekit.knowledge.ConceptLexicon.builtin()
                : org.makekit.knowledge.ConceptLexicon.load(Path.of(cfg.concepts));
        var ontology = settings.loadOntology();
        var finder = new org.makekit.augment.DiagnosticSentences(ontology, lexicon);
        var m = new org.makekit.augment.MedCutMix(org.makekit.augment.MedCutMix.Options.parse(cfg.medcutmix), finder, cfg.seed);
        System.err.println("medcutmix " + m.options().spec() + " (diagnostic sentences from the " + ontology.source() + ")");
        return m;
    }

    /** Whether the config asks for MedCutMix (null, blank and "off" mean no). */
    static boolean medCutMixOn(TrainConfig cfg) {
        return cfg.medcutmix != null && !cfg.medcutmix.isBlank() && !cfg.medcutmix.equalsIgnoreCase("off");
    }

    static List<TrainingRow> trainingRows(TrainConfig cfg) {
        if (cfg.table == null) throw new KitException("no training table: give --table (see the augment script)");
        List<TrainingRow> all = TrainingTable.read(Path.of(cfg.table));
        boolean hasSplits = all.stream().anyMatch(r -> !r.split().isEmpty());
        return hasSplits ? all.stream().filter(r -> r.split().equals(cfg.trainSplit)).toList() : all;
    }

    static Path imageRoot(TrainConfig cfg) {
        return cfg.imageRoot != null ? Path.of(cfg.imageRoot) : Path.of(cfg.table).toAbsolutePath().getParent();
    }

    private boolean fp16() {
        return cfg.precision.equals("fp16");
    }

    static void validate(TrainConfig cfg, int trainRows) {
        if (trainRows < cfg.batchSize) {
            throw new KitException("training table " + cfg.table + " has " + trainRows + " '" + cfg.trainSplit
                    + "' rows, fewer than the batch size " + cfg.batchSize);
        }
        if (!(cfg.lr > 0) || Double.isInfinite(cfg.lr)) throw new KitException("--lr must be a positive number, got " + cfg.lr);
        if (!cfg.precision.equals("fp32") && !cfg.precision.equals("fp16")) {
            throw new KitException("--precision '" + cfg.precision + "': expected fp32 or fp16 (bf16 crashes DJL 0.36)");
        }
    }

    static Path checkpointToResume(Path out, boolean resume) {
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new KitException("cannot create " + out, e);
        }
        Checkpoint.cleanTemporaries(out);
        Path ckpt = resume ? Checkpoint.latest(out) : null;
        if (resume && ckpt == null) System.err.println("no checkpoint in " + out + ": starting from step 0");
        if (!resume && Checkpoint.latest(out) != null) {
            throw new KitException(out + " already holds checkpoints: pass --resume to continue, or choose another --out");
        }
        return ckpt;
    }

    /** The models that compute: the master itself (one float32 device), else one replica per device. */
    private List<ClipModel> replicas(ClipModel master, List<Device> devices, List<NDManager> managers) {
        List<ClipModel> replicas = new ArrayList<>();
        if (devices.size() == 1 && !fp16()) {
            replicas.add(master);
            return replicas;
        }
        for (Device d : devices) {
            NDManager rm = NDManager.newBaseManager(d);
            managers.add(rm);
            ClipModel r = master.replica(rm, fp16() ? DataType.FLOAT16 : DataType.FLOAT32);
            r.requireGradients();
            replicas.add(r);
        }
        return replicas;
    }

    /** Runs the session's steps: log each, checkpoint every N and at the end, then save the final weights. */
    public Outcome loop(Session s) {
        long t0 = System.nanoTime();
        double first = Double.NaN;
        double last = Double.NaN;
        int nonFinite = 0;
        long ran = 0;
        Iterator<BatchLoader.Batch> it = null;
        long itEpoch = -1;
        long bpe = s.loader().batchesPerEpoch();
        List<String> columns = MetricsLog.columns(s.step().computer().objective().partNames());
        CollapseWatch watch = new CollapseWatch(s.step().computer().objective());
        try (MetricsLog log = MetricsLog.open(s.out().resolve("metrics.csv"), columns, s.start());
             Progress p = showProgress ? new Progress("pretrain " + s.method().id(), s.total(), "step").resumeAt(s.start()) : null) {
            for (long step = s.start(); step < s.total(); step++) {
                long epoch = step / bpe;
                if (it == null || itEpoch != epoch) {
                    it = s.loader().epoch((int) epoch, (int) (step % bpe));
                    itEpoch = epoch;
                    s.step().computer().objective().startEpoch((int) epoch, (int) ((s.total() + bpe - 1) / bpe));
                }
                long ts = System.nanoTime();
                BatchLoader.Batch batch = it.next();
                double lr = s.schedule().lr(step);
                TrainStep.Outcome o = s.step().run(batch.pixels(), batch.rows(), cfg.k, lr);
                nonFinite = o.result().finite() ? 0 : reportNonFinite(o, s.step().scaler(), step, nonFinite + 1);
                double secs = (System.nanoTime() - ts) / 1e9;
                if (Double.isNaN(first)) first = o.loss();
                last = o.loss();
                losses.add(o.loss());
                log.write(row(step, epoch, o, lr, batch.size() / secs, s.step().scaler(), secs));
                String collapsed = watch.update(o.result().parts(), batch.size());
                if (p != null) p.extra(String.format(Locale.ROOT, "loss %.4f  lr %.2e%s", o.loss(), lr, collapsed)).step(1);
                ran++;
                boolean lastStep = step + 1 == s.total();
                if ((step + 1) % cfg.checkpointEvery == 0 || lastStep) checkpoint(s, step + 1);
                if (stopAfter > 0 && ran >= stopAfter && !lastStep) {
                    return new Outcome(s.out(), step + 1, first, last, (System.nanoTime() - t0) / 1e9, 0, null);
                }
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path weights = s.out().resolve("model.safetensors");
        s.master().save(weights);
        return new Outcome(s.out(), s.total(), first, last, seconds, ran > 0 ? ran * (double) cfg.batchSize / seconds : 0, weights);
    }

    /** Says what was not finite; returns the count of non-finite steps in a row, stopping an fp32 run at the limit. */
    private int reportNonFinite(TrainStep.Outcome o, LossScaler scaler, long step, int inARow) {
        StepComputer.Result r = o.result();
        System.err.printf(Locale.ROOT, "step %d: non-finite value in %s (loss %s): step skipped%s%n", step + 1,
                r.firstNonFinite() == null ? "a gradient" : "the gradient of " + r.firstNonFinite(), r.loss(),
                fp16() ? ", loss scale now " + scaler.scale() : "");
        if (!fp16() && inARow >= cfg.maxNonFinite) {
            throw new KitException(inARow + " non-finite steps in a row at step " + (step + 1)
                    + ": stopping (the last checkpoint is intact; lower --lr or check the data)");
        }
        return inARow;
    }

    private static Map<String, Double> row(long step, long epoch, TrainStep.Outcome o, double lr, double imagesPerSecond,
                                           LossScaler scaler, double secs) {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("step", (double) (step + 1));
        v.put("epoch", (double) epoch);
        v.put("loss", o.loss());
        v.putAll(o.result().parts());
        v.put("lr", lr);
        v.put("logit_scale", o.logitScale());
        v.put("images_per_s", imagesPerSecond);
        v.put("loss_scale", scaler.scale());
        v.put("skipped", (double) scaler.skipped());
        v.put("seconds", secs);
        return v;
    }

    private void checkpoint(Session s, long step) {
        saveCheckpoint(s.out(), step, s.master(), s.step().optimizer(), s.step().scaler());
        MetricsLog.plot(s.out().resolve("metrics.csv"), "pretraining: " + s.method().description(), s.out().resolve("loss.png"));
    }

    private void saveCheckpoint(Path out, long step, ClipModel master, AdamW opt, LossScaler scaler) {
        for (Map.Entry<String, NDArray> e : master.parameters().entrySet()) {
            NDArray bad = e.getValue().isNaN().logicalOr(e.getValue().isInfinite()).any();
            boolean nonFinite = bad.getBoolean();
            bad.close();
            if (nonFinite) {
                throw new KitException("weights '" + e.getKey() + "' are not finite at step " + step
                        + ": no checkpoint written (the previous one is intact)");
            }
        }
        JsonObject state = new JsonObject();
        state.addProperty("step", step);
        state.addProperty("optimizer_step", opt.stepCount());
        state.addProperty("loss_scale", scaler.scale());
        state.addProperty("loss_scale_good_steps", scaler.goodSteps());
        state.addProperty("skipped_steps", scaler.skipped());
        state.addProperty("seed", cfg.seed);
        state.addProperty("rng", "batches and augmentations derive from (seed, epoch, sample): nothing else to restore");
        state.add("config", org.makekit.util.Json.parse(cfg.toJson()));
        Checkpoint.save(out, step, master.parameters(), opt.state(), state, cfg.keepCheckpoints);
    }

    private long restore(Path ckpt, TrainStep step, NDManager m) {
        JsonObject st = Checkpoint.state(ckpt);
        TrainConfig saved = TrainConfig.fromJson(st.get("config").toString());
        for (String[] f : new String[][] {{"method", saved.method, cfg.method}, {"model", saved.model, cfg.model},
            {"mode", saved.mode, cfg.mode}, {"batchSize", "" + saved.batchSize, "" + cfg.batchSize},
            {"seed", "" + saved.seed, "" + cfg.seed}, {"table", saved.table, cfg.table}}) {
            if (!java.util.Objects.equals(f[1], f[2])) {
                throw new KitException("--resume: checkpoint " + ckpt + " was made with " + f[0] + " = " + f[1]
                        + ", this run has " + f[2]);
            }
        }
        Map<String, NDArray> params = step.master().parameters();
        try (NDScope scope = new NDScope()) {
            Map<String, NDArray> w = Checkpoint.tensors(ckpt.resolve("model.safetensors"), m);
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                NDArray src = w.get(e.getKey());
                if (src == null) throw new KitException("checkpoint " + ckpt + " lacks weights '" + e.getKey() + "'");
                e.getValue().set(new NDIndex("..."), src.reshape(e.getValue().getShape()).toType(e.getValue().getDataType(), false));
            }
            step.optimizer().load(Checkpoint.tensors(ckpt.resolve("optimizer.safetensors"), m), st.get("optimizer_step").getAsLong());
        }
        step.scaler().restore(st.get("loss_scale").getAsDouble(), st.get("loss_scale_good_steps").getAsInt(),
                st.get("skipped_steps").getAsLong());
        step.syncReplicas();
        return st.get("step").getAsLong();
    }
}
