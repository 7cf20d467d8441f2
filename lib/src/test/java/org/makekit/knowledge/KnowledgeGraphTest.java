package org.makekit.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.text.ClipBpeTokenizer;
import org.makekit.text.Gpt2Tokenizer;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;

/** ARL's knowledge inputs from an ontology: the graph, TransE (by hand and trained), the entity linker. */
class KnowledgeGraphTest {
    static Ontology ontology(Path dir, String json) throws Exception {
        Files.writeString(dir.resolve("o.json"), json);
        return Ontology.load(dir.resolve("o.json"));
    }

    @Test
    void theDerm1mTreeAsAGraph() {
        KnowledgeGraph g = new KnowledgeGraph(Ontology.builtin());
        // ../shared/notes related-methods.md 2.9: 371 nodes, 364 parent-child edges, both directions = 728 triples
        assertEquals(371, g.entities().size());
        assertEquals(728, g.triples().size());
        assertEquals(364, g.triples().stream().filter(t -> t.relation() == 0).count());
        assertTrue(!g.names().containsKey("nos"));
        // a parenthesised qualifier is dropped from a name; the phrase inside is no name (it is mostly a finding)
        assertTrue(g.names().containsKey("actinic solar damage") && g.names().containsKey("psoriasis (plaque)"));
        for (String finding : List.of("plaque", "telangiectasia", "pigmentation")) {
            assertTrue(!g.names().containsKey(finding), "'" + finding + "' is a finding, not a disease name");
        }
        for (var e : g.sharedNames().entrySet()) assertTrue(e.getValue().size() >= 2, e.toString());
        assertTrue(g.sharedNames().containsKey("melanocytic"), g.sharedNames().keySet().toString());
    }

    @Test
    void transeScoreAndMarginLossByHand() {
        // h = (1, 0), r = (0, 2) -> (0, 1) normalised, t = (3, 3) -> (1/sqrt2, 1/sqrt2): |1 - 0.7071| + |1 - 0.7071|
        double p = TransE.distance(new double[] {1, 0}, new double[] {0, 2}, new double[] {3, 3});
        assertEquals(2 - Math.sqrt(2), p, 1e-12);
        // a corrupted tail (-1, 0): |1 + 1| + |1 - 0| = 3
        double n = TransE.distance(new double[] {1, 0}, new double[] {0, 2}, new double[] {-1, 0});
        assertEquals(3.0, n, 1e-12);
        // OpenKE's MarginLoss, margin 5: max(p - n, -5) + 5 = p - n + 5; a negative far enough away gives 0
        assertEquals(2 - Math.sqrt(2) - 3 + 5, TransE.marginLoss(p, new double[] {n}, 5), 1e-12);
        assertEquals(0.0, TransE.marginLoss(p, new double[] {p + 7}, 5), 1e-12);
        assertEquals((p - n + 5 + 0) / 2, TransE.marginLoss(p, new double[] {n, p + 7}, 5), 1e-12);
        // the gradient of the distance equals central finite differences
        SplittableRandom rng = new SplittableRandom(3);
        double[][] e = TransE.xavier(3, 5, rng);
        double[][] r = TransE.xavier(1, 5, rng);
        double[][] ge = new double[3][];
        double[][] gr = new double[1][];
        TransE.accumulate(e, r, ge, gr, 0, 0, 2, 1.0);
        for (int[] at : new int[][] {{0, 1}, {2, 4}, {-1, 3}}) {
            double[] w = at[0] < 0 ? r[0] : e[at[0]];
            double old = w[at[1]];
            w[at[1]] = old + 1e-6;
            double up = TransE.distance(e[0], r[0], e[2]);
            w[at[1]] = old - 1e-6;
            double down = TransE.distance(e[0], r[0], e[2]);
            w[at[1]] = old;
            double g = at[0] < 0 ? gr[0][at[1]] : ge[at[0]][at[1]];
            assertEquals((up - down) / 2e-6, g, 1e-6, Arrays.toString(at));
        }
    }

