package org.makekit.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.knowledge.Ontology;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/** MedCutMix's text swap, mask, bookkeeping and determinism, on written-out reports and hand-checked numbers. */
class MedCutMixTest {
    static final String ONTOLOGY = """
            {"thoracic": {
               "infectious": {"pneumonia, lobar pneumonia": {}},
               "pleural": {"pleural effusion, effusion": {}, "pneumothorax": {}},
               "cardiac": {"cardiomegaly, enlarged heart": {}}},
             "normal": {"no acute findings": {}}}""";
    static final String LEXICON = """
            {"fluid": ["effusion", "layering fluid"], "opacity": ["opacity", "consolidation"]}""";

    static DiagnosticSentences finder(Path dir) throws Exception {
        Files.writeString(dir.resolve("o.json"), ONTOLOGY);
        Files.writeString(dir.resolve("c.json"), LEXICON);
        return new DiagnosticSentences(Ontology.load(dir.resolve("o.json")), ConceptLexicon.load(dir.resolve("c.json")));
    }

    /** A training row as the augmenter writes it: sub-sentences by MAKE's rule, K = 4. */
    static TrainingRow row(String name, String caption, String diagnosis) {
        var split = org.makekit.text.SentenceSplitter.split(caption, 4);
        return new TrainingRow(name, caption, caption, diagnosis.isEmpty() ? "" : "This chest radiograph is read as " + diagnosis + ".",
                "This chest radiograph shows opacity.", split.sentences(), split.mask(), new boolean[] {true, !diagnosis.isEmpty(), true},
                diagnosis, "opacity", diagnosis, "train");
    }

    @Test
    void findsDiagnosticSentencesByTheOntologyAndNotByFindings(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        var s = f.split("Indication: cough.  Findings: patchy opacity with layering fluid, a small effusion!"
                + " Impression: right lower lobe pneumonia and an ENLARGED heart?");
        assertEquals(3, s.size());
        assertEquals("Indication: cough", s.get(0).text());
        assertFalse(s.get(0).diagnostic());
        // "effusion" is a synonym of the tree and a term of the lexicon: in a report that names a disease otherwise, a finding
        assertFalse(s.get(1).diagnostic(), s.get(1).nodes().toString());
        // ... and the diagnosis of a report that names nothing else (the knowledge extractor's fallback)
        var alone = f.split("Small effusion. Heart size stable.");
        assertEquals(List.of("pleural effusion, effusion"), alone.get(0).nodes());
        assertFalse(alone.get(1).diagnostic());
        assertEquals(List.of("pneumonia, lobar pneumonia", "cardiomegaly, enlarged heart"), s.get(2).nodes());
        // the longest name claims its words: "pleural effusion" is one mention of one node
        assertEquals(List.of("pleural effusion, effusion"), f.mentions("Left pleural effusion."));
        // negated mentions are not diagnoses; a node whose own name starts with "no" still is
        assertEquals(List.of(), f.mentions("No pneumothorax or pleural effusion is seen"));
        assertEquals(List.of("cardiomegaly, enlarged heart"), f.mentions("There is no effusion but cardiomegaly persists"));
        assertEquals(List.of("no acute findings"), f.mentions("Impression: no acute findings"));
        // whole words only
        assertEquals(List.of(), f.mentions("pneumonias and pneumothoraces"));
        // spans point into the report
        assertEquals(s.get(2).text(), "Indication: cough.  Findings: patchy opacity with layering fluid, a small effusion! Impression: right lower lobe pneumonia and an ENLARGED heart?"
                .substring(s.get(2).start(), s.get(2).end()));
    }

