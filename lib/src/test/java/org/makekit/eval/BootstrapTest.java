package org.makekit.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.makekit.util.KitException;

/** The spread and interval code against values worked out by hand. */
class BootstrapTest {
    @Test
    void meanAndSampleStandardDeviationByHand() {
        // 0.30, 0.40, 0.50: mean 0.40; squared deviations 0.01 + 0 + 0.01 = 0.02; / (3 - 1) = 0.01; sd 0.1.
        Bootstrap.MeanSd m = Bootstrap.meanSd(new double[] {0.30, 0.40, 0.50});
        assertEquals(0.40, m.mean(), 1e-15);
        assertEquals(0.10, m.sd(), 1e-15);
        assertEquals(3, m.n());
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sum of squares 32, / 7 -> sd sqrt(32/7).
        assertEquals(Math.sqrt(32.0 / 7), Bootstrap.meanSd(new double[] {2, 4, 4, 4, 5, 5, 7, 9}).sd(), 1e-15);
        Bootstrap.MeanSd one = Bootstrap.meanSd(new double[] {0.7});
        assertEquals(0.7, one.mean());
        assertTrue(Double.isNaN(one.sd()), "one seed has no spread");
    }

    @Test
    void weightedAurocByHand() {
        double[] s = {0.9, 0.4, 0.6, 0.1, 0.6};
        boolean[] pos = {true, false, true, false, false};
        Bootstrap.Metric a = Bootstrap.auroc(s, pos);
        // Unit weights: positives 0.9, 0.6; negatives 0.4, 0.1, 0.6. Pairs: 0.9 beats all 3 (3);
        // 0.6 beats 0.4 and 0.1 (2) and ties 0.6 (0.5). 5.5 / 6.
        assertEquals(5.5 / 6, a.value(), 1e-15);
        assertEquals(Metrics.auroc(s, pos), a.value(), 1e-15, "unit weights give the usual AUROC");
        // Weights 1, 2, 0, 1, 3: positives 0.9 (w1); negatives 0.4 (w2), 0.1 (w1), 0.6 (w3).
        // 0.9 beats all: 1 * (2 + 1 + 3) = 6; total pair weight 1 * 6 = 6 -> 1.0.
        assertEquals(1.0, a.on(new double[] {1, 2, 0, 1, 3}), 1e-15);
        // Weights 0, 1, 2, 1, 1: positive 0.6 (w2) against 0.4 (w1, beaten), 0.1 (w1, beaten), 0.6 (w1, tie):
        // 2 * (1 + 1 + 0.5) = 5 of 2 * 3 = 6.
        assertEquals(5.0 / 6, a.on(new double[] {0, 1, 2, 1, 1}), 1e-15);
        assertTrue(Double.isNaN(a.on(new double[] {0, 1, 0, 1, 1})), "no positive left: undefined");
    }

