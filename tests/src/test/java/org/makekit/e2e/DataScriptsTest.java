package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.util.SharedPaths;

/** fetch-data, datasets and augment, run through JBang on SynthDerm and on HAM10000 (../shared). */
class DataScriptsTest {
    @Test
    void augmentSynthDermWritesAValidTrainingTable(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("sd/train.csv");
        Run r = Run.script("augment", 600, "--dataset", "synthderm", "--local-dir", tmp.resolve("synthderm").toString(),
                "--synth-train", "60", "--synth-val", "10", "--synth-test", "10", "--out", out.toString());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("80 rows"), r.out);
        List<TrainingRow> rows = TrainingTable.read(out);
        assertEquals(80, rows.size());
        for (TrainingRow row : rows) {
            assertTrue(Files.exists(out.getParent().resolve(row.filename())), row.filename());
            assertEquals(11, row.texts(8).size());
            assertTrue(row.numSubtexts() >= 4, "multi-sentence captions");
        }
        assertTrue(rows.stream().filter(x -> x.knowledgeMask()[1]).count() >= 76, "diagnoses found");
    }

    @Test
    void augmentHam10000ThroughItsManifestWithALocalDirectory(@TempDir Path tmp) throws Exception {
        Path local = SharedPaths.shared().resolve("data/ham10000");
        Run ready = Run.script("fetch-data", 300, "ham10000", "--local-dir", local.toString());
        assertEquals(0, ready.exit, ready.out);
        assertTrue(ready.out.contains("ready: 5984 images"), ready.out);
        Path out = tmp.resolve("ham/train.csv");
        Run r = Run.script("augment", 600, "--dataset", "ham10000", "--local-dir", local.toString(), "--out", out.toString());
        assertEquals(0, r.exit, r.out);
        List<TrainingRow> rows = TrainingTable.read(out);
        assertEquals(5984, rows.size());
        assertEquals(4189, rows.stream().filter(x -> x.split().equals("train")).count());
        assertTrue(Files.exists(out.getParent().resolve(rows.get(0).filename())));
        assertEquals(7, rows.stream().map(TrainingRow::label).distinct().count());
    }

    @Test
    void gatedDatasetsExplainTheirStepsAndListingShowsAll(@TempDir Path tmp) throws Exception {
        Run gated = Run.script("fetch-data", 300, "derm1m", "--local-dir", tmp.resolve("nothing").toString());
        assertEquals(3, gated.exit, gated.out);
        assertTrue(gated.out.contains("access is gated") && gated.out.contains("Hugging Face"), gated.out);
        Run list = Run.script("datasets", 300);
        assertEquals(0, list.exit, list.out);
        for (String n : new String[] {"ham10000", "pad-ufes-20", "fitzpatrick17k", "sd-128", "snu-134", "skincon", "derm7pt",
            "skincap", "derm1m", "derm1m-agentaug", "synthderm"}) {
            assertTrue(list.out.contains(n), n + " missing:\n" + list.out);
        }
        Run unknown = Run.script("fetch-data", 300, "imagenet");
        assertEquals(2, unknown.exit, unknown.out);
        assertFalse(unknown.out.contains("\tat "), unknown.out);
    }
}