    @Test
    void theTextSwapKeepsSentenceCountAndOrderAndSwapsTheDiseaseText(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        TrainingRow a = row("a.png", "Indication: cough. Findings: patchy opacity. Impression: lobar pneumonia.", "pneumonia");
        TrainingRow b = row("b.png", "Indication: dyspnoea. Impression: right pleural effusion. No prior study.", "pleural effusion");
        MedCutMix m = new MedCutMix(MedCutMix.Options.parse("p=1,lambda=0.25:0.25"), f, 7);
        MedCutMix.Plan p = m.plan(List.of(a, b), 0, 3, 4, (images, texts) -> uniform(images.length, 4));
        assertEquals(2, p.pairs().size());
        TrainingRow ma = p.rows().get(0);
        assertEquals("Indication: cough. Findings: patchy opacity. Impression: right pleural effusion.", ma.caption());
        assertEquals(ma.caption(), ma.truncatedCaption());
        assertEquals(List.of("Indication: cough", "Findings: patchy opacity", "Impression: right pleural effusion", ""), ma.subcaptions());
        assertArrayEquals(a.subMask(), ma.subMask());
        assertEquals(b.diseaseCaption(), ma.diseaseCaption());
        assertEquals("pleural effusion", ma.diagnosis());
        assertEquals(a.conceptCaption(), ma.conceptCaption());
        assertEquals("a.png", ma.filename());
        assertEquals(List.of("Impression: lobar pneumonia"), p.pairs().get(0).removed());
        assertEquals(List.of("Impression: right pleural effusion"), p.pairs().get(0).inserted());
        TrainingRow mb = p.rows().get(1);
        assertEquals("Indication: dyspnoea. Impression: lobar pneumonia. No prior study.", mb.caption());
        assertEquals(List.of("Indication: dyspnoea", "Impression: lobar pneumonia", "No prior study", ""), mb.subcaptions());
        assertEquals(a.diseaseCaption(), mb.diseaseCaption());
        for (TrainingRow r : p.rows()) assertEquals(3, f.split(r.caption()).size());
    }

    @Test
    void sentencesAllSwapsEveryDiagnosticSentenceInTurn(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        TrainingRow a = row("a", "Findings suggest pneumonia. Heart size stable. Impression: pneumonia.", "pneumonia");
        TrainingRow b = row("b", "Impression: pneumothorax. Apex lucent.", "pneumothorax");
        // ("normal" would be diagnostic: inner nodes of the tree are diagnoses too)
        TrainingRow c = row("c", "Lungs clear. Heart size stable.", "");
        MedCutMix m = new MedCutMix(MedCutMix.Options.parse("p=1,sentences=all"), f, 1);
        MedCutMix.Plan p = m.plan(List.of(a, b, c), 3, 3, 4, (images, texts) -> uniform(images.length, 4));
        // c has no diagnostic sentence: it is neither mixed nor a partner; a and b mix with each other
        assertEquals(2, p.pairs().size());
        assertEquals("Impression: pneumothorax. Heart size stable. Impression: pneumothorax.", p.rows().get(0).caption());
        assertSame(c, p.rows().get(2));
        assertEquals(2, p.partner()[2]);
        assertEquals(2, p.base()[2]);
    }

    @Test
    void probabilityZeroIsTheIdentity(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        List<TrainingRow> rows = List.of(row("a", "Impression: pneumonia.", "pneumonia"), row("b", "Impression: pneumothorax.", "pneumothorax"));
        MedCutMix m = new MedCutMix(MedCutMix.Options.parse("p=0"), f, 1);
        MedCutMix.Plan p = m.plan(rows, 5, 3, 4, (images, texts) -> {
            throw new AssertionError("no attention is needed when nothing mixes");
        });
        assertFalse(p.mixes());
        assertEquals(rows, p.rows());
        for (int i = 0; i < rows.size(); i++) assertSame(rows.get(i), p.rows().get(i));
        for (float w : p.weights()) assertEquals(0f, w);
    }