    @Test
    void trainedEmbeddingsTranslateHeadsToTailsBetterThanRandom(@TempDir Path dir) throws Exception {
        KnowledgeGraph g = new KnowledgeGraph(ontology(dir, """
                {"root": {"a": {"a1": {}, "a2": {}, "a3": {}}, "b": {"b1": {}, "b2": {}}, "c": {"c1": {}}}}"""));
        assertEquals(10, g.entities().size());
        assertEquals(18, g.triples().size());
        TransE.Settings s = new TransE.Settings(16, 5.0, 5, 300, 1.0, 3, 0);
        TransE untrained = TransE.train(g, new TransE.Settings(16, 5.0, 5, 0, 1.0, 3, 0));
        TransE trained = TransE.train(g, s);
        double[] before = gap(untrained, g);
        double[] after = gap(trained, g);
        System.out.printf("TransE on a 10-node tree: true triples %.3f vs corrupted %.3f before, %.3f vs %.3f after; hits@1 %.2f -> %.2f%n",
                before[0], before[1], after[0], after[1], before[2], after[2]);
        assertTrue(after[1] - after[0] > 1.0 && after[1] - after[0] > 3 * Math.abs(before[1] - before[0]),
                "corrupted triples score farther than true ones by a clear margin after training: " + Arrays.toString(after));
        assertTrue(after[2] > 0.5 && after[2] > before[2], "hits@1 of the true tail: " + before[2] + " -> " + after[2]);
        assertTrue(trained.epochLoss().get(299) < trained.epochLoss().get(0) / 2, trained.epochLoss().toString());
        // saved and reused
        TransE a = TransE.cached(g, s, dir.resolve("cache"));
        try (var files = Files.list(dir.resolve("cache"))) {
            assertEquals(1, files.count());
        }
        TransE b = TransE.cached(g, s, dir.resolve("cache"));
        for (int i = 0; i < a.entity().length; i++) assertArrayEquals(a.entity()[i], b.entity()[i], 0.0);
        for (int i = 0; i < a.entity().length; i++) assertArrayEquals(trained.entity()[i], a.entity()[i], 0.0, "deterministic by seed");
        KnowledgeGraph other = new KnowledgeGraph(ontology(dir, "{\"x\": {\"y\": {}}}"));
        Path file;
        try (var files = Files.list(dir.resolve("cache"))) {
            file = files.findFirst().orElseThrow();
        }
        KitException ex = assertThrows(KitException.class, () -> TransE.load(file, other));
        assertTrue(ex.getMessage().contains("other entities"), ex.getMessage());
    }

    /** {mean score of true triples, mean score of tail-corrupted non-triples, share of true tails ranked first}. */
    static double[] gap(TransE t, KnowledgeGraph g) {
        java.util.Set<List<Integer>> known = new java.util.HashSet<>();
        for (var x : g.triples()) known.add(List.of(x.head(), x.relation(), x.tail()));
        double pos = 0;
        double neg = 0;
        int negs = 0;
        int hits = 0;
        for (var x : g.triples()) {
            double p = t.score(x.head(), x.relation(), x.tail());
            pos += p;
            boolean best = true;
            for (int e = 0; e < g.entities().size(); e++) {
                if (known.contains(List.of(x.head(), x.relation(), e))) continue;
                double n = t.score(x.head(), x.relation(), e);
                neg += n;
                negs++;
                best &= p < n;
            }
            if (best) hits++;
        }
        return new double[] {pos / g.triples().size(), neg / negs, (double) hits / g.triples().size()};
    }

    @Test
    void theLinkerFindsTheLongestNamesOnTokenIds(@TempDir Path dir) throws Exception {
        KnowledgeGraph g = new KnowledgeGraph(ontology(dir, """
                {"thoracic disease": {"pneumonia, lobar pneumonia": {}, "pleural effusion, effusion": {}, "pneumothorax": {}}}"""));
        String text = "Impression: right Lobar pneumonia and a small pleural effusion, no pneumothorax.";
        for (Tokenizer tok : List.of(ClipBpeTokenizer.builtin(77), new Gpt2Tokenizer(77))) {
            EntityLinker l = new EntityLinker(g, tok);
            long[] ids = tok.encode(text);
            var m = l.link(ids);
            assertEquals(List.of("pneumonia, lobar pneumonia", "pleural effusion, effusion", "pneumothorax"),
                    m.stream().map(x -> g.entities().get(x.entity())).toList(), tok.name());
            assertEquals(List.of("lobar pneumonia", "pleural effusion", "pneumothorax"),
                    m.stream().map(x -> tok.decode(Arrays.copyOfRange(ids, x.start(), x.end())).strip().toLowerCase()).toList(), tok.name());
            assertTrue(m.get(0).start() >= 1, "positions count SOT");
            assertEquals(List.of(), l.link("the pleura and lungs are clear"), tok.name());
        }
    }

    @Test
    void theLinkerMatchesWholeWordsOnly(@TempDir Path dir) throws Exception {
        KnowledgeGraph g = new KnowledgeGraph(ontology(dir, """
                {"skin": {"scar": {}, "wart, verruca": {}, "Psoriasis (plaque)": {}}}"""));
        for (Tokenizer tok : List.of(ClipBpeTokenizer.builtin(77), new Gpt2Tokenizer(77))) {
            EntityLinker l = new EntityLinker(g, tok);
            // GPT-2 cuts "scarring" into " scar" + "ring" and "warts" into " wart" + "s": neither is a mention
            assertEquals(List.of(), l.link("The patient worried about scarring and about warts."), tok.name());
            assertEquals(List.of("scar", "wart, verruca"), l.link("A scar beside a wart.").stream().map(x -> g.entities().get(x.entity())).toList(),
                    tok.name());
            assertEquals(List.of("Psoriasis (plaque)"), l.link("Psoriasis of the elbow with a plaque.").stream()
                    .map(x -> g.entities().get(x.entity())).toList(), tok.name() + ": 'plaque' names no disease");
        }
    }
}
