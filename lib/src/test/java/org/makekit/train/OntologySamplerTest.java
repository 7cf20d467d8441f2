package org.makekit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.makekit.Golden;
import org.makekit.loss.MakeLoss;
import org.makekit.loss.OmakeLoss;

/** The ontology sampler against the golden's exact facts (split, tail classes, schedule, scores) and its own properties. */
class OntologySamplerTest {
    static final JsonObject FACTS = Golden.json(Golden.dir("omake-loss").resolve("cases.json")).getAsJsonObject().getAsJsonObject("sampler");
    static double[][] matrix;

    static OntologySampler.Similarity sim() {
        if (matrix == null) {
            JsonArray rows = Golden.json(Golden.dir("omake-loss").resolve("ontology_similarity.json")).getAsJsonObject().getAsJsonArray("matrix");
            matrix = new double[rows.size()][];
            for (int i = 0; i < rows.size(); i++) matrix[i] = Golden.flat(rows.get(i));
        }
        return (a, b) -> a < 0 || b < 0 ? 0 : matrix[a][b];
    }

    static int[] labels() {
        return java.util.Arrays.stream(Golden.flat(FACTS.get("dataset_ontology_targets"))).mapToInt(d -> (int) d).toArray();
    }

    static OntologySampler sampler(long seed) {
        return new OntologySampler(labels(), sim(), FACTS.get("batch_size").getAsInt(), FACTS.get("max_epochs").getAsInt(), seed);
    }

    static Set<Integer> ints(JsonElement e) {
        Set<Integer> s = new LinkedHashSet<>();
        for (double d : Golden.flat(e)) s.add((int) d);
        return s;
    }

    @Test
    void splitTailClassesScheduleAndScoresAreTheOfficialOnes() {
        OntologySampler s = sampler(0);
        assertEquals(FACTS.get("labeled_per_batch").getAsInt(), s.labelledPerBatch());
        assertEquals(FACTS.get("unlabeled_per_batch").getAsInt(), s.unlabelledPerBatch());
        assertEquals(ints(FACTS.get("tail_classes")), new HashSet<>(s.tailClasses()));
        assertEquals(ints(FACTS.get("head_classes")), new HashSet<>(s.headClasses()));
        assertEquals(FACTS.get("natural_head_ratio").getAsDouble(), s.naturalHeadRatio(), 1e-15);
        double[] w = Golden.flat(FACTS.get("connectivity_weight_schedule"));
        for (int e = 0; e < w.length; e++) assertEquals(w[e], OntologySampler.connectivityWeight(e, FACTS.get("max_epochs").getAsInt()), 1e-15);
        assertEquals(1.0, OntologySampler.connectivityWeight(40, 15), "after the last epoch");
        for (JsonElement ex : FACTS.getAsJsonArray("connectivity_score_examples")) {
            List<Integer> l = new ArrayList<>(ints(ex.getAsJsonObject().get("labels")));
            assertEquals(ex.getAsJsonObject().get("score").getAsDouble(), s.connectivityScore(l), 1e-15, "labels " + l);
        }
    }

    @Test
    void everyBatchIsFullAndNoRowComesTwiceInAnEpoch() {
        OntologySampler s = sampler(3);
        int bs = FACTS.get("batch_size").getAsInt();
        int[] labels = labels();
        for (int e : new int[] {0, 5, 14, 20}) {
            int[] order = s.order(e);
            assertEquals(labels.length / bs * bs, order.length, "whole batches only (150 rows, 16 a batch: 9 batches)");
            assertEquals(order.length, new HashSet<>(java.util.Arrays.stream(order).boxed().toList()).size(), "no row twice, epoch " + e);
            // While both pools last, each batch has the labelled/unlabelled split; the unlabelled pool (30 rows, 4 a batch)
            // lasts 7 batches, after which batches are filled from the labelled pool.
            int withSplit = 0;
            for (int b = 0; b < order.length / bs; b++) {
                int unl = 0;
                for (int i = b * bs; i < (b + 1) * bs; i++) if (labels[order[i]] < 0) unl++;
                if (unl == s.unlabelledPerBatch()) withSplit++;
                assertTrue(unl <= s.unlabelledPerBatch(), "batch " + b + " has " + unl + " unlabelled");
            }
            assertTrue(withSplit >= 7, "epoch " + e + ": " + withSplit + " batches with the 12/4 split");
        }
        assertArrayEquals(s.order(4), sampler(3).order(4), "a pure function of (seed, epoch): resume draws the same");
        assertFalse(java.util.Arrays.equals(s.order(4), s.order(5)), "epochs differ");
    }

    /** Late epochs (connectivity share near 1) put tail rows with their ontology neighbours: more connected batches than epoch 0. */
    @Test
    void connectivityRisesWithTheEpoch() {
        OntologySampler s = sampler(1);
        int bs = FACTS.get("batch_size").getAsInt();
        int[] labels = labels();
        double early = 0;
        double late = 0;
        for (long seed = 0; seed < 20; seed++) {
            OntologySampler t = sampler(seed);
            early += meanScore(t, t.order(0), labels, bs);
            late += meanScore(t, t.order(14), labels, bs);
        }
        assertTrue(late > early, "mean batch connectivity score: epoch 14 " + late / 20 + " vs epoch 0 " + early / 20);
        assertEquals(0.0, OntologySampler.connectivityWeight(0, 15), "epoch 0 is fully random");
        assertTrue(s.toString().contains("12 labelled + 4 unlabelled"));
    }

    static double meanScore(OntologySampler s, int[] order, int[] labels, int bs) {
        double sum = 0;
        for (int b = 0; b < order.length / bs; b++) {
            List<Integer> l = new ArrayList<>();
            for (int i = b * bs; i < (b + 1) * bs; i++) if (labels[order[i]] >= 0) l.add(labels[order[i]]);
            sum += s.connectivityScore(l);
        }
        return sum / (order.length / bs);
    }

    @Test
    void omakeIsRegisteredWithOhclAndItsCurriculum() {
        Method m = Method.parse("omake");
        assertEquals("✓", m.marks().get("ohcl"));
        OmakeLoss.OmakeObjective fixed = (OmakeLoss.OmakeObjective) m.objective().create(Method.Settings.defaults());
        assertEquals(0.5, fixed.options().beta(), "the released training's constant beta");
        fixed.startEpoch(7, 15);
        assertEquals(0.5, fixed.options().beta(), "constant unless the cosine schedule is asked for");
        OmakeLoss.OmakeObjective cosine = (OmakeLoss.OmakeObjective) m.objective()
                .create(new Method.Settings(MakeLoss.Mode.COMPAT, 8, 0.0, 0.5, true, null));
        cosine.startEpoch(5, 15);
        assertEquals(0.375, cosine.options().beta(), 1e-15, "beta of epoch 5 of 15 (the golden's curriculum)");
        assertEquals(List.of("mkcl_i2t", "mkcl_t2i", "slra", "slra_gates_open", "slra_pooled_norm"), cosine.partNames());
    }
}
