package org.makekit.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.model.ClipModel;
import org.makekit.model.Features;
import org.makekit.text.Tokenizer;
import org.makekit.train.AdamW;
import org.makekit.train.LossScaler;
import org.makekit.train.Method;
import org.makekit.train.StepComputer;
import org.makekit.train.TextBatch;
import org.makekit.train.TrainStep;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * The kit's side of one benchmark measurement, run in its own JVM so that its peak resident memory
 * is its own. Reads a {@link Fixture}; prints one JSON line (the same fields as {@code bench/twin.py}).
 *
 * <pre>
 *   Worker train  FIXTURE WARMUP STEPS     the real training step: StepComputer + AdamW + logit-scale clamp
 *   Worker embed  FIXTURE BATCHES          image embedding for evaluation (no graph)
 *   Worker loss   FIXTURE float32|float64  the loss on the fixture's weights and batch
 *   Worker stability FIXTURE STEPS EVERY   resident memory every EVERY steps over STEPS training steps
 *   Worker peak                            matmul GFLOP/s only
 * </pre>
 */
public final class Worker {
    private Worker() {}

    /**
     * Fault injection for the determinism sentinel: with {@code -Dmakekit.bench.corrupt=N} the worker
     * replaces one gradient element g (visual.proj[0, 0]) by 1e-3 - g at training step N, which is what
     * a use-after-free that leaves gradients finite but wrong looks like. (A small offset alone would
     * not show: AdamW's first update is lr * sign(g) whatever the magnitude.)
     */
    public static final String CORRUPT_PROPERTY = "makekit.bench.corrupt";

    public static void main(String[] args) throws IOException {
        if (args.length == 0) throw new KitException("Worker: expected train|embed|loss|stability|peak");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("side", "kit");
        out.put("threads", threads());
        switch (args[0]) {
            case "peak" -> {}
            case "train" -> train(Fixture.read(Path.of(args[1])), Integer.parseInt(args[2]), Integer.parseInt(args[3]), 0, DataType.FLOAT32, out);
            case "stability" -> train(Fixture.read(Path.of(args[1])), 0, Integer.parseInt(args[2]), Integer.parseInt(args[3]), DataType.FLOAT32, out);
            case "embed" -> embed(Fixture.read(Path.of(args[1])), Integer.parseInt(args[2]), out);
            case "loss" -> out.putAll(loss(Fixture.read(Path.of(args[1])), args.length > 2 && args[2].equals("float64")
                    ? DataType.FLOAT64 : DataType.FLOAT32));
            default -> throw new KitException("Worker: unknown task '" + args[0] + "'");
        }
        out.put("matmul_gflops", matmulPeak());
        out.put("peak_rss_mb", Memory.peakRssMb());
        // NaN and infinities are written as such (a wrong computation is reported, not a crash).
        System.out.println(new GsonBuilder().serializeSpecialFloatingPointValues().create().toJson(out));
    }

    static int threads() {
        String t = System.getProperty("ai.djl.pytorch.num_threads");
        return t != null ? Integer.parseInt(t) : Runtime.getRuntime().availableProcessors();
    }

    /**
     * The losses of {@code steps} training steps (AdamW, lr 1e-5, logit-scale clamp) from the fixture's
     * weights, computed in {@code dt}: what the twin's {@code train} command reports, step for step.
     */
    @SuppressWarnings("unchecked")
    public static List<Double> trainLosses(Fixture fx, int steps, DataType dt) {
        Map<String, Object> out = new LinkedHashMap<>();
        train(fx, 0, steps, 0, dt, out);
        return (List<Double>) out.get("losses");
    }

