package org.makekit.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.makekit.Golden;

/**
 * Every case of golden/omake-loss (the official O-MAKE code, float64), both modes: soft targets, DKW
 * and t2i weights, per-row losses, loss parts, SLRA vectors and gradients. float64 within 1e-9
 * relative, float32 within 1e-4 of each vector's scale.
 */
class OmakeLossGoldenTest {
    static final JsonObject ROOT = Golden.json(Golden.dir("omake-loss").resolve("cases.json")).getAsJsonObject();
    static double[][] matrix;

    static synchronized double[][] matrix() {
        if (matrix == null) {
            var rows = Golden.json(Golden.dir("omake-loss").resolve("ontology_similarity.json")).getAsJsonObject().getAsJsonArray("matrix");
            matrix = new double[rows.size()][];
            for (int i = 0; i < rows.size(); i++) matrix[i] = Golden.flat(rows.get(i));
        }
        return matrix;
    }

    static List<JsonObject> cases() {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : ROOT.getAsJsonArray("cases")) out.add(e.getAsJsonObject());
        return out;
    }

    static Stream<Arguments> casesAndModes() {
        return MakeLossGoldenTest.casesAndModes(cases(), 6);
    }

    static int[] labels(JsonObject c) {
        return java.util.Arrays.stream(Golden.flat(c.getAsJsonObject("inputs").get("ontology_targets"))).mapToInt(d -> (int) d).toArray();
    }

    static boolean[][] mask(JsonObject c) {
        int b = c.get("B").getAsInt();
        double[] f = Golden.flat(c.getAsJsonObject("inputs").get("caption_mask"));
        boolean[][] mask = new boolean[b][11];
        for (int i = 0; i < b * 11; i++) mask[i / 11][i % 11] = f[i] != 0;
        return mask;
    }

    static OmakeLoss.Options options(JsonObject c, String mode) {
        boolean dkw = c.get("use_disease_specific_weight").getAsBoolean();
        MakeLoss.Options mo = new MakeLoss.Options(MakeLoss.Mode.parse(mode), 8, true, dkw, c.get("lambda_m").getAsDouble(),
                c.get("lambda_s").getAsDouble(), c.get("sigma").getAsDouble());
        return new OmakeLoss.Options(mo, c.get("beta").getAsDouble(), c.get("temp").getAsDouble());
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("casesAndModes")
    void matchesOfficialValuesAndGradients(String name, String mode, DataType dt) {
        JsonObject c = cases().stream().filter(x -> x.get("name").getAsString().equals(name)).findFirst().orElseThrow();
        JsonObject in = c.getAsJsonObject("inputs");
        JsonObject out = c.getAsJsonObject("outputs").getAsJsonObject(mode);
        boolean f64 = dt == DataType.FLOAT64;
        double rtol = f64 ? 1e-9 : 1e-4;
        double floor = f64 ? 1e-6 : 1.0;
        int[] labels = labels(c);
        boolean[][] mask = mask(c);
        OmakeLoss.LabelSimilarity sim = OmakeLoss.LabelSimilarity.matrix(matrix());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray img = MakeLossGoldenTest.leaf(m, in.get("image_features"), dt);
            NDArray patches = MakeLossGoldenTest.leaf(m, in.get("patch_features"), dt);
            NDArray text = MakeLossGoldenTest.leaf(m, in.get("text_features"), dt);
            NDArray scale = m.create(in.get("logit_scale").getAsDouble()).toType(dt, false);
            scale.setRequiresGradient(true);
            OmakeLoss.Result r;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                r = OmakeLoss.compute(img, patches, text, mask, scale, labels, sim, options(c, mode));
                gc.backward(r.total());
            }
            String w = name + " " + mode + " " + dt + ": ";
            for (String k : new String[] {"mkcl_i2t", "mkcl_t2i", "mkcl", "slra", "total"}) {
                NDArray got = switch (k) {
                    case "mkcl_i2t" -> r.mkclI2t();
                    case "mkcl_t2i" -> r.mkclT2i();
                    case "mkcl" -> r.mkcl();
                    case "slra" -> r.slra();
                    default -> r.total();
                };
                MakeLossGoldenTest.scalar(out, k, got, rtol, floor, w);
            }
            if (!out.get("dkw_weights").isJsonNull()) {
                // The official NaN weights (an image with no sub-text) are never used; the kit defines them as 1.
                double[] exp = Golden.flat(out.get("dkw_weights"));
                double[] got = r.dkwWeights().clone();
                for (int i = 0; i < exp.length; i++) if (Double.isNaN(exp[i])) got[i] = Double.NaN;
                assertNanAwareClose(exp, got, rtol, w + "dkw_weights");
            }
            assertNanAwareClose(Golden.flat(out.get("t2i_class_weights")), r.t2iWeights(), rtol, w + "t2i_class_weights");
            assertNanAwareClose(Golden.flat(out.get("i2t_row_losses")), rowsOnAll(r, r.i2tRowLosses(), labels.length * 11), rtol, floor,
                    w + "i2t_row_losses");
            assertNanAwareClose(Golden.flat(out.get("t2i_row_losses")), rowsOnAll(r, r.t2iRowLosses(), labels.length * 11), rtol, floor,
                    w + "t2i_row_losses");
            MakeLossGoldenTest.vector(out, "slra_pooled", Golden.toDoubles(r.pooled()), rtol, floor, w);
            MakeLossGoldenTest.vector(out, "grad_image_features", Golden.toDoubles(img.getGradient()), rtol, floor, w);
            MakeLossGoldenTest.vector(out, "grad_patch_features", Golden.toDoubles(patches.getGradient()), rtol, floor, w);
            MakeLossGoldenTest.vector(out, "grad_text_features", Golden.toDoubles(text.getGradient()), rtol, floor, w);
            MakeLossGoldenTest.scalar(out, "grad_logit_scale", scale.getGradient(), rtol, floor, w);
        }
    }

    /** Per-row values on valid rows spread over all nB rows (NaN elsewhere), as the golden lists them. */
    static double[] rowsOnAll(OmakeLoss.Result r, NDArray perValid, int t) {
        double[] v = Golden.toDoubles(perValid);
        double[] all = new double[t];
        java.util.Arrays.fill(all, Double.NaN);
        for (int i = 0; i < v.length; i++) all[(int) r.validRows()[i]] = v[i];
        return all;
    }

    static void assertNanAwareClose(double[] exp, double[] got, double rtol, String what) {
        assertNanAwareClose(exp, got, rtol, 1e-6, what);
    }

    /** As MakeLossGoldenTest.vector, skipping entries with no value (which must have none): relative, floored at a fraction of the scale. */
    static void assertNanAwareClose(double[] exp, double[] got, double rtol, double floorFraction, String what) {
        assertEquals(exp.length, got.length, what + ": length");
        double scale = 0;
        for (double e : exp) if (!Double.isNaN(e)) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < exp.length; i++) {
            if (Double.isNaN(exp[i])) {
                assertTrue(Double.isNaN(got[i]), what + "[" + i + "]: expected no value, got " + got[i]);
                continue;
            }
            assertTrue(Math.abs(exp[i] - got[i]) <= rtol * Math.max(Math.abs(exp[i]), floorFraction * scale),
                    what + "[" + i + "]: expected " + exp[i] + ", got " + got[i]);
        }
    }

    @Test
    void softTargetsAndLabelSimilarityMatchTheOfficialMatrices() {
        OmakeLoss.LabelSimilarity sim = OmakeLoss.LabelSimilarity.matrix(matrix());
        for (JsonObject c : cases()) {
            int[] labels = labels(c);
            boolean[][] mask = mask(c);
            String n = c.get("name").getAsString();
            double[] ls = Golden.flat(c.get("label_similarity"));
            for (int i = 0; i < labels.length; i++) {
                for (int j = 0; j < labels.length; j++) assertEquals(ls[i * labels.length + j], sim.of(labels[i], labels[j]), 0, n);
            }
            double beta = c.get("beta").getAsDouble();
            double temp = c.get("temp").getAsDouble();
            Golden.assertRelClose(Golden.flat(c.get("soft_targets_i2t")), flat(OmakeLoss.softTargetsI2t(labels, mask, sim, beta, temp)),
                    1e-12, 1e-12, n + " soft_targets_i2t");
            Golden.assertRelClose(Golden.flat(c.get("soft_targets_t2i")), flat(OmakeLoss.softTargetsT2i(labels, mask, sim, beta, temp)),
                    1e-12, 1e-12, n + " soft_targets_t2i");
        }
    }

    /** beta = 0 without DKW is MAKE's loss (the golden's make_reference, and the kit's MakeLoss on the same inputs). */
    @Test
    void betaZeroWithoutDkwIsMake() {
        JsonObject c = cases().stream().filter(x -> x.get("name").getAsString().equals("beta0_no_dkw_B4")).findFirst().orElseThrow();
        JsonObject in = c.getAsJsonObject("inputs");
        for (String mode : new String[] {"compat", "intended"}) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray img = MakeLossGoldenTest.leaf(m, in.get("image_features"), DataType.FLOAT64);
                NDArray patches = MakeLossGoldenTest.leaf(m, in.get("patch_features"), DataType.FLOAT64);
                NDArray text = MakeLossGoldenTest.leaf(m, in.get("text_features"), DataType.FLOAT64);
                NDArray scale = m.create(in.get("logit_scale").getAsDouble());
                OmakeLoss.Options o = options(c, mode);
                double omake = OmakeLoss.compute(img, patches, text, mask(c), scale, labels(c),
                        OmakeLoss.LabelSimilarity.matrix(matrix()), o).total().getDouble();
                double make = MakeLoss.compute(img, patches, text, mask(c), scale, o.make()).total().getDouble();
                assertEquals(make, omake, 1e-12 * Math.abs(make), mode);
                assertEquals(c.getAsJsonObject("outputs").getAsJsonObject(mode).get("total").getAsDouble(), omake, 1e-9 * Math.abs(make));
            }
        }
    }

    @Test
    void curriculumBetaIsTheOfficialSchedule() {
        JsonObject cur = ROOT.getAsJsonObject("beta_curriculum");
        double[] exp = Golden.flat(cur.get("beta_by_epoch"));
        int epochs = cur.get("max_epochs").getAsInt();
        for (int e = 0; e < exp.length; e++) {
            assertEquals(exp[e], OmakeLoss.curriculumBeta(cur.get("initial_beta").getAsDouble(), e, epochs), 1e-15, "epoch " + e);
        }
    }

    static double[] flat(double[][] a) {
        return java.util.Arrays.stream(a).flatMapToDouble(java.util.Arrays::stream).toArray();
    }
}
