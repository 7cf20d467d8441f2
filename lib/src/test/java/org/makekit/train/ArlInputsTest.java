package org.makekit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.EntityLinker;
import org.makekit.knowledge.KnowledgeGraph;
import org.makekit.knowledge.Ontology;
import org.makekit.model.ArlConfig;
import org.makekit.text.Gpt2Tokenizer;
import org.makekit.text.Tokenizer;

/** ARL's host-side inputs on written-out sentences: entity positions, whole-entity masking, ITM swaps, MIM's patches. */
class ArlInputsTest {
    static final String ONTOLOGY = """
            {"skin disease": {"psoriasis, plaque psoriasis": {}, "eczema": {"atopic dermatitis": {}}, "melanoma": {}},
             "isolated finding": {}}""";

    static ArlInputs inputs(Path dir, int textLength, int maxEntities, ArlInputs.Budget budget) throws Exception {
        Files.writeString(dir.resolve("o.json"), ONTOLOGY);
        Ontology ont = Ontology.load(dir.resolve("o.json"));
        ArlConfig c = new ArlConfig("arl-test", "tiny", 16, 2, 2, 8, 2, 16, 4, 2, maxEntities, textLength, 8, 1, 2, 1, 0.75, 0.0);
        return new ArlInputs(c, new Gpt2Tokenizer(textLength), new KnowledgeGraph(ont), ont, 64, budget);
    }

    static TrainingRow row(String caption, String diagnosis) {
        return new TrainingRow("x.png", caption, caption, "", "", List.of(), new boolean[0], new boolean[0], diagnosis, "", diagnosis, "train");
    }

    @Test
    void entityPositionsAndLabels(@TempDir Path dir) throws Exception {
        ArlInputs in = inputs(dir, 24, 2, ArlInputs.Budget.COMPAT);
        Tokenizer t = in.tokenizer();
        long[] ids = t.encode("Plaque psoriasis and atopic dermatitis beside a melanoma.");
        List<EntityLinker.Mention> ms = in.mentions(ids);
        assertEquals(3, ms.size(), ms.toString());
        assertEquals("Plaque psoriasis", t.decode(Arrays.copyOfRange(ids, ms.get(0).start(), ms.get(0).end())).strip());
        assertEquals("atopic dermatitis", t.decode(Arrays.copyOfRange(ids, ms.get(1).start(), ms.get(1).end())).strip());
        ArlInputs.Linked l = in.link(ms, null);
        // at most 2 entities kept for the knowledge stream; row e has ones exactly on its tokens
        assertEquals(2, l.ids().length);
        for (int e = 0; e < 2; e++) {
            assertEquals(ms.get(e).entity(), l.ids()[e]);
            for (int j = 0; j < 24; j++) {
                assertEquals(j >= ms.get(e).start() && j < ms.get(e).end() ? 1.0 : 0.0, l.positions()[e][j], "entity " + e + " token " + j);
            }
        }
        // dropping the first leaves the second in slot 0 and the third in slot 1
        ArlInputs.Linked d = in.link(ms, new boolean[] {true, false, false});
        assertArrayEquals(new int[] {ms.get(1).entity(), ms.get(2).entity()}, d.ids());
        // image labels: the caption's entities and the diagnosis's path (skin disease > eczema > atopic dermatitis)
        ArlInputs.Batch b = in.batch(List.of(row("A red patch.", "atopic dermatitis"), row("Plaque psoriasis.", "psoriasis")), 0, 0);
        assertEquals(0, Arrays.stream(b.textLabels()[0]).sum(), 0.0, "no entity in the first caption");
        assertEquals(3, Arrays.stream(b.imageLabels()[0]).sum(), 0.0, "diagnosis and its two ancestors");
        assertEquals(1, Arrays.stream(b.textLabels()[1]).sum(), 0.0);
        assertEquals(2, Arrays.stream(b.imageLabels()[1]).sum(), 0.0, "psoriasis and skin disease");
        assertArrayEquals(new int[] {-1, -1}, b.entityIds()[0]);
    }