    @Test
    void theMaskHasTheRequestedShareOfTheMostAttendedPatches(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        List<TrainingRow> rows = List.of(row("a", "Impression: pneumonia.", "pneumonia"), row("b", "Impression: pneumothorax.", "pneumothorax"));
        int n = 64;
        // attention rising with the patch index, except patch 3 which is the most attended
        float[] att = new float[n];
        for (int i = 0; i < n; i++) att[i] = i + 1;
        att[3] = 1000;
        float sum = 0;
        for (float v : att) sum += v;
        for (int i = 0; i < n; i++) att[i] /= sum;
        for (String mix : List.of("hard", "soft")) {
            MedCutMix m = new MedCutMix(MedCutMix.Options.parse("p=1,lambda=0.25:0.25,layer=2,mix=" + mix), f, 3);
            MedCutMix.Plan p = m.plan(rows, 0, 6, n, (images, texts) -> new float[][] {att.clone(), att.clone()});
            assertEquals(2, p.layer());
            assertEquals(65, p.tokens());
            // ceil(0.25 * 64) = 16 patches: patch 3 and the 15 last
            int[] want = new int[16];
            want[0] = 3;
            for (int i = 1; i < 16; i++) want[i] = 48 + i;
            assertArrayEquals(want, p.pairs().get(0).patches());
            float[] w0 = Arrays.copyOfRange(p.weights(), 0, 65);
            assertEquals(0f, w0[0], "the class token is never mixed");
            int on = 0;
            for (int t = 1; t < 65; t++) if (w0[t] != 0) on++;
            assertEquals(16, on);
            if (mix.equals("hard")) {
                assertEquals(1f, w0[1 + 3]);
                assertEquals(1f, w0[1 + 63]);
            } else {
                assertEquals(1f, w0[1 + 3], 1e-7f);                  // the most attended patch moves fully
                assertEquals(64f / 1000f, w0[1 + 63], 1e-6f);        // others in proportion to their attention
                assertEquals(0f, w0[1 + 48]);                         // outside the mask
            }
        }
        // ceil(lambda N) with lambda 0.1 of 16 patches is 2
        MedCutMix m = new MedCutMix(MedCutMix.Options.parse("p=1,lambda=0.1:0.1"), f, 3);
        assertEquals(2, m.plan(rows, 0, 3, 16, (images, texts) -> uniform(2, 16)).pairs().get(0).patches().length);
    }

    @Test
    void mixedBatchBookkeepingReplaceAndAppend(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        List<TrainingRow> rows = List.of(row("a", "Impression: pneumonia.", "pneumonia"), row("b", "Impression: pneumothorax.", "pneumothorax"),
                row("c", "Lungs clear.", ""));
        for (String targets : List.of("replace", "append")) {
            MedCutMix m = new MedCutMix(MedCutMix.Options.parse("p=1,lambda=0.5:0.5,layer=0,targets=" + targets), f, 11);
            MedCutMix.Plan p = m.plan(rows, 0, 3, 2, (images, texts) -> new float[][] {{0.9f, 0.1f}, {0.2f, 0.8f}});
            boolean append = targets.equals("append");
            assertEquals(append ? 5 : 3, p.size());
            assertEquals(2, p.pairs().size());
            // pair 0 mixes a with b (patch 0, a's most attended), pair 1 b with a (patch 1)
            assertEquals(append ? 3 : 0, p.pairs().get(0).row());
            assertEquals(0, p.pairs().get(0).base());
            assertEquals(1, p.pairs().get(0).partner());
            assertEquals(append ? 4 : 1, p.pairs().get(1).row());
            if (append) for (int i = 0; i < 3; i++) assertSame(rows.get(i), p.rows().get(i));
            assertEquals("pneumothorax", p.rows().get(p.pairs().get(0).row()).diagnosis());
            // tokens of images a, b, c: value = 100 * image + 10 * token + channel
            try (NDManager nd = NDManager.newBaseManager()) {
                float[] x = new float[3 * 3 * 2];
                for (int i = 0; i < 3; i++) for (int t = 0; t < 3; t++) for (int c = 0; c < 2; c++) x[(i * 3 + t) * 2 + c] = 100 * i + 10 * t + c;
                NDArray xs = Tensors.of(nd, x, new Shape(3, 3, 2));
                int[] src = p.sources(0, p.size());
                assertArrayEquals(new int[] {0, 1, 2}, src);
                float[] out = p.hook(0, p.size(), src).apply().apply(xs).toFloatArray();
                float[][] want = append
                        ? new float[][] {{0, 1, 10, 11, 20, 21}, {100, 101, 110, 111, 120, 121}, {200, 201, 210, 211, 220, 221},
                            {0, 1, 110, 111, 20, 21}, {100, 101, 110, 111, 20, 21}}
                        : new float[][] {{0, 1, 110, 111, 20, 21}, {100, 101, 110, 111, 20, 21}, {200, 201, 210, 211, 220, 221}};
                float[] flat = new float[want.length * 6];
                for (int r = 0; r < want.length; r++) System.arraycopy(want[r], 0, flat, r * 6, 6);
                assertArrayEquals(flat, out, 1e-4f);
                // a part of the batch: rows [1, 2) need images 0 and 1 only (append: row 1 is image b unmixed)
                int[] part = p.sources(1, 1);
                assertArrayEquals(append ? new int[] {1} : new int[] {0, 1}, part);
                NDArray sub = xs.get(new ai.djl.ndarray.index.NDIndex("{}", Tensors.of(nd, Arrays.stream(part).asLongStream().toArray())));
                float[] one = p.hook(1, 1, part).apply().apply(sub).toFloatArray();
                assertArrayEquals(append ? want[1] : want[1], one, 1e-4f);
            }
        }
    }

