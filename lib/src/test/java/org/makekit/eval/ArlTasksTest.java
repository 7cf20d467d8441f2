package org.makekit.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.TrainingRow;

/** The downstream pieces of the ARL study: ranks from a score matrix, questions from ground truth, the probe. */
class ArlTasksTest {
    @Test
    void ranksFromAScoreMatrix() {
        // image 0 prefers text 1, image 1 its own, image 2 ties its own with text 0 (the lower index wins)
        double[][] s = {{0.2, 0.9, 0.1}, {0.3, 0.8, 0.0}, {0.5, 0.4, 0.5}};
        RetrievalEval.Ranks r = RetrievalEval.ranks(s);
        assertArrayEquals(new int[] {1, 0, 1}, r.imageToText());
        // text 0: images score 0.2, 0.3, 0.5 -> its own image ranks 2; text 1: 0.9 vs 0.8 -> 1; text 2: 0.1, 0.0, 0.5 -> 0
        assertArrayEquals(new int[] {2, 1, 0}, r.textToImage());
        Map<String, Double> m = ArlTasks.retrievalMetrics(r);
        assertEquals(1 / 3.0, m.get("image_to_text_R@1"), 1e-12);
        assertEquals(1 / 3.0, m.get("text_to_image_R@1"), 1e-12);
        assertEquals((1 / 3.0 + 1 / 3.0 + 4 * 1.0) / 6, m.get("mean_recall"), 1e-12);
    }

    static TrainingRow row(String file, String label) {
        return new TrainingRow(file, "c", "c", "", "", List.of(), new boolean[0], new boolean[0], label, "", label, "test");
    }

    @Test
    void questionsComeFromTheGroundTruthWithBalancedClosedAnswers(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("c.csv"), "image,crust,scale,brown(hyperpigmentation),ulcer\na.png,1,0,1,0\nb.png,0,0,0,1\n");
        var concepts = org.makekit.experiments.Experiment.readConceptLabels(dir.resolve("c.csv"), "image");
        List<ArlTasks.Question> qs = ArlTasks.questions(List.of(row("a.png", "melanoma"), row("b.png", "nevus")), concepts, 2, 0);
        // a: the diagnosis, 2 yes (crust, brown) and 2 no; b: the diagnosis, 1 yes (ulcer) and 1 no
        assertEquals(5 + 3, qs.size());
        assertEquals(new ArlTasks.Question(0, "What is the diagnosis?", "melanoma", false), qs.get(0));
        assertEquals(2, qs.stream().filter(q -> q.image() == 0 && q.answer().equals("yes")).count());
        assertEquals(2, qs.stream().filter(q -> q.image() == 0 && q.answer().equals("no")).count());
        assertTrue(qs.contains(new ArlTasks.Question(0, "Is there brown hyperpigmentation?", "yes", true)), qs.toString());
        assertTrue(qs.contains(new ArlTasks.Question(1, "Is there ulcer?", "yes", true)), qs.toString());
        for (ArlTasks.Question q : qs) {
            if (!q.closed()) continue;
            String c = q.text().substring("Is there ".length(), q.text().length() - 1);
            String col = concepts.get("a.png").keySet().stream().filter(k -> ArlTasks.conceptWords(k).equals(c)).findFirst().orElseThrow();
            String file = q.image() == 0 ? "a.png" : "b.png";
            assertEquals(concepts.get(file).get(col) ? "yes" : "no", q.answer(), q.toString());
        }
        List<String> answers = ArlTasks.answers(List.of("melanoma", "nevus"));
        int[] truth = ArlTasks.answerIndex(qs, answers);
        Map<String, Double> all = ArlTasks.vqaScores(qs, truth, answers);
        assertEquals(1.0, all.get("vqa_overall"));
        int[] allNo = new int[qs.size()];
        java.util.Arrays.fill(allNo, answers.indexOf("no"));
        Map<String, Double> no = ArlTasks.vqaScores(qs, allNo, answers);
        assertEquals(0.5, no.get("vqa_closed"), 1e-12, "closed answers are balanced: always 'no' scores one half");
        assertEquals(0.0, no.get("vqa_open"), 1e-12);
    }

    @Test
    void theProbeLearnsWhatTheFeaturesSeparateAndNotWhatTheyDoNot() {
        SplittableRandom r = new SplittableRandom(1);
        int n = 400;
        float[][] x = new float[n][4];
        int[] y = new int[n];
        int[] noise = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
            noise[i] = r.nextInt(3);
            for (int j = 0; j < 4; j++) x[i][j] = (float) r.nextGaussian();
            x[i][y[i]] += 3f; // class c shifts feature c
        }
        for (Probe.Options o : List.of(Probe.Options.linear(), Probe.Options.vqaHead(8))) {
            Probe p = Probe.fit(java.util.Arrays.copyOf(x, 300), java.util.Arrays.copyOf(y, 300), 3, o);
            int[] pred = p.predict(java.util.Arrays.copyOfRange(x, 300, n));
            double acc = ArlTasks.accuracy(pred, java.util.Arrays.copyOfRange(y, 300, n), 3).get("accuracy");
            assertTrue(acc > 0.85, o + ": held-out accuracy " + acc);
            Probe q = Probe.fit(java.util.Arrays.copyOf(x, 300), java.util.Arrays.copyOf(noise, 300), 3, o);
            double chance = ArlTasks.accuracy(q.predict(java.util.Arrays.copyOfRange(x, 300, n)),
                    java.util.Arrays.copyOfRange(noise, 300, n), 3).get("accuracy");
            assertTrue(chance < 0.5, o + ": labels unrelated to the features stay near chance on held-out rows: " + chance);
        }
    }
}
