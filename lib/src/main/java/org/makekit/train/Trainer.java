package org.makekit.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.data.BatchLoader;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.eval.ZeroShotEval;
import org.makekit.loss.MakeLoss;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.model.Safetensors;
import org.makekit.report.Plots;
import org.makekit.report.Progress;
import org.makekit.text.Tokenizer;
import org.makekit.util.Devices;
import org.makekit.util.KitException;

/**
 * Pretraining: CLIP, SigLIP and MAKE (with Table 3's ablation rows) on a training table. Writes a
 * per-step metrics CSV, a loss/learning-rate plot, checkpoints (OpenCLIP-named weights, optimizer
 * state, step, loss scaler, config) every N steps and at the end, and the final weights; with
 * {@code resume} it continues from the latest checkpoint exactly where an uninterrupted run would be.
 */
public final class Trainer {
    public static final String METRICS_HEADER = "step,epoch,loss,mkcl_i2t,mkcl_t2i,slra,lr,logit_scale,images_per_s,loss_scale,skipped,seconds";

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

    /** What a run produced. */
    public record Outcome(Path out, long steps, double firstLoss, double lastLoss, double seconds, double imagesPerSecond,
                          ZeroShotEval.Result zeroShot) {}

    public Outcome run(boolean resume) {
        Method method = Method.parse(cfg.method);
        MakeLoss.Mode mode = MakeLoss.Mode.parse(cfg.mode);
        if (cfg.table == null) throw new KitException("no training table: give --table (see the augment script)");
        Path table = Path.of(cfg.table);
        Path out = Path.of(cfg.out);
        Path imageRoot = cfg.imageRoot != null ? Path.of(cfg.imageRoot) : table.toAbsolutePath().getParent();
        List<TrainingRow> all = TrainingTable.read(table);
        boolean hasSplits = all.stream().anyMatch(r -> !r.split().isEmpty());
        List<TrainingRow> train = hasSplits ? all.stream().filter(r -> r.split().equals(cfg.trainSplit)).toList() : all;
        if (train.size() < cfg.batchSize) {
            throw new KitException("training table " + table + " has " + train.size() + " '" + cfg.trainSplit
                    + "' rows, fewer than the batch size " + cfg.batchSize);
        }
        if (!(cfg.lr > 0) || Double.isInfinite(cfg.lr)) throw new KitException("--lr must be a positive number, got " + cfg.lr);
        if (!cfg.precision.equals("fp32") && !cfg.precision.equals("fp16")) {
            throw new KitException("--precision '" + cfg.precision + "': expected fp32 or fp16 (bf16 crashes DJL 0.36)");
        }
        ModelConfig mc = ModelConfig.load(cfg.model);
        Tokenizer tok = Tokenizer.forConfig(mc);
        List<Device> devices = Devices.parse(cfg.device);
        boolean fp16 = cfg.precision.equals("fp16");
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

        try (NDManager masterMgr = NDManager.newBaseManager(devices.get(0));
             BatchLoader loader = new BatchLoader(train, imageRoot, cfg.batchSize, mc.vision().imageSize(), true, cfg.seed,
                     cfg.workers, cfg.prefetch)) {
            ClipModel master = cfg.init != null ? ClipModel.load(mc, Path.of(cfg.init), masterMgr, DataType.FLOAT32)
                    : ClipModel.create(mc, masterMgr, cfg.seed, DataType.FLOAT32);
            if (method.isSigLip() && !master.parameters().containsKey(ClipModel.LOGIT_BIAS)) {
                master.ensureLogitBias(-10);
                if (cfg.init == null) ClipModel.setScalar(master.param("logit_scale"), Math.log(10));
            }
            master.requireGradients();
            List<ClipModel> replicas = new ArrayList<>();
            List<NDManager> replicaMgrs = new ArrayList<>();
            if (devices.size() == 1 && !fp16) {
                replicas.add(master);
            } else {
                for (Device d : devices) {
                    NDManager rm = NDManager.newBaseManager(d);
                    replicaMgrs.add(rm);
                    ClipModel r = master.replica(rm, fp16 ? DataType.FLOAT16 : DataType.FLOAT32);
                    r.requireGradients();
                    replicas.add(r);
                }
            }
            AdamW opt = new AdamW(master.parameters(), cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay);
            LossScaler scaler = fp16 ? LossScaler.defaults() : LossScaler.none();
            long bpe = loader.batchesPerEpoch();
            long total = cfg.steps > 0 ? cfg.steps : (long) cfg.epochs * bpe;
            Schedule schedule = new Schedule(cfg.lr, cfg.warmup, total);
            long start = 0;
            if (ckpt != null) {
                start = restore(ckpt, master, opt, scaler, masterMgr);
                syncReplicas(master, replicas);
                System.err.println("resumed from " + ckpt + " at step " + start);
            }
            Path metrics = out.resolve("metrics.csv");
            truncateMetrics(metrics, start);
            Files.writeString(out.resolve("config.json"), cfg.toJson());
            StepComputer sc = new StepComputer(master.parameters(), replicas, new Objective(method, mode, cfg.k), tok,
                    cfg.microBatch, cfg.textChunk);
            long t0 = System.nanoTime();
            double first = Double.NaN;
            double last = Double.NaN;
            int nonFinite = 0;
            long ran = 0;
            Iterator<BatchLoader.Batch> it = null;
            long itEpoch = -1;
            try (BufferedWriter mw = Files.newBufferedWriter(metrics, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
                 Progress p = showProgress ? new Progress("pretrain " + method.id, total, "step") : null) {
                if (Files.size(metrics) == 0) mw.write(METRICS_HEADER + "\n");
                if (p != null) p.step(start);
                for (long step = start; step < total; step++) {
                    long epoch = step / bpe;
                    if (it == null || itEpoch != epoch) {
                        it = loader.epoch((int) epoch, (int) (step % bpe));
                        itEpoch = epoch;
                    }
                    long ts = System.nanoTime();
                    BatchLoader.Batch batch = it.next();
                    double lr = schedule.lr(step);
                    StepComputer.Result r;
                    boolean applied;
                    double logitScale;
                    try (NDScope scope = new NDScope()) {
                        r = sc.compute(batch.pixels(), batch.size(), TextBatch.of(batch.rows(), method.layout(), cfg.k),
                                scaler.scale());
                        applied = scaler.update(r.finite());
                        if (applied) {
                            opt.step(r.grads(), lr);
                            master.clampLogitScale();
                            syncReplicas(master, replicas);
                        }
                        logitScale = master.param("logit_scale").exp().toType(DataType.FLOAT64, false).getDouble();
                    }
                    if (!r.finite()) {
                        nonFinite++;
                        System.err.printf(Locale.ROOT, "step %d: non-finite value in %s (loss %s): step skipped%s%n",
                                step + 1, r.firstNonFinite() == null ? "a gradient" : "the gradient of " + r.firstNonFinite(),
                                r.loss(), fp16 ? ", loss scale now " + scaler.scale() : "");
                        if (!fp16 && nonFinite >= cfg.maxNonFinite) {
                            throw new KitException(nonFinite + " non-finite steps in a row at step " + (step + 1)
                                    + ": stopping (the last checkpoint is intact; lower --lr or check the data)");
                        }
                    } else {
                        nonFinite = 0;
                    }
                    double secs = (System.nanoTime() - ts) / 1e9;
                    if (Double.isNaN(first)) first = r.loss();
                    last = r.loss();
                    losses.add(r.loss());
                    mw.write(String.format(Locale.ROOT, "%d,%d,%.6f,%s,%s,%s,%.8g,%.5f,%.2f,%.1f,%d,%.3f%n", step + 1, epoch,
                            r.loss(), part(r, "mkcl_i2t"), part(r, "mkcl_t2i"), part(r, "slra"), lr, logitScale,
                            batch.size() / secs, scaler.scale(), scaler.skipped(), secs));
                    mw.flush();
                    if (p != null) {
                        p.extra(String.format(Locale.ROOT, "loss %.4f  lr %.2e", r.loss(), lr));
                        p.step(1);
                    }
                    ran++;
                    boolean lastStep = step + 1 == total;
                    if ((step + 1) % cfg.checkpointEvery == 0 || lastStep) {
                        saveCheckpoint(out, step + 1, master, opt, scaler);
                        plot(out, method);
                    }
                    if (stopAfter > 0 && ran >= stopAfter && !lastStep) {
                        return new Outcome(out, step + 1, first, last, (System.nanoTime() - t0) / 1e9, 0, null);
                    }
                }
            } catch (IOException e) {
                throw new KitException("cannot write " + metrics, e);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            master.save(out.resolve("model.safetensors"));
            ZeroShotEval.Result zs = null;
            if (cfg.evalSplit != null && !cfg.evalSplit.isEmpty()) {
                List<TrainingRow> evalRows = all.stream().filter(r -> r.split().equals(cfg.evalSplit)).toList();
                if (!evalRows.isEmpty() && evalRows.stream().anyMatch(r -> !r.label().isEmpty())) {
                    zs = ZeroShotEval.run(master, tok, evalRows, imageRoot, ZeroShotEval.classesFor(evalRows),
                            Math.min(64, Math.max(8, cfg.batchSize)), cfg.workers);
                    Files.writeString(out.resolve("zero-shot.json"), new com.google.gson.GsonBuilder().setPrettyPrinting()
                            .create().toJson(zs.asMap()));
                }
            }
            for (NDManager rm : replicaMgrs) rm.close();
            double ips = ran > 0 ? ran * (double) cfg.batchSize / seconds : 0;
            return new Outcome(out, total, first, last, seconds, ips, zs);
        } catch (IOException e) {
            throw new KitException("cannot write to " + out, e);
        }
    }

    private static String part(StepComputer.Result r, String k) {
        Double v = r.parts().get(k);
        return v == null ? "" : String.format(Locale.ROOT, "%.6f", v);
    }

    static void syncReplicas(ClipModel master, List<ClipModel> replicas) {
        for (ClipModel r : replicas) {
            if (r == master) continue;
            for (Map.Entry<String, NDArray> e : master.parameters().entrySet()) {
                NDArray dst = r.parameters().get(e.getKey());
                dst.set(new NDIndex("..."), e.getValue().toDevice(dst.getDevice(), false).toType(dst.getDataType(), false));
            }
        }
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

    private long restore(Path ckpt, ClipModel master, AdamW opt, LossScaler scaler, NDManager m) {
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
        try (NDScope scope = new NDScope()) {
            Map<String, NDArray> w = Checkpoint.tensors(ckpt.resolve("model.safetensors"), m);
            for (Map.Entry<String, NDArray> e : master.parameters().entrySet()) {
                NDArray src = w.get(e.getKey());
                if (src == null) throw new KitException("checkpoint " + ckpt + " lacks weights '" + e.getKey() + "'");
                e.getValue().set(new NDIndex("..."), src.reshape(e.getValue().getShape()).toType(e.getValue().getDataType(), false));
            }
            opt.load(Checkpoint.tensors(ckpt.resolve("optimizer.safetensors"), m), st.get("optimizer_step").getAsLong());
        }
        scaler.restore(st.get("loss_scale").getAsDouble(), st.get("loss_scale_good_steps").getAsInt(),
                st.get("skipped_steps").getAsLong());
        return st.get("step").getAsLong();
    }

    /** Keeps only the metrics rows up to {@code step} (a resumed run rewrites what came after the checkpoint). */
    static void truncateMetrics(Path metrics, long step) {
        try {
            if (!Files.exists(metrics)) return;
            List<String> keep = new ArrayList<>();
            for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
                if (line.startsWith("step,")) {
                    keep.add(line);
                    continue;
                }
                String[] f = line.split(",", 2);
                try {
                    if (f.length == 2 && Long.parseLong(f[0]) <= step) keep.add(line);
                } catch (NumberFormatException e) {
                    // a line cut by a kill
                }
            }
            Safetensors.writeAtomically(metrics, o -> o.write((String.join("\n", keep) + (keep.isEmpty() ? "" : "\n"))
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new KitException("cannot rewrite " + metrics, e);
        }
    }

    /** Writes loss.png from metrics.csv. */
    static void plot(Path out, Method method) {
        try {
            List<Double> s = new ArrayList<>();
            List<Double> l = new ArrayList<>();
            List<Double> lr = new ArrayList<>();
            for (String line : Files.readAllLines(out.resolve("metrics.csv"))) {
                if (line.startsWith("step,")) continue;
                String[] f = line.split(",");
                s.add(Double.parseDouble(f[0]));
                l.add(Double.parseDouble(f[2]));
                lr.add(Double.parseDouble(f[6]));
            }
            if (s.size() > 1) Plots.savePng(Plots.lossCurve("pretraining: " + method.description, s, l, lr), out.resolve("loss.png"));
        } catch (IOException | RuntimeException e) {
            System.err.println("warning: could not draw loss.png: " + e.getMessage());
        }
    }
}