    static void train(Fixture fx, int warmup, int steps, int rssEvery, DataType dt, Map<String, Object> out) {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = trainable(fx, m, dt);
            TrainStep plain = new TrainStep(model, List.of(model), stepComputer(fx, model),
                    new AdamW(model.parameters(), 0.9, 0.98, 1e-6, 0.1), LossScaler.none());
            int corrupt = Integer.getInteger(CORRUPT_PROPERTY, 0);
            int[] stepNo = {0};
            TrainStep step = corrupt <= 0 ? plain : plain.withGradientHook(g -> {
                    if (++stepNo[0] != corrupt) return;
                    NDArray x = g.get("visual.proj");
                    double v = x.get("0, 0").toType(DataType.FLOAT64, false).getDouble();
                    x.set(new ai.djl.ndarray.index.NDIndex("0, 0"), 1e-3 - v); // a sign flip: AdamW's first update is sign(g)
                    System.err.println("worker: perturbed one gradient element at step " + corrupt + " (sentinel check)");
                });
            TextBatch tb = fx.texts();
            List<Double> times = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            List<double[]> rss = new ArrayList<>();
            for (int s = 0; s < warmup + steps; s++) {
                long t0 = System.nanoTime();
                double loss = step.run(fx.pixels(), fx.rows(), tb, 1e-5).loss();
                double secs = (System.nanoTime() - t0) / 1e9;
                if (s >= warmup) times.add(secs);
                losses.add(loss);
                if (rssEvery > 0 && (s + 1) % rssEvery == 0) {
                    rss.add(new double[] {s + 1, Memory.currentRssMb(), Runtime.getRuntime().totalMemory() / 1048576.0});
                    System.err.printf(java.util.Locale.ROOT, "step %d  rss %.0f MB  loss %.4f%n", s + 1, Memory.currentRssMb(), loss);
                }
            }
            out.put("step_s", times);
            out.put("losses", losses);
            out.put("images", fx.batch());
            if (rssEvery > 0) out.put("rss", rss);
        }
    }

    static void embed(Fixture fx, int batches, Map<String, Object> out) {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipModel.load(fx.config(), fx.weights(), m, DataType.FLOAT32);
            int b = fx.batch();
            int size = fx.config().vision().imageSize();
            List<Double> times = new ArrayList<>();
            for (int s = 0; s < batches + 1; s++) {
                long t0 = System.nanoTime();
                try (NDScope scope = new NDScope()) {
                    NDArray x = Tensors.of(m, fx.pixels(), new Shape(b, 3, size, size));
                    NDArray g = Features.l2normalize(model.encodeImage(x, null).global());
                    g.toFloatArray();
                }
                if (s > 0) times.add((System.nanoTime() - t0) / 1e9);
            }
            out.put("batch_s", times);
            out.put("images", b);
        }
    }

    /** The kit's loss (and its parts) on the fixture's weights and batch, computed in {@code dt}. */
    public static Map<String, Object> loss(Fixture fx, DataType dt) {
        Map<String, Object> out = new LinkedHashMap<>();
        try (NDManager m = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            StepComputer.Result r = stepComputer(fx, trainable(fx, m, dt)).compute(fx.pixels(), fx.rows(), fx.texts(), 1.0);
            out.put("loss", r.loss());
            out.put("parts", r.parts());
        }
        return out;
    }

    /** The fixture's weights, loaded in {@code dt} with autograd on. */
    static ClipModel trainable(Fixture fx, NDManager m, DataType dt) {
        ClipModel model = ClipModel.load(fx.config(), fx.weights(), m, dt);
        model.requireGradients();
        return model;
    }

    /** The trainer's step (direct, no micro-batches) for the fixture's method, loss mode and K. */
    static StepComputer stepComputer(Fixture fx, ClipModel model) {
        return new StepComputer(model.parameters(), List.of(model), fx.method(), new Method.Settings(fx.mode(), fx.k(), 0.0),
                Tokenizer.forConfig(fx.config()), 0, fx.textChunk());
    }

    /** GFLOP/s of a 1024 x 1024 float32 matmul on this engine and thread count. */
    public static double matmulPeak() {
        int n = 1024;
        int reps = 20;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.randomNormal(new Shape(n, n));
            NDArray b = m.randomNormal(new Shape(n, n));
            for (int i = 0; i < 3; i++) {
                try (NDScope s = new NDScope()) {
                    a.matMul(b).toFloatArray();
                }
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) {
                try (NDScope s = new NDScope()) {
                    NDArray c = a.matMul(b);
                    if (i == reps - 1) c.getFloat(0, 0);
                }
            }
            return 2.0 * n * n * n * reps / ((System.nanoTime() - t0) / 1e9) / 1e9;
        }
    }

    /** Peak and current resident memory of this process, from /proc/self/status (Linux). */
    public static final class Memory {
        private Memory() {}

        public static double peakRssMb() {
            return field("VmHWM:");
        }

        public static double currentRssMb() {
            return field("VmRSS:");
        }

        private static double field(String key) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(key)) return Double.parseDouble(line.substring(key.length()).trim().split("\\s+")[0]) / 1024.0;
                }
            } catch (IOException | RuntimeException e) {
                return Double.NaN;
            }
            return Double.NaN;
        }
    }
}
