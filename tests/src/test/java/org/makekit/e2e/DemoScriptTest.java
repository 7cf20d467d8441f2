package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command runs the demo script: it must run and print its table. */
class DemoScriptTest {
    @Test
    void demoRunsThePipelineAndPrintsTheThreeTables(@TempDir Path tmp) throws Exception {
        Run r = Run.script(java.util.Map.of("MAKEKIT_CACHE", tmp.resolve("cache").toString()), "demo", 900, "--out", tmp.toString(),
                "--steps", "3", "--batch-size", "8", "--synth-train", "40", "--synth-val", "8", "--synth-test", "30", "--min-positives", "3",
                "--start-steps", "2", "--start-images", "16");
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("Table 1 (miniature)") && r.out.contains("Table 2 (miniature)")
                && r.out.contains("Table 3 (miniature)"), r.out);
        assertTrue(r.out.contains("disease aspect") && r.out.contains("melanoma"), r.out);
        assertTrue(Files.exists(tmp.resolve("synthderm/metadata.csv")));
    }
}