    @Test
    void accuracyRecallAndAverageByHand() {
        Bootstrap.Metric acc = Bootstrap.accuracy(new boolean[] {true, false, true, true});
        assertEquals(0.75, acc.value());
        assertEquals(2.0 / 3, acc.on(new double[] {2, 1, 0, 0}), 1e-15);
        Bootstrap.Metric r10 = Bootstrap.recallAt(new int[] {0, 9, 10, 57}, 10);
        assertEquals(0.5, r10.value());
        Bootstrap.Metric r50 = Bootstrap.recallAt(new int[] {0, 9, 10, 57}, 50);
        assertEquals(0.75, r50.value());
        assertEquals(0.625, Bootstrap.average(List.of(r10, r50)).value(), 1e-15);
        Map<String, double[]> scores = new LinkedHashMap<>();
        Map<String, boolean[]> labels = new LinkedHashMap<>();
        scores.put("a", new double[] {0.9, 0.1, 0.5, 0.2});
        labels.put("a", new boolean[] {true, false, true, false}); // 1.0
        scores.put("b", new double[] {0.1, 0.9, 0.5, 0.2});
        labels.put("b", new boolean[] {true, false, true, false}); // 0.5 beats 0.2 only: 1 of 4 = 0.25
        assertEquals((1.0 + 0.25) / 2, Bootstrap.meanAuroc(scores, labels).value(), 1e-15);
    }

    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        double[] s = {1, 2, 3, 4, 5};
        assertEquals(3, Bootstrap.quantile(s, 0.5), 1e-15);
        assertEquals(1.1, Bootstrap.quantile(s, 0.025), 1e-12); // h = 4 * 0.025 = 0.1
        assertEquals(4.9, Bootstrap.quantile(s, 0.975), 1e-12);
        Bootstrap.Interval iv = Bootstrap.percentile(0.3, new double[] {5, 1, 4, 2, 3});
        assertEquals(1.1, iv.lo(), 1e-12);
        assertEquals(4.9, iv.hi(), 1e-12);
        assertEquals(0.3, iv.diff());
    }

    /**
     * Two images, one seed: the row is right on image 0 only, the baseline on neither. The
     * difference on a resample is the share of image 0 in it: 1 (both draws image 0, p = 1/4),
     * 1/2 (p = 1/2) or 0 (p = 1/4). So the point difference is 1/2, the interval [0, 1], and about a
     * quarter of the resamples give each end.
     */
    @Test
    void pairedIntervalOnTwoImagesByHand() {
        List<Bootstrap.Metric> row = List.of(Bootstrap.accuracy(new boolean[] {true, false}));
        List<Bootstrap.Metric> base = List.of(Bootstrap.accuracy(new boolean[] {false, false}));
        Bootstrap.Interval iv = Bootstrap.paired(row, base, 4000, 1);
        assertEquals(0.5, iv.diff(), 1e-15);
        assertEquals(0.0, iv.lo(), 1e-15);
        assertEquals(1.0, iv.hi(), 1e-15);
        assertFalse(iv.resolved());
    }

    /** Pooled over seeds: the difference is the mean over seed pairs, each pair on the same resample. */
    @Test
    void pairedIntervalPoolsSeedsAndIsExactWhenTheDifferenceCannotMove() {
        // Seed 0: row right on all 3, baseline on none (diff 1 on any resample). Seed 1: both right on
        // the same two images (diff 0 on any resample). Mean difference 0.5 on every resample.
        List<Bootstrap.Metric> row = List.of(Bootstrap.accuracy(new boolean[] {true, true, true}),
                Bootstrap.accuracy(new boolean[] {true, false, true}));
        List<Bootstrap.Metric> base = List.of(Bootstrap.accuracy(new boolean[] {false, false, false}),
                Bootstrap.accuracy(new boolean[] {true, false, true}));
        Bootstrap.Interval iv = Bootstrap.paired(row, base, 500, 7);
        assertEquals(0.5, iv.diff(), 1e-15);
        assertEquals(0.5, iv.lo(), 1e-15);
        assertEquals(0.5, iv.hi(), 1e-15);
        assertTrue(iv.resolved());
        // Identical row and baseline: exactly zero, not resolved.
        Bootstrap.Interval same = Bootstrap.paired(base, base, 200, 3);
        assertEquals(0, same.lo());
        assertEquals(0, same.hi());
        assertFalse(same.resolved());
        assertThrows(KitException.class, () -> Bootstrap.paired(row, base.subList(0, 1), 10, 1));
    }

    /** A larger case against the normal approximation: the percentile interval of a mean of 0/1 differences. */
    @Test
    void pairedIntervalMatchesTheNormalApproximationOnALargeSample() {
        Random rng = new Random(5);
        int n = 2000;
        boolean[] a = new boolean[n];
        boolean[] b = new boolean[n];
        for (int i = 0; i < n; i++) {
            a[i] = rng.nextDouble() < 0.6;
            b[i] = rng.nextDouble() < 0.5;
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) d[i] = (a[i] ? 1 : 0) - (b[i] ? 1 : 0);
        Bootstrap.MeanSd ms = Bootstrap.meanSd(d);
        double se = ms.sd() / Math.sqrt(n);
        Bootstrap.Interval iv = Bootstrap.paired(List.of(Bootstrap.accuracy(a)), List.of(Bootstrap.accuracy(b)), 4000, 11);
        assertEquals(ms.mean(), iv.diff(), 1e-12);
        assertEquals(ms.mean() - 1.96 * se, iv.lo(), 0.15 * 1.96 * se);
        assertEquals(ms.mean() + 1.96 * se, iv.hi(), 0.15 * 1.96 * se);
        assertEquals(iv, Bootstrap.paired(List.of(Bootstrap.accuracy(a)), List.of(Bootstrap.accuracy(b)), 4000, 11),
                "a fixed resampling seed gives the same interval");
    }
}
