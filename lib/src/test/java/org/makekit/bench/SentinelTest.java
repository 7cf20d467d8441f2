package org.makekit.bench;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark's determinism sentinel: loss sequences must agree bit for bit and be finite. */
class SentinelTest {
    @Test
    void identicalFiniteSequencesPassAndAnyDifferenceFails() {
        List<Double> ref = List.of(7.902159672298125, 10.952297274358763, 4.920957762742185);
        assertNull(Bench.determinism(List.of(ref, List.copyOf(ref), List.copyOf(ref))));
        assertNull(Bench.determinism(List.of(ref)));
        String nan = Bench.determinism(List.of(ref, List.of(7.902159672298125, Double.NaN, Double.NaN)));
        assertNotNull(nan);
        assertTrue(nan.contains("process 2 step 2") && nan.contains("NaN"), nan);
        String ulp = Bench.determinism(List.of(ref, List.of(7.902159672298125, Math.nextUp(10.952297274358763), 4.920957762742185)));
        assertNotNull(ulp, "one ulp is a difference");
        assertTrue(ulp.contains("step 2"), ulp);
        assertNotNull(Bench.determinism(List.of(ref, ref.subList(0, 2))), "a shorter run");
        assertNotNull(Bench.determinism(List.of(List.of(Double.POSITIVE_INFINITY))), "a single non-finite run");
    }

    @Test
    void theRepeatCheckCountsAgainstWhatMostRunsGave() {
        List<Double> a = List.of(7.9, 10.9, 4.9);
        List<Double> b = List.of(7.9, 11.0, 4.8);
        List<Double> nan = List.of(7.9, Double.NaN, Double.NaN);
        Bench.Tally t = Bench.tally(List.of(b, a, nan, a, a));
        assertTrue(t.reference().equals(a), "the majority is the reference, even when run 1 is the odd one");
        assertTrue(t.same() == 3 && t.differ() == 1 && t.nonFinite() == 1, t.toString());
        Bench.Tally clean = Bench.tally(List.of(a, a));
        assertTrue(clean.same() == 2 && clean.differ() == 0 && clean.nonFinite() == 0, clean.toString());
    }
}
