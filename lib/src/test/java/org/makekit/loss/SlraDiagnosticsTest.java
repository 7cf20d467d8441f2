package org.makekit.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.makekit.train.CollapseWatch;

/** SLRA's per-step diagnostics (open gates, pooled norm) and the collapse warning, on a batch worked out by hand. */
class SlraDiagnosticsTest {
    static NDArray arr(NDManager m, double[]... rows) {
        return m.create(rows).toType(DataType.FLOAT64, false);
    }

    static MakeLoss.Result run(NDManager m, double sigma) {
        return run(m, sigma, MakeLoss.SlraPool.OFFICIAL);
    }

    static MakeLoss.Result run(NDManager m, double sigma, MakeLoss.SlraPool pool) {
        // Two images, K = 1 (4 texts each, compat: type-major, so SLRA pools against text rows 0 and 1).
        NDArray image = arr(m, new double[] {1, 0}, new double[] {0, 1});
        double s = Math.sqrt(0.5);
        NDArray text = arr(m, new double[] {1, 0}, new double[] {0, 1}, new double[] {s, s}, new double[] {s, -s},
                new double[] {-1, 0}, new double[] {0, -1}, new double[] {-s, s}, new double[] {-s, -s});
        NDArray patches = m.create(new double[] {1, 0, 0, 1, -1, 0, 0, 1, 0.6, 0.8, 0.6, -0.8}).reshape(2, 3, 2);
        boolean[][] mask = {{true, true, true, true}, {true, true, true, true}};
        MakeLoss.Options o = new MakeLoss.Options(MakeLoss.Mode.COMPAT, 1, true, false, 1.0, 0.7, sigma, pool);
        return MakeLoss.compute(image, patches, text, mask, m.create(1.0).toType(DataType.FLOAT64, false), o);
    }

    @Test
    void gateShareAndPooledNormByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Image 0 against [1, 0]: similarities 1, 0, -1 -> open at sigma 0: 1 and 0 (>=). Image 1 against
            // [0, 1]: 1, 0.8, -0.8 -> two open. 4 of 6.
            MakeLoss.Result r = run(m, 0.0);
            assertEquals(4.0 / 6, r.gatesOpen().getDouble(), 1e-12);
            // Pooled 0: weights (1, 0, 0) -> patch 0, norm 1. Pooled 1: (1, 0.8, 0) / sqrt(1.64) over
            // patches [0,1], [0.6,0.8] -> [0.48, 1.64] / sqrt(1.64), norm sqrt(0.48^2 + 1.64^2) / sqrt(1.64).
            double n1 = Math.sqrt(0.48 * 0.48 + 1.64 * 1.64) / Math.sqrt(1.64);
            assertEquals((1 + n1) / 2, r.pooledNorm().getDouble(), 1e-12);
            // Every gate shut: pooled vectors are zero, every logit 0, the loss is ln(nB) = ln 8 exactly.
            MakeLoss.Result shut = run(m, 2.0);
            assertEquals(0.0, shut.gatesOpen().getDouble());
            assertEquals(0.0, shut.pooledNorm().getDouble());
            assertEquals(Math.log(8), shut.slra().getDouble(), 1e-12);
            MakeLoss.MakeObjective obj = new MakeLoss.MakeObjective(new MakeLoss.Options(MakeLoss.Mode.COMPAT, 1, true, false, 1, 0.7, 0));
            assertEquals(Math.log(8), obj.collapseLevel("slra", 2), 1e-15, "the objective names the same level");
            assertTrue(Double.isNaN(obj.collapseLevel("mkcl_i2t", 2)));
            assertEquals(List.of("mkcl_i2t", "mkcl_t2i", "slra", "slra_gates_open", "slra_pooled_norm"), obj.partNames());
        }
    }

    @Test
    void paperPoolingIsAWeightedMeanScoredByCosineByHand() {
        try (NDManager m = NDManager.newBaseManager()) {
            MakeLoss.Result r = run(m, 0.0, MakeLoss.SlraPool.PAPER);
            // Image 0: weights (1, 0, 0) / 1 -> patch 0 = [1, 0]. Image 1: (1, 0.8, 0) / 1.8 over [0, 1] and
            // [0.6, 0.8] -> [0.48, 1.64] / 1.8, then normalised: [0.48, 1.64] / sqrt(0.48^2 + 1.64^2).
            double n1 = Math.sqrt(0.48 * 0.48 + 1.64 * 1.64);
            double[][] v = {{1, 0}, {0.48 / n1, 1.64 / n1}};
            double[] pooled = r.pooled().toDoubleArray();
            for (int i = 0; i < 4; i++) assertEquals(v[i / 2][i % 2], pooled[i], 1e-12, "pooled element " + i);
            assertEquals(1.0, r.pooledNorm().getDouble(), 1e-12, "unit vectors: cosine similarity");
            assertEquals(4.0 / 6, r.gatesOpen().getDouble(), 1e-12, "the gate is the official one");
            // The loss: compat ignores text rows 0 and 1 (the first B); row r is scored by image r / 4 over all 8 texts.
            double s = Math.sqrt(0.5);
            double[][] text = {{1, 0}, {0, 1}, {s, s}, {s, -s}, {-1, 0}, {0, -1}, {-s, s}, {-s, -s}};
            double sum = 0;
            for (int row = 2; row < 8; row++) {
                double[] vi = v[row / 4];
                double lse = 0;
                for (double[] t : text) lse += Math.exp(vi[0] * t[0] + vi[1] * t[1]);
                sum += Math.log(lse) - (vi[0] * text[row][0] + vi[1] * text[row][1]);
            }
            assertEquals(sum / 6, r.slra().getDouble(), 1e-12);
            // The official pooling of the same batch differs (image 1's vector is longer than 1).
            assertTrue(Math.abs(run(m, 0.0).slra().getDouble() - sum / 6) > 1e-3);
            assertEquals(MakeLoss.SlraPool.OFFICIAL, MakeLoss.SlraPool.parse(null));
            assertEquals(MakeLoss.SlraPool.PAPER, MakeLoss.SlraPool.parse(" Paper"));
        }
    }

    @Test
    void collapseIsFlaggedAfterTwentyStepsAtTheLevelAndClearsWhenItMoves() {
        MakeLoss.MakeObjective obj = new MakeLoss.MakeObjective(MakeLoss.Options.make(MakeLoss.Mode.COMPAT));
        CollapseWatch w = new CollapseWatch(obj);
        double level = Math.log(4 * 11); // 4 images, 3 + 8 texts each
        for (int i = 1; i < CollapseWatch.STEPS; i++) assertEquals("", w.update(Map.of("slra", level + 5e-5), 4), "step " + i);
        assertTrue(w.update(Map.of("slra", level - 5e-5), 4).contains("SLRA COLLAPSED"));
        assertEquals("", w.update(Map.of("slra", level - 2e-4), 4), "a loss that moves clears it");
        assertEquals(0, w.inARow("slra"));
        assertEquals("", w.update(Map.of("mkcl_i2t", level), 4), "parts without a collapse level are not watched");
    }
}
