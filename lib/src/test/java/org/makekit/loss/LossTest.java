package org.makekit.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.makekit.Golden;
import org.makekit.model.Features;
import org.makekit.model.Safetensors;
import org.makekit.util.KitException;

class LossTest {
    static double softplus(double x) {
        return Math.log1p(Math.exp(x));
    }

    static double lse(double... xs) {
        double s = 0;
        for (double x : xs) s += Math.exp(x);
        return Math.log(s);
    }

    NDArray arr(NDManager m, double[][] rows) {
        return m.create(rows).toType(DataType.FLOAT64, false);
    }

    static final double[][] I2 = {{1, 0}, {0, 1}};
    static final double[][] I3 = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    static final double[][] T3 = {{0.6, 0.8, 0}, {0, 1, 0}, {0, 0, 1}};

    @Test
    void clipLossByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2x2, identical orthonormal pairs, s = 1: logits = identity, each CE = -log(e / (e + 1)).
            double l2 = ClipLoss.compute(arr(m, I2), arr(m, I2), m.create(1.0)).getDouble();
            assertEquals(Math.log(1 + Math.exp(-1)), l2, 1e-12);
            assertEquals(0.31326168751822286, l2, 1e-12);
            // 3x3, s = 2. Logits s*I.T^T: rows [1.2, 0, 0], [1.6, 2, 0], [0, 0, 2].
            double i2t = ((-1.2 + lse(1.2, 0, 0)) + (-2 + lse(1.6, 2, 0)) + (-2 + lse(0, 0, 2))) / 3;
            // columns [1.2, 1.6, 0], [0, 2, 0], [0, 0, 2].
            double t2i = ((-1.2 + lse(1.2, 1.6, 0)) + (-2 + lse(0, 2, 0)) + (-2 + lse(0, 0, 2))) / 3;
            double l3 = ClipLoss.compute(arr(m, I3), arr(m, T3), m.create(2.0)).getDouble();
            assertEquals((i2t + t2i) / 2, l3, 1e-12);
        }
    }

    @Test
    void sigLipLossByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 2x2, s = 1, b = 0: diagonal logits 1 (label +1), off-diagonal 0 (label -1).
            double l2 = SigLipLoss.compute(arr(m, I2), arr(m, I2), m.create(1.0), m.create(0.0)).getDouble();
            assertEquals((2 * softplus(-1) + 2 * softplus(0)) / 2, l2, 1e-12);
            // 3x3, s = 2, b = -1: logits [[0.2, -1, -1], [0.6, 1, -1], [-1, -1, 1]].
            double sum = softplus(-0.2) + softplus(-1) + softplus(-1) // diagonal: softplus(-z)
                    + softplus(-1) + softplus(-1) + softplus(0.6) + softplus(-1) + softplus(-1) + softplus(-1); // off: softplus(z)
            double l3 = SigLipLoss.compute(arr(m, I3), arr(m, T3), m.create(2.0), m.create(-1.0)).getDouble();
            assertEquals(sum / 3, l3, 1e-12);
        }
    }

    /** Autograd against central differences, on every input coordinate, in float64. */
    static void gradientCheck(NDManager m, NDArray[] inputs, Function<NDArray[], NDArray> f, String what) {
        for (NDArray x : inputs) x.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(f.apply(inputs));
        }
        double h = 1e-6;
        for (int a = 0; a < inputs.length; a++) {
            double[] grad = inputs[a].getGradient().toDoubleArray();
            double[] base = inputs[a].toDoubleArray();
            for (int i = 0; i < base.length; i++) {
                double[] plus = base.clone();
                double[] minus = base.clone();
                plus[i] += h;
                minus[i] -= h;
                NDArray[] p = inputs.clone();
                NDArray[] q = inputs.clone();
                p[a] = m.create(plus, inputs[a].getShape());
                q[a] = m.create(minus, inputs[a].getShape());
                double fd = (f.apply(p).getDouble() - f.apply(q).getDouble()) / (2 * h);
                assertEquals(fd, grad[i], 1e-6 * Math.max(1, Math.abs(fd)), what + " input " + a + " coord " + i);
            }
        }
    }

    static NDArray randomUnit(NDManager m, Random rng, long... shape) {
        long n = 1;
        for (long s : shape) n *= s;
        double[] d = new double[(int) n];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextGaussian();
        NDArray a = Features.l2normalize(m.create(d, new Shape(shape)));
        return m.create(a.toDoubleArray(), new Shape(shape)); // a fresh leaf
    }

    @Test
    void finiteDifferenceGradients() {
        Random rng = new Random(3);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray[] clip = {randomUnit(m, rng, 3, 4), randomUnit(m, rng, 3, 4), m.create(5.0)};
            gradientCheck(m, clip, x -> ClipLoss.compute(x[0], x[1], x[2]), "CLIP");
            NDArray[] sig = {randomUnit(m, rng, 3, 4), randomUnit(m, rng, 3, 4), m.create(10.0), m.create(-2.0)};
            gradientCheck(m, sig, x -> SigLipLoss.compute(x[0], x[1], x[2], x[3]), "SigLIP");
            // MAKE without DKW (DKW weights are detached on purpose, so finite differences would see them move).
            boolean[][] mask = {{true, true, false, true, true}, {true, false, true, true, false}, {true, true, true, false, true}};
            for (MakeLoss.Mode mode : MakeLoss.Mode.values()) {
                MakeLoss.Options o = new MakeLoss.Options(mode, 2, true, false, 1.0, 0.7, 0.0);
                NDArray[] mk = {randomUnit(m, rng, 3, 4), randomUnit(m, rng, 3, 5, 4), randomUnit(m, rng, 15, 4), m.create(8.0)};
                gradientCheck(m, mk, x -> MakeLoss.compute(x[0], x[1], x[2], mask, x[3], o).total(), "MAKE " + mode);
            }
        }
    }

    static void assertFiniteEverywhere(MakeLoss.Result r, NDArray... leaves) {
        for (NDArray s : new NDArray[] {r.total(), r.mkclI2t(), r.mkclT2i(), r.mkcl(), r.slra()}) {
            if (s != null) assertTrue(Double.isFinite(s.toType(DataType.FLOAT64, false).getDouble()), "loss " + s);
        }
        if (r.pooled() != null) for (double v : Golden.toDoubles(r.pooled())) assertTrue(Double.isFinite(v), "pooled");
        for (double v : r.dkwWeights()) assertTrue(Double.isFinite(v), "DKW weight");
        for (NDArray l : leaves) for (double v : Golden.toDoubles(l.getGradient())) assertTrue(Double.isFinite(v), "gradient");
    }

    static MakeLoss.Result run(NDManager m, NDArray img, NDArray patches, NDArray text, boolean[][] mask, double s,
                               MakeLoss.Options o) {
        for (NDArray x : new NDArray[] {img, patches, text}) x.setRequiresGradient(true);
        MakeLoss.Result r;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            r = MakeLoss.compute(img, patches, text, mask, m.create(s), o);
            gc.backward(r.total());
        }
        assertFiniteEverywhere(r, img, patches, text);
        return r;
    }

    static boolean[][] fullMask(int b, int n) {
        boolean[][] mk = new boolean[b][n];
        for (boolean[] row : mk) java.util.Arrays.fill(row, true);
        return mk;
    }

    @Test
    void edgeCasesHaveDefinedFiniteResults() {
        Random rng = new Random(11);
        for (MakeLoss.Mode mode : MakeLoss.Mode.values()) {
            MakeLoss.Options o = MakeLoss.Options.make(mode);
            try (NDManager m = NDManager.newBaseManager()) {
                // Image 1 has every sub-text masked; image 2 has no disease text.
                boolean[][] mask = fullMask(3, 11);
                for (int j = 3; j < 11; j++) mask[1][j] = false;
                mask[2][1] = false;
                MakeLoss.Result r = run(m, randomUnit(m, rng, 3, 8), randomUnit(m, rng, 3, 4, 8), randomUnit(m, rng, 33, 8),
                        mask, 100, o);
                for (int k = 0; k < 11; k++) {
                    assertEquals(1.0, r.dkwWeights()[11 + k], 0, mode + ": all sub-texts masked -> DKW row of ones");
                    assertEquals(1.0, r.dkwWeights()[22 + k], 0, mode + ": no disease text -> DKW row of ones");
                }
                for (int k = 3; k < 11; k++) assertEquals(-100, r.i2tTargets()[11 + k], "masked texts are never targets");

                // Batch of one: text-to-image has one candidate, so its cross-entropy is exactly 0.
                MakeLoss.Result one = run(m, randomUnit(m, rng, 1, 8), randomUnit(m, rng, 1, 4, 8), randomUnit(m, rng, 11, 8),
                        fullMask(1, 11), 14.3, o);
                assertEquals(0.0, one.mkclT2i().getDouble(), 1e-12);

                // All texts identical.
                NDArray same = randomUnit(m, rng, 1, 8);
                NDArray text = m.create(same.repeat(0, 22).toDoubleArray(), new Shape(22, 8));
                MakeLoss.Result id = run(m, randomUnit(m, rng, 2, 8), randomUnit(m, rng, 2, 4, 8), text, fullMask(2, 11), 50, o);
                // Every logit in a row is equal: i2t CE = log(22), t2i depends on the two images only.
                assertEquals(Math.log(22), id.mkclI2t().getDouble(), 1e-9);

                // Every patch points away from its SLRA text: the pooled vector is zero, nothing is NaN.
                NDArray t = randomUnit(m, rng, 22, 8);
                double[] tt = t.toDoubleArray();
                double[] p = new double[2 * 4 * 8];
                for (int b = 0; b < 2; b++) {
                    int row = mode == MakeLoss.Mode.COMPAT ? b : b * 11;
                    for (int q = 0; q < 4; q++) for (int d = 0; d < 8; d++) p[(b * 4 + q) * 8 + d] = -tt[row * 8 + d];
                }
                MakeLoss.Result z = run(m, randomUnit(m, rng, 2, 8), m.create(p, new Shape(2, 4, 8)), t, fullMask(2, 11), 20, o);
                for (double v : Golden.toDoubles(z.pooled())) assertEquals(0.0, v, 0);
            }
        }
    }

    @Test
    void nonFiniteInputsAreNotSilentlyAccepted() {
        try (NDManager m = NDManager.newBaseManager()) {
            Random rng = new Random(5);
            NDArray img = randomUnit(m, rng, 2, 8);
            double[] tx = randomUnit(m, rng, 22, 8).toDoubleArray();
            tx[5] = Double.NaN;
            MakeLoss.Result r = MakeLoss.compute(img, randomUnit(m, rng, 2, 4, 8), m.create(tx, new Shape(22, 8)),
                    fullMask(2, 11), m.create(10.0), MakeLoss.Options.make(MakeLoss.Mode.INTENDED));
            // The loss cannot hide a NaN input: it propagates, so the trainer's finite check catches it.
            assertTrue(Double.isNaN(r.total().getDouble()));
        }
    }

    @Test
    void slraPoolingMatchesOfficialForwardWithOneTextPerImage() {
        // heads2.slra_pooled_forward_N1: the official forward with one text per image, where its
        // indexing is per image. Inputs: the tiny model's normalised patches and first three texts.
        var io = Safetensors.read(Golden.dir("openclip-tiny").resolve("tiny_io.safetensors"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray patches = io.get("heads2.patch_features").toNDArray(m);
            NDArray text = io.get("heads2.text_features").toNDArray(m).get("0:3");
            NDArray pooled = MakeLoss.slraPool(patches, text, 0.0);
            Golden.assertClose(io.get("heads2.slra_pooled_forward_N1").toDoubleArray(), Golden.toDoubles(pooled), 1e-6,
                    "SLRA pooled");
        }
    }

    @Test
    void modesAreSelectableByName() {
        assertEquals(MakeLoss.Mode.COMPAT, MakeLoss.Mode.parse("compat"));
        assertEquals(MakeLoss.Mode.INTENDED, MakeLoss.Mode.parse(" Intended "));
        assertThrows(KitException.class, () -> MakeLoss.Mode.parse("paper"));
        assertThrows(KitException.class, () -> new MakeLoss.Options(MakeLoss.Mode.COMPAT, 0, true, false, 1, 0.7, 0));
    }

    @Test
    void knowledgeOnlyRowUsesThreeTextsPerImage() {
        Random rng = new Random(9);
        try (NDManager m = NDManager.newBaseManager()) {
            MakeLoss.Options o = new MakeLoss.Options(MakeLoss.Mode.COMPAT, 0, false, false, 1.0, 0.7, 0.0);
            NDArray img = randomUnit(m, rng, 4, 8);
            NDArray txt = randomUnit(m, rng, 12, 8);
            MakeLoss.Result r = MakeLoss.compute(img, null, txt, fullMask(4, 3), m.create(10.0), o);
            assertEquals(r.mkcl().getDouble(), r.total().getDouble(), 1e-12);
            KitException e = assertThrows(KitException.class,
                    () -> MakeLoss.compute(img, null, randomUnit(m, rng, 10, 8), fullMask(4, 3), m.create(10.0), o));
            assertTrue(e.getMessage().contains("(12, 8)"), e.getMessage());
        }
    }
}
