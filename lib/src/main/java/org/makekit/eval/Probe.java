package org.makekit.eval;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.makekit.loss.CocaLoss;
import org.makekit.train.AdamW;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * A head trained on frozen features: a linear classifier ({@code hidden = 0}: a linear probe, the fine-tuning
 * classifier of ARL's MELINDA task with the backbone frozen) or ARL's VQA head (Linear, LayerNorm, GELU, Linear).
 * Features are standardised with the training set's mean and sd; full-batch AdamW on the mean cross-entropy;
 * initial weights drawn in Java from the seed, so a fit is deterministic.
 */
public final class Probe {
    /**
     * @param hidden      width of the hidden layer (0: linear)
     * @param epochs      full-batch steps
     * @param lr          AdamW's learning rate
     * @param weightDecay AdamW's decoupled weight decay
     */
    public record Options(int hidden, int epochs, double lr, double weightDecay, long seed) {
        public static Options linear() {
            return new Options(0, 300, 1e-2, 1e-4, 0);
        }

        public static Options vqaHead(int hidden) {
            return new Options(hidden, 300, 3e-3, 1e-4, 0);
        }
    }

    private final double[] mean;
    private final double[] sd;
    private final Map<String, float[]> weights;
    private final Map<String, Shape> shapes;
    private final Options options;

    private Probe(double[] mean, double[] sd, Map<String, float[]> weights, Map<String, Shape> shapes, Options options) {
        this.mean = mean;
        this.sd = sd;
        this.weights = weights;
        this.shapes = shapes;
        this.options = options;
    }

    /** Fits the head on features x (N, D) with labels y in [0, classes). */
    public static Probe fit(float[][] x, int[] y, int classes, Options o) {
        if (x.length == 0 || x.length != y.length) throw new KitException("probe: " + x.length + " feature rows for " + y.length + " labels");
        int d = x[0].length;
        double[] mean = new double[d];
        double[] sd = new double[d];
        for (float[] r : x) for (int j = 0; j < d; j++) mean[j] += r[j] / (double) x.length;
        for (float[] r : x) for (int j = 0; j < d; j++) sd[j] += (r[j] - mean[j]) * (r[j] - mean[j]) / x.length;
        for (int j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) + 1e-6;
        for (int label : y) if (label < 0 || label >= classes) throw new KitException("probe: label " + label + " outside 0.." + (classes - 1));
        Map<String, Shape> shapes = new LinkedHashMap<>();
        if (o.hidden() > 0) {
            shapes.put("fc1.weight", new Shape(o.hidden(), d));
            shapes.put("fc1.bias", new Shape(o.hidden()));
            shapes.put("ln.weight", new Shape(o.hidden()));
            shapes.put("ln.bias", new Shape(o.hidden()));
            shapes.put("fc2.weight", new Shape(classes, o.hidden()));
        } else {
            shapes.put("fc2.weight", new Shape(classes, d));
        }
        shapes.put("fc2.bias", new Shape(classes));
        SplittableRandom rng = new SplittableRandom(o.seed());
        Map<String, float[]> init = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            float[] v = new float[(int) e.getValue().size()];
            if (e.getKey().equals("ln.weight")) java.util.Arrays.fill(v, 1f);
            else if (e.getKey().endsWith("weight")) {
                double std = 1 / Math.sqrt(e.getValue().get(1));
                for (int i = 0; i < v.length; i++) v[i] = (float) (std * rng.nextGaussian());
            }
            init.put(e.getKey(), v);
        }
        Probe p = new Probe(mean, sd, init, shapes, o);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            init.forEach((k, v) -> params.put(k, Tensors.of(m, v, shapes.get(k))));
            for (NDArray a : params.values()) a.setRequiresGradient(true);
            AdamW opt = new AdamW(params, 0.9, 0.999, 1e-8, o.weightDecay());
            NDArray xs = p.standardised(m, x);
            for (int epoch = 0; epoch < o.epochs(); epoch++) {
                try (NDScope scope = new NDScope()) {
                    for (NDArray a : params.values()) if (a.hasGradient()) a.getGradient().set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(CocaLoss.captionLoss(logits(params, xs, o.hidden()), toLong(y)));
                    }
                    Map<String, NDArray> grads = new LinkedHashMap<>();
                    params.forEach((k, a) -> grads.put(k, a.getGradient()));
                    opt.step(grads, o.lr());
                }
            }
            params.forEach((k, a) -> init.put(k, a.toType(DataType.FLOAT32, false).toFloatArray()));
        }
        return p;
    }

    private static long[] toLong(int[] y) {
        long[] out = new long[y.length];
        for (int i = 0; i < y.length; i++) out[i] = y[i];
        return out;
    }

    private NDArray standardised(NDManager m, float[][] x) {
        int d = mean.length;
        float[] flat = new float[x.length * d];
        for (int i = 0; i < x.length; i++) {
            if (x[i].length != d) throw new KitException("probe: feature row " + i + " has " + x[i].length + " values, the fit had " + d);
            for (int j = 0; j < d; j++) flat[i * d + j] = (float) ((x[i][j] - mean[j]) / sd[j]);
        }
        return Tensors.of(m, flat, new Shape(x.length, d));
    }

    private static NDArray logits(Map<String, NDArray> p, NDArray x, int hidden) {
        NDArray h = x;
        if (hidden > 0) {
            h = Linear.linear(h, p.get("fc1.weight"), p.get("fc1.bias")).singletonOrThrow();
            h = LayerNorm.layerNorm(h, new Shape(hidden), p.get("ln.weight"), p.get("ln.bias"), 1e-5f).singletonOrThrow();
            h = Activation.gelu(h);
        }
        return Linear.linear(h, p.get("fc2.weight"), p.get("fc2.bias")).singletonOrThrow();
    }

    /** Class probabilities of feature rows (N, classes). */
    public double[][] probabilities(float[][] x) {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            weights.forEach((k, v) -> params.put(k, Tensors.of(m, v, shapes.get(k))));
            float[] flat = logits(params, standardised(m, x), options.hidden()).softmax(-1).toFloatArray();
            int c = flat.length / x.length;
            double[][] out = new double[x.length][c];
            for (int i = 0; i < x.length; i++) for (int j = 0; j < c; j++) out[i][j] = flat[i * c + j];
            return out;
        }
    }

    /** The most probable class of each row. */
    public int[] predict(float[][] x) {
        double[][] p = probabilities(x);
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) {
            for (int j = 1; j < p[i].length; j++) if (p[i][j] > p[i][out[i]]) out[i] = j;
        }
        return out;
    }
}
