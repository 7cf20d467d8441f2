package org.makekit.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.makekit.Golden;

/** golden/metrics: every group, against scikit-learn and the official code's outputs. */
class MetricsGoldenTest {
    static final JsonObject CASES = Golden.json(Golden.dir("metrics").resolve("cases.json")).getAsJsonObject("cases");

    static double[][] matrix(JsonElement e) {
        JsonArray a = e.getAsJsonArray();
        double[][] m = new double[a.size()][];
        for (int i = 0; i < m.length; i++) m[i] = Golden.flat(a.get(i));
        return m;
    }

    static int[] ints(JsonElement e) {
        return java.util.Arrays.stream(Golden.flat(e)).mapToInt(d -> (int) d).toArray();
    }

    static double[][] mul(double[][] a, double[][] b, double s) {
        double[][] out = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < b[0].length; j++) {
                double v = 0;
                for (int k = 0; k < b.length; k++) v += a[i][k] * b[k][j];
                out[i][j] = s * v;
            }
        }
        return out;
    }

    @Test
    void classificationMatchesSklearnOnTheWholeSet() {
        int n = 0;
        for (JsonElement e : CASES.getAsJsonArray("classification")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            JsonObject in = c.getAsJsonObject("inputs");
            JsonObject out = c.getAsJsonObject("outputs");
            int classes = c.get("C").getAsInt();
            double[][] logits = mul(matrix(in.get("image_features")), matrix(in.get("classifier")),
                    in.get("logit_scale_fixed").getAsDouble());
            int[] labels = ints(in.get("labels"));
            double[][] probs = Metrics.softmax(logits);
            Golden.assertClose(Golden.flat(out.get("logits")), flatten(logits), 1e-10, name + " logits");
            Golden.assertClose(Golden.flat(out.get("probs")), flatten(probs), 1e-12, name + " probs");
            assertEquals(out.get("top1_acc").getAsDouble(), Metrics.top1(probs, labels), 1e-12, name + " top1");
            assertEquals(out.get("top5_acc").getAsDouble(), Metrics.topK(probs, labels, 5), 1e-12, name + " top5");
            assertEquals(out.get("auroc_ovr_macro").getAsDouble(), Metrics.macroAuroc(probs, labels, classes), 1e-12, name + " AUROC");
            assertArrayEquals(Golden.flat(out.get("auroc_per_class")), Metrics.aurocPerClass(probs, labels, classes), 1e-12, name);
            assertEquals(out.get("weighted_f1").getAsDouble(), Metrics.weightedF1(probs, labels, classes), 1e-12, name + " F1");
            n++;
        }
        assertEquals(4, n);
    }

    static double[] flatten(double[][] m) {
        return java.util.Arrays.stream(m).flatMapToDouble(java.util.Arrays::stream).toArray();
    }

    @Test
    void retrievalRanksAndRecallsMatchTheOfficialRule() {
        for (JsonElement e : CASES.getAsJsonArray("retrieval")) {
            JsonObject c = e.getAsJsonObject();
            String name = c.get("name").getAsString();
            JsonObject in = c.getAsJsonObject("inputs");
            JsonObject out = c.getAsJsonObject("outputs");
            double[][] img = matrix(in.get("image_features"));
            double[][] txt = matrix(in.get("text_features"));
            double s = in.get("logit_scale").getAsDouble();
            double[][] i2t = mul(img, transpose(txt), s);
            double[][] t2i = transpose(i2t);
            for (String dir : new String[] {"image_to_text", "text_to_image"}) {
                int[] ranks = Metrics.ranks(dir.equals("image_to_text") ? i2t : t2i);
                assertArrayEquals(ints(out.get(dir + "_ranks0")), ranks, name + " " + dir);
                for (int k : new int[] {1, 5, 10, 50, 100}) {
                    assertEquals(out.get(dir + "_R@" + k).getAsDouble(), Metrics.recallAt(ranks, k), 1e-12, name + " R@" + k);
                }
                assertEquals(out.get(dir + "_mean_rank").getAsDouble(), Metrics.meanRank(ranks), 1e-12);
                assertEquals(out.get(dir + "_median_rank").getAsDouble(), Metrics.medianRank(ranks), 1e-12);
            }
        }
    }

    static double[][] transpose(double[][] m) {
        double[][] t = new double[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) for (int j = 0; j < m[0].length; j++) t[j][i] = m[i][j];
        return t;
    }

    @Test
    void conceptPresenceAndAurocMatchMonet() {
        JsonObject c = CASES.getAsJsonArray("concept_presence").get(0).getAsJsonObject();
        JsonObject in = c.getAsJsonObject("inputs");
        JsonObject out = c.getAsJsonObject("outputs");
        double[][] img = matrix(in.get("image_features_norm"));
        JsonArray refA = in.getAsJsonArray("prompt_ref_embedding_norm");
        double[][] ref = new double[refA.size()][];
        for (int t = 0; t < ref.length; t++) ref[t] = Golden.flat(refA.get(t).getAsJsonArray().get(0));
        JsonArray order = in.getAsJsonArray("concept_order");
        double[][] labels = matrix(in.get("labels"));
        double[][] expected = matrix(out.get("presence_score_float64"));
        double[] auroc = Golden.flat(out.get("auroc_per_concept"));
        double sum = 0;
        for (int k = 0; k < order.size(); k++) {
            JsonArray tgt = in.getAsJsonObject("concepts").getAsJsonObject(order.get(k).getAsString())
                    .getAsJsonArray("prompt_target_embedding_norm");
            double[][][] target = new double[tgt.size()][][];
            for (int t = 0; t < target.length; t++) target[t] = matrix(tgt.get(t));
            double[] scores = new double[img.length];
            boolean[] pos = new boolean[img.length];
            for (int i = 0; i < img.length; i++) {
                scores[i] = ConceptScore.presence(img[i], target, ref);
                assertEquals(expected[i][k], scores[i], 1e-6, "score " + i + " " + k);
                pos[i] = labels[i][k] != 0;
            }
            assertEquals(auroc[k], Metrics.auroc(scores, pos), 1e-12, "concept " + k);
            sum += auroc[k];
        }
        assertEquals(out.get("auroc_mean").getAsDouble(), sum / order.size(), 1e-12);
    }

    @Test
    void aurocAndTopKTieRules() {
        for (JsonElement e : CASES.getAsJsonArray("auroc_basic")) {
            JsonObject c = e.getAsJsonObject();
            if (!c.has("scores")) continue;
            double[] s = Golden.flat(c.get("scores"));
            int[] l = ints(c.get("labels"));
            boolean[] p = new boolean[l.length];
            for (int i = 0; i < l.length; i++) p[i] = l[i] == 1;
            assertEquals(c.get("auroc").getAsDouble(), Metrics.auroc(s, p), 1e-12, c.get("name").getAsString());
        }
        JsonObject t = CASES.getAsJsonArray("topk").get(0).getAsJsonObject();
        double[][] probs = Metrics.softmax(matrix(t.get("logits")));
        int[] labels = ints(t.get("labels"));
        int[] hits1 = ints(t.get("top1_hits"));
        int[] hits5 = ints(t.get("top5_hits"));
        for (int i = 0; i < labels.length; i++) {
            assertEquals(hits1[i] == 1, Metrics.argmax(probs[i]) == labels[i], "top-1 row " + i);
            assertEquals(hits5[i] == 1, Metrics.inTopK(probs[i], labels[i], 5), "top-5 row " + i);
        }
        assertEquals(t.get("top1_acc").getAsDouble(), Metrics.top1(probs, labels), 1e-12);
        assertEquals(t.get("top5_acc").getAsDouble(), Metrics.topK(probs, labels, 5), 1e-12);
    }
}