    @Test
    void aFixedSeedGivesIdenticalMixesAndTheStepChangesThem(@TempDir Path dir) throws Exception {
        DiagnosticSentences f = finder(dir);
        String[] dx = {"pneumonia", "pneumothorax", "pleural effusion", "cardiomegaly", "no acute findings"};
        List<TrainingRow> rows = new ArrayList<>();
        for (int i = 0; i < 40; i++) rows.add(row("r" + i, "Film " + i + ". Impression: " + dx[i % 5] + ".", dx[i % 5]));
        MedCutMix.Attention att = (images, texts) -> {
            float[][] o = new float[images.length][16];
            for (int q = 0; q < images.length; q++) for (int t = 0; t < 16; t++) o[q][t] = (float) Math.abs(Math.sin(images[q] * 7 + t));
            return o;
        };
        MedCutMix.Plan p1 = new MedCutMix(MedCutMix.Options.defaults(), f, 5).plan(rows, 12, 12, 16, att);
        MedCutMix.Plan p2 = new MedCutMix(MedCutMix.Options.defaults(), f, 5).plan(rows, 12, 12, 16, att);
        assertEquals(p1.rows().stream().map(TrainingRow::caption).toList(), p2.rows().stream().map(TrainingRow::caption).toList());
        assertArrayEquals(p1.partner(), p2.partner());
        assertArrayEquals(p1.weights(), p2.weights());
        assertEquals(p1.layer(), p2.layer());
        MedCutMix.Plan p3 = new MedCutMix(MedCutMix.Options.defaults(), f, 5).plan(rows, 13, 12, 16, att);
        assertFalse(Arrays.equals(p1.partner(), p3.partner()) && Arrays.equals(p1.weights(), p3.weights()));
        // about half the samples mix (p = 0.5), partners always name another disease, layer in 0..L/3
        assertTrue(p1.pairs().size() > 8 && p1.pairs().size() < 32, "pairs " + p1.pairs().size());
        for (MedCutMix.Pair q : p1.pairs()) assertNotEquals(rows.get(q.base()).diagnosis(), rows.get(q.partner()).diagnosis());
        java.util.Set<Integer> layers = new java.util.TreeSet<>();
        for (int s = 0; s < 50; s++) layers.add(new MedCutMix(MedCutMix.Options.defaults(), f, 5).plan(rows, s, 12, 16, att).layer());
        assertEquals(java.util.Set.of(0, 1, 2, 3, 4), layers);
    }

    @Test
    void optionsParseAndRefuseNonsense() {
        assertEquals(MedCutMix.Options.defaults(), MedCutMix.Options.parse("on"));
        MedCutMix.Options o = MedCutMix.Options.parse("p=0.3, sentences=all, lambda=0.2:0.4, layer=1, mix=soft, targets=append, tau=0.1");
        assertEquals(new MedCutMix.Options(0.3, true, 0.2, 0.4, 1, MedCutMix.Mix.SOFT, MedCutMix.Targets.APPEND, 0.1), o);
        assertEquals(o, MedCutMix.Options.parse(o.spec()));
        assertEquals("p=0.5,sentences=one,lambda=0.1:0.5,layer=auto,mix=hard,targets=replace,tau=0.07", MedCutMix.Options.configValue("on"));
        assertEquals(null, MedCutMix.Options.configValue("off"));
        for (String bad : List.of("p=2", "lambda=0.6:0.2", "mix=blend", "layer=-3", "tau=0", "colour=red", "p", "p=x")) {
            KitException e = assertThrows(KitException.class, () -> MedCutMix.Options.parse(bad), bad);
            assertTrue(e.getMessage().contains("medcutmix"), e.getMessage());
        }
    }

    static float[][] uniform(int n, int patches) {
        float[][] o = new float[n][patches];
        for (float[] r : o) Arrays.fill(r, 1f / patches);
        return o;
    }
}
