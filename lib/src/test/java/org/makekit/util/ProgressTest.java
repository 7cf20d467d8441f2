package org.makekit.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    @Test
    void aResumedBarCountsOnlyTheWorkDoneSinceTheResume() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (Progress p = new Progress("pretrain make", 257410, "step", new PrintStream(buf, true, StandardCharsets.UTF_8), false, 0)
                .resumeAt(257400)) {
            Thread.sleep(20);
            p.step(1);
            assertTrue(p.line().contains("257401/257410"), p.line());
            // One step in at least 20 ms: the rate can be at most 50 step/s (it was 257400 / elapsed before).
            assertTrue(p.rate() <= 50.0, "rate " + p.rate());
            assertTrue(p.rate() > 0);
        }
        String out = buf.toString(StandardCharsets.UTF_8);
        assertEquals(1, out.lines().count(), out);
    }
}