    @Test
    void wholeEntityMaskingFollowsTheRules(@TempDir Path dir) throws Exception {
        for (ArlInputs.Budget budget : ArlInputs.Budget.values()) {
            ArlInputs in = inputs(dir, 32, 8, budget);
            Tokenizer t = in.tokenizer();
            long[] ids = t.encode("Plaque psoriasis and atopic dermatitis beside a melanoma on the left forearm.");
            List<EntityLinker.Mention> ms = in.mentions(ids);
            int eot = 0;
            while (ids[eot] != t.eotId()) eot++;
            int budgetTokens = (int) Math.round(0.15 * (budget == ArlInputs.Budget.COMPAT ? 32 : eot + 1));
            int masked = 0;
            int random = 0;
            int kept = 0;
            boolean sawWholeEntity = false;
            for (int s = 0; s < 2000; s++) {
                ArlInputs.Masked mk = in.mask(ids, ms, new SplittableRandom(s));
                assertTrue(mk.positions().length <= budgetTokens, "never more than the budget");
                assertTrue(mk.positions().length >= budgetTokens - 2, "filled up to the budget but for a unit that does not fit");
                for (int p : mk.positions()) {
                    assertTrue(p > 0 && p < eot, "SOT, EOT and padding are never chosen: " + p);
                    assertEquals(ids[p], mk.targets()[Arrays.binarySearch(mk.positions(), p)]);
                    if (mk.maskToken()[p]) masked++;
                    else if (mk.ids()[p] != ids[p]) random++;
                    else kept++;
                }
                for (EntityLinker.Mention m : ms) {
                    int in_ = 0;
                    for (int p : mk.positions()) if (p >= m.start() && p < m.end()) in_++;
                    assertTrue(in_ == 0 || in_ == m.end() - m.start(), "an entity is masked whole or not at all");
                    sawWholeEntity |= in_ > 1;
                }
                for (int j = 0; j < ids.length; j++) {
                    if (Arrays.binarySearch(mk.positions(), j) < 0) {
                        assertEquals(ids[j], mk.ids()[j], "unchosen tokens are unchanged");
                        assertFalse(mk.maskToken()[j]);
                    }
                }
            }
            assertTrue(sawWholeEntity, "a two-token entity was masked as one unit");
            double n = masked + random + kept;
            assertEquals(0.8, masked / n, 0.02, budget + ": mask token share");
            assertEquals(0.1, random / n, 0.015, budget + ": random token share");
            assertEquals(0.1, kept / n, 0.015, budget + ": kept share");
        }
    }

    @Test
    void theBatchDropsMaskedEntitiesSwapsHalfTheImagesAndKeepsAQuarterOfThePatches(@TempDir Path dir) throws Exception {
        ArlInputs in = inputs(dir, 24, 4, ArlInputs.Budget.COMPAT);
        List<TrainingRow> rows = List.of(row("Plaque psoriasis on the elbow.", "psoriasis"), row("A melanoma.", "melanoma"),
                row("Atopic dermatitis of the hand.", "atopic dermatitis"), row("Psoriasis again.", "psoriasis"),
                row("Eczema, dry.", "eczema"), row("Melanoma.", "melanoma"));
        int dropped = 0;
        for (long step = 0; step < 50; step++) {
            ArlInputs.Batch b = in.batch(rows, 3, step);
            assertEquals(3, Arrays.stream(b.itmLabels()).sum(), "exactly half the rows keep their image");
            for (int i = 0; i < rows.size(); i++) {
                if (b.itmLabels()[i] == 1) {
                    assertEquals(i, b.itmImage()[i]);
                } else {
                    assertNotEquals(rows.get(i).diagnosis(), rows.get(b.itmImage()[i]).diagnosis(), "a negative shows another diagnosis");
                }
                assertEquals(16, b.keep()[i].length, "int(64 x 0.25) patches kept");
                assertEquals(16, Arrays.stream(b.keep()[i]).distinct().count());
                List<EntityLinker.Mention> ms = in.mentions(b.ids()[i]);
                long[] flat = b.mlmFlatPositions();
                int k = 0;
                for (int e = 0; e < ms.size(); e++) {
                    boolean hit = false;
                    for (long f : flat) hit |= f / 24 == i && f % 24 >= ms.get(e).start() && f % 24 < ms.get(e).end();
                    if (hit) {
                        dropped++;
                    } else {
                        assertEquals(ms.get(e).entity(), b.mlmEntityIds()[i][k++], "entities with no masked token stay, in order");
                    }
                }
                for (; k < 4; k++) assertEquals(-1, b.mlmEntityIds()[i][k]);
            }
        }
        assertTrue(dropped > 0, "some entities were masked and left the knowledge input");
        ArlInputs.Batch a = in.batch(rows, 3, 7);
        ArlInputs.Batch again = in.batch(rows, 3, 7);
        assertArrayEquals(a.mlmFlatPositions(), again.mlmFlatPositions(), "a function of (seed, step)");
        assertArrayEquals(a.itmImage(), again.itmImage());
        assertTrue(!Arrays.equals(a.mlmFlatPositions(), in.batch(rows, 3, 8).mlmFlatPositions())
                || !Arrays.equals(a.itmImage(), in.batch(rows, 3, 8).itmImage()), "another step draws again");
    }
}
