package org.makekit.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.makekit.Golden;

/** Every case of golden/make-loss, both modes, against the official code's float64 autograd values. */
class MakeLossGoldenTest {
    static List<JsonObject> cases() {
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : Golden.json(Golden.dir("make-loss").resolve("cases.json")).getAsJsonArray("cases")) {
            out.add(e.getAsJsonObject());
        }
        return out;
    }

    static Stream<Arguments> casesAndModes() {
        return casesAndModes(cases(), 5);
    }

    /** (case name, mode, precision) for every case in both modes and both precisions; {@code expected} cases. */
    static Stream<Arguments> casesAndModes(List<JsonObject> cases, int expected) {
        List<Arguments> a = new ArrayList<>();
        for (JsonObject c : cases) {
            for (String mode : new String[] {"compat", "intended"}) {
                a.add(Arguments.of(c.get("name").getAsString(), mode, DataType.FLOAT64));
                a.add(Arguments.of(c.get("name").getAsString(), mode, DataType.FLOAT32));
            }
        }
        assertEquals(expected * 4, a.size(), expected + " golden cases x 2 modes x 2 precisions");
        return a.stream();
    }

    static NDArray leaf(NDManager m, JsonElement json, DataType dt) {
        NDArray a = m.create(Golden.flat(json), new Shape(Golden.shapeOf(json))).toType(dt, false);
        a.setRequiresGradient(true);
        return a;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("casesAndModes")
    void matchesOfficialValuesAndGradients(String name, String modeName, DataType dt) {
        JsonObject c = cases().stream().filter(x -> x.get("name").getAsString().equals(name)).findFirst().orElseThrow();
        JsonObject in = c.getAsJsonObject("inputs");
        JsonObject out = c.getAsJsonObject("outputs").getAsJsonObject(modeName);
        int b = c.get("B").getAsInt();
        double[] maskFlat = Golden.flat(in.get("caption_mask"));
        boolean[][] mask = new boolean[b][11];
        for (int i = 0; i < b * 11; i++) mask[i / 11][i % 11] = maskFlat[i] != 0;
        MakeLoss.Options opts = new MakeLoss.Options(MakeLoss.Mode.parse(modeName), 8, true, true,
                c.get("lambda_m").getAsDouble(), c.get("lambda_s").getAsDouble(), c.get("sigma").getAsDouble());
        boolean f64 = dt == DataType.FLOAT64;
        double rtol = f64 ? 1e-6 : 1e-4;
        double floor = f64 ? 1e-3 : 1.0; // fraction of the vector's largest magnitude, see vector()
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray img = leaf(m, in.get("image_features"), dt);
            NDArray patches = leaf(m, in.get("patch_features"), dt);
            NDArray text = leaf(m, in.get("text_features"), dt);
            NDArray scale = m.create(in.get("logit_scale").getAsDouble()).toType(dt, false);
            scale.setRequiresGradient(true);
            MakeLoss.Result r;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                r = MakeLoss.compute(img, patches, text, mask, scale, opts);
                gc.backward(r.total());
            }
            String w = name + " " + modeName + " " + dt + ": ";
            scalar(out, "mkcl_i2t", r.mkclI2t(), rtol, floor, w);
            scalar(out, "mkcl_t2i", r.mkclT2i(), rtol, floor, w);
            scalar(out, "mkcl", r.mkcl(), rtol, floor, w);
            scalar(out, "slra", r.slra(), rtol, floor, w);
            scalar(out, "total", r.total(), rtol, floor, w);
            vector(out, "dkw_weights", r.dkwWeights(), rtol, floor, w);
            vector(out, "slra_pooled", Golden.toDoubles(r.pooled()), rtol, floor, w);
            vector(out, "grad_image_features", Golden.toDoubles(img.getGradient()), rtol, floor, w);
            vector(out, "grad_patch_features", Golden.toDoubles(patches.getGradient()), rtol, floor, w);
            vector(out, "grad_text_features", Golden.toDoubles(text.getGradient()), rtol, floor, w);
            scalar(out, "grad_logit_scale", scale.getGradient(), rtol, floor, w);
            assertArrayEquals(longs(out, "i2t_targets"), r.i2tTargets(), w + "i2t targets");
            assertArrayEquals(longs(out, "t2i_targets"), r.t2iTargets(), w + "t2i targets");
            assertArrayEquals(longs(out, "slra_targets"), r.slraTargets(), w + "slra targets");
        }
    }

    static long[] longs(JsonObject o, String key) {
        return java.util.Arrays.stream(Golden.flat(o.get(key))).mapToLong(d -> (long) d).toArray();
    }

    static void scalar(JsonObject o, String key, NDArray got, double rtol, double floor, String where) {
        vector(o, key, Golden.toDoubles(got), rtol, floor, where);
    }

    /**
     * float64: relative to each value (1e-6), with a floor of 1e-3 of the vector's largest magnitude
     * for entries that are nearly zero. float32: relative to the vector's largest magnitude (1e-4): the
     * inputs themselves are rounded to float32, so small gradient entries that nearly cancel carry
     * an error proportional to the vector's scale, not their own (measured worst: 3.2e-6 of the scale).
     */
    static void vector(JsonObject o, String key, double[] got, double rtol, double floorFraction, String where) {
        double[] exp = Golden.flat(o.get(key));
        double scale = 0;
        for (double e : exp) scale = Math.max(scale, Math.abs(e));
        Golden.assertRelClose(exp, got, rtol, Math.max(scale * floorFraction, 1e-12), where + key);
    }
}
