package org.makekit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.SynthDerm;
import org.makekit.report.TableWriter;
import org.makekit.train.Method;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.Table;

/**
 * Tables over seeds on a tiny SynthDerm, from a tiny shared start in a temporary cache: the same
 * seeds give the same table, cells carry mean, sd and the paired interval, and the shared start is
 * built once and found again by its content hash.
 */
class PaperTableSeedsTest {
    @TempDir
    static Path tmp;
    static String before;

    @BeforeAll
    static void cache() {
        before = System.getProperty("makekit.cache");
        System.setProperty("makekit.cache", tmp.resolve("cache").toString());
    }

    @AfterAll
    static void restore() {
        if (before == null) System.clearProperty("makekit.cache"); else System.setProperty("makekit.cache", before);
    }

    static PaperTable.Setup setup(Path out) {
        PaperTable.Setup s = new PaperTable.Setup();
        s.out = out;
        s.synth = new SynthDerm.Config(0, 48, 8, 40, 64);
        s.train.steps = 3;
        s.train.batchSize = 8;
        s.train.warmup = 1;
        s.train.workers = 1;
        s.minPositives = 3;
        s.seeds = 2;
        s.bootstrapReps = 300;
        s.start = SharedStart.Spec.small(16, 2);
        return s;
    }

    @Test
    void sameSeedsGiveTheSameTableAndCellsCarryTheirSpread() throws Exception {
        List<Method> rows = List.of(Method.CLIP, Method.MAKE);
        PaperTable a = new PaperTable(setup(tmp.resolve("a")));
        Table ta = a.table3(rows);
        Path start = SharedStart.dir("tiny", SharedStart.Spec.small(16, 2));
        assertTrue(Files.exists(start.resolve("start.json")), "the shared start is cached under its key: " + start);
        long built = Files.getLastModifiedTime(start.resolve("start.json")).toMillis();
        Table tb = new PaperTable(setup(tmp.resolve("b"))).table3(rows);
        assertEquals(built, Files.getLastModifiedTime(start.resolve("start.json")).toMillis(), "the second table reuses the start");

        ta.removeColumns("train s");
        tb.removeColumns("train s");
        assertEquals(ta.write().toString("csv"), tb.write().toString("csv"), "two runs with the same seeds give identical tables");

        String acc = "SynthDerm ACC";
        for (String c : List.of(acc, acc + TableWriter.SD, acc + TableWriter.DIFF, acc + TableWriter.DIFF_LO, acc + TableWriter.DIFF_HI)) {
            assertTrue(ta.columnNames().contains(c), c + " in " + ta.columnNames());
        }
        DoubleColumn mean = ta.doubleColumn(acc);
        DoubleColumn sd = ta.doubleColumn(acc + TableWriter.SD);
        assertTrue(mean.isMissing(1) == false && !sd.isMissing(1), "two seeds: a mean and a spread");
        assertTrue(ta.doubleColumn(acc + TableWriter.DIFF).isMissing(0), "the baseline row has no difference from itself");
        double d = ta.doubleColumn(acc + TableWriter.DIFF).get(1);
        assertTrue(ta.doubleColumn(acc + TableWriter.DIFF_LO).get(1) <= d + 1e-4 && d <= ta.doubleColumn(acc + TableWriter.DIFF_HI).get(1) + 1e-4);
        // The cell values are the mean over the seed runs and the difference of those means.
        var clip = a.runs(Method.CLIP);
        var make = a.runs(Method.MAKE);
        assertEquals(2, clip.size());
        double m0 = (make.get(0).zeroShot().top1() + make.get(1).zeroShot().top1()) / 2;
        assertEquals(PaperTable.round(m0), mean.get(1), 1e-12);
        double c0 = (clip.get(0).zeroShot().top1() + clip.get(1).zeroShot().top1()) / 2;
        assertEquals(PaperTable.round(m0 - c0), d, 1e-12);
        assertTrue(Files.exists(tmp.resolve("a/make/seed-1/model.safetensors")), "one folder per seed");
        String init = org.makekit.util.Json.parse(Files.readString(tmp.resolve("a/make/seed-0/config.json"))).getAsJsonObject()
                .get("init").getAsString();
        assertTrue(init.startsWith(start.toString()), "every row starts from the shared start: " + init);

        // Printed and markdown forms show mean ± sd and the interval.
        String md = TableWriter.markdown(ta);
        assertTrue(md.contains(" ± ") && md.contains("vs baseline [95% CI]"), md);
        assertFalse(md.contains(acc + TableWriter.SD), "sd columns are merged into the cell:\n" + md);

        // Another seed gives another table; another setting retrains instead of reusing.
        PaperTable.Setup other = setup(tmp.resolve("a"));
        other.train.seed = 5;
        other.seeds = 1;
        Table tc = new PaperTable(other).table3(List.of(Method.CLIP));
        assertTrue(Files.exists(tmp.resolve("a/clip/seed-5/model.safetensors")));
        PaperTable.Setup steps = setup(tmp.resolve("a"));
        steps.train.steps = 4;
        steps.seeds = 1;
        new PaperTable(steps).table3(List.of(Method.CLIP));
        var cfg = org.makekit.util.Json.parse(Files.readString(tmp.resolve("a/clip/seed-0/config.json"))).getAsJsonObject();
        assertEquals(4, cfg.get("steps").getAsInt(), "a folder trained with other settings is trained afresh, not reused");
        assertNotEquals(SharedStart.key("tiny", SharedStart.Spec.small(16, 2)), SharedStart.key("tiny", SharedStart.Spec.small(16, 3)));
        assertNotEquals(SharedStart.key("tiny", SharedStart.Spec.small(16, 2)), SharedStart.key("small", SharedStart.Spec.small(16, 2)));
        assertEquals(1, tc.rowCount());
    }
}
