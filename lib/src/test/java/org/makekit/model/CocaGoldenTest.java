package org.makekit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.Golden;
import org.makekit.loss.ClipLoss;
import org.makekit.loss.CocaLoss;
import org.makekit.util.KitException;

/** ../shared/golden/coca-tiny: open_clip v2.29.0's CoCa, its loss and greedy decoding. */
class CocaGoldenTest {
    static final Path DIR = Golden.dir("coca-tiny");
    static NDManager manager;
    static Map<String, Safetensors.Tensor> io;
    static JsonObject manifest;
    static ModelConfig config;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        io = Safetensors.read(DIR.resolve("coca_tiny_io.safetensors"));
        manifest = Golden.json(DIR.resolve("manifest.json"));
        JsonObject cfg = manifest.getAsJsonObject("model_cfg").deepCopy();
        cfg.addProperty("name", "golden-coca-tiny");
        config = ModelConfig.parse(cfg.toString(), "coca golden", "golden-coca-tiny");
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static long[][] ids() {
        return io.get("input.text").toLongRows();
    }

    static double[] ref(String name) {
        return io.get(name).toDoubleArray();
    }

    void check(DataType dtype, String prefix, double tol) {
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            ClipModel model = ClipModel.load(config, DIR.resolve("coca_tiny.safetensors"), m, dtype);
            NDArray images = io.get("input.images").toNDArray(m).toType(dtype, false);
            Map<String, NDArray> vt = new LinkedHashMap<>();
            Map<String, NDArray> tt = new LinkedHashMap<>();
            Map<String, NDArray> dt = new LinkedHashMap<>();
            ClipModel.ImageFeatures img = model.encodeImage(images, vt);
            long[][] ids = ids();
            ClipModel.TextTokens text = model.encodeTextTokens(ids, tt);
            NDArray logits = model.decode(text.tokens().get(":, 0:75, :"), img.patches(), null, dt);
            String p = prefix + ".";
            Golden.assertClose(ref(p + "debug.vision_transformer_out"), Golden.toDoubles(vt.get("transformer_out")), tol, "vision blocks");
            Golden.assertClose(ref(p + "debug.vision_attn_pool_out"), Golden.toDoubles(vt.get("attn_pool_out")), tol, "attn pool");
            Golden.assertClose(ref(p + "debug.vision_ln_post_out"), Golden.toDoubles(vt.get("ln_post_out")), tol, "ln_post");
            Golden.assertClose(ref(p + "image_features_raw"), Golden.toDoubles(img.global()), tol, "image raw");
            Golden.assertClose(ref(p + "image_features"), Golden.toDoubles(Features.l2normalize(img.global())), tol, "image");
            Golden.assertClose(ref(p + "image_embs"), Golden.toDoubles(img.patches()), tol, "image_embs");
            Golden.assertClose(ref(p + "debug.text_transformer_out"), Golden.toDoubles(tt.get("transformer_out")), tol, "text blocks");
            Golden.assertClose(ref(p + "text_features_raw"), Golden.toDoubles(text.features()), tol, "text raw");
            Golden.assertClose(ref(p + "text_features"), Golden.toDoubles(Features.l2normalize(text.features())), tol, "text");
            Golden.assertClose(ref(p + "text_token_embs"), Golden.toDoubles(text.tokens()), tol, "text tokens");
            Golden.assertClose(ref(p + "debug.decoder_ln_final_out"), Golden.toDoubles(dt.get("ln_final_out")), tol, "decoder");
            Golden.assertClose(ref(p + "logits"), Golden.toDoubles(logits), tol, "logits");
            Golden.assertClose(ref(p + "logit_scale"), new double[] {Golden.toDoubles(model.logitScaleExp())[0]}, tol, "scale");
            // encodeText (what zero-shot and retrieval call) is the contrastive path
            Golden.assertClose(ref(p + "text_features_raw"), Golden.toDoubles(model.encodeText(ids, null)), tol, "encodeText");

            // The loss, through the objective with only the labelled positions (as training hands them).
            List<Long> pos = new ArrayList<>();
            List<Long> labels = new ArrayList<>();
            long[] goldLabels = io.get(prefix + ".labels").toLongArray();
            for (int r = 0; r < ids.length; r++) {
                for (int t = 0; t < 75; t++) {
                    assertEquals(goldLabels[r * 75 + t], ids[r][t + 1], "labels are ids[:, 1:]");
                    if (ids[r][t + 1] != 0) {
                        pos.add((long) r * 75 + t);
                        labels.add(ids[r][t + 1]);
                    }
                }
            }
            assertEquals(103, pos.size(), "README: 6 + 21 + 1 + 75 labelled positions");
            NDArray few = model.decode(text.tokens().get(":, 0:75, :"), img.patches(),
                    pos.stream().mapToLong(Long::longValue).toArray(), null);
            var v = CocaLoss.objective().compute(new org.makekit.loss.Objective.Inputs(Features.l2normalize(img.global()),
                    null, Features.l2normalize(text.features()), null, null, model.param("logit_scale"), null,
                    new org.makekit.loss.Objective.Caption(few, labels.stream().mapToLong(Long::longValue).toArray())));
            JsonObject loss = manifest.getAsJsonObject("loss").getAsJsonObject(prefix);
            assertEquals(loss.get("contrastive_loss").getAsDouble(), Golden.toDoubles(v.parts().get("contrastive"))[0], tol);
            assertEquals(loss.get("caption_loss").getAsDouble(), Golden.toDoubles(v.parts().get("caption"))[0], tol);
            assertEquals(loss.get("total_loss").getAsDouble(), Golden.toDoubles(v.loss())[0], tol);
            assertEquals(Golden.toDoubles(ClipLoss.compute(Features.l2normalize(img.global()),
                    Features.l2normalize(text.features()), model.logitScaleExp()))[0], Golden.toDoubles(v.parts().get("contrastive"))[0], 0);
        }
    }

    @Test
    void float32MatchesTheFloat64ReferenceWithin1e5() {
        check(DataType.FLOAT32, "f64", 1e-5);
    }

    @Test
    void float32MatchesTorchFloat32() {
        check(DataType.FLOAT32, "f32", 1e-5);
    }

    @Test
    void float64MatchesWithin1e10() {
        check(DataType.FLOAT64, "f64", 1e-10);
    }

    @Test
    void greedyDecodingGivesTheGoldenTokens() {
        JsonObject g = manifest.getAsJsonObject("greedy");
        JsonArray want = g.getAsJsonArray("tokens");
        long[] expected = new long[want.size()];
        for (int i = 0; i < expected.length; i++) expected[i] = want.get(i).getAsLong();
        for (DataType dt : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
                ClipModel model = ClipModel.load(config, DIR.resolve("coca_tiny.safetensors"), m, dt);
                NDArray image = io.get("input.images").toNDArray(m).toType(dt, false).get("0:1");
                Captioner.Options o = Captioner.Options.greedy(g.get("max_new_tokens").getAsInt());
                long[] got = new Captioner(model, 98, 99).generate(image, o).get(0);
                assertArrayEquals(expected, got, dt.toString());
            }
        }
    }

    @Test
    void saveAndReloadKeepsNamesAndValues(@TempDir Path tmp) {
        try (NDManager m = manager.newSubManager()) {
            ClipModel model = ClipModel.load(config, DIR.resolve("coca_tiny.safetensors"), m, DataType.FLOAT32);
            Path out = tmp.resolve("coca.safetensors");
            model.save(out);
            Map<String, Safetensors.Tensor> a = Safetensors.read(DIR.resolve("coca_tiny.safetensors"));
            Map<String, Safetensors.Tensor> b = Safetensors.read(out);
            assertEquals(new TreeSet<>(a.keySet()), new TreeSet<>(b.keySet()));
            assertEquals(129, b.size());
            for (String k : a.keySet()) assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
        }
    }

    @Test
    void builtInConfigsHaveOpenClipsShapesAndAFreshModelRuns() {
        ModelConfig b32 = ModelConfig.load("coca_ViT-B-32");
        Map<String, long[]> shapes = ClipModel.expectedShapes(b32);
        assertArrayEquals(new long[] {256, 512}, shapes.get("visual.attn_pool.query"));
        assertArrayEquals(new long[] {512, 768}, shapes.get("visual.attn_pool.attn.k_proj_weight"));
        assertArrayEquals(new long[] {77, 512}, shapes.get("text.positional_embedding"));
        assertArrayEquals(new long[] {512, 49408}, shapes.get("text_decoder.text_projection"));
        assertEquals(12, b32.vision().heads());
        long n = 0;
        for (long[] s : shapes.values()) {
            long k = 1;
            for (long d : s) k *= d;
            n += k;
        }
        // open_clip's coca_ViT-B-32 has 253.56M parameters (the kit counts the same tensors)
        assertTrue(n > 250_000_000L && n < 256_000_000L, "parameters: " + n);
        ModelConfig tiny = ModelConfig.load("coca-tiny");
        try (NDManager m = manager.newSubManager(); NDScope scope = new NDScope()) {
            ClipModel model = ClipModel.create(tiny, m, 1, DataType.FLOAT32);
            NDArray img = m.randomNormal(new ai.djl.ndarray.types.Shape(2, 3, 64, 64));
            ClipModel.ImageFeatures f = model.encodeImage(img, null);
            assertArrayEquals(new long[] {2, 192}, f.global().getShape().getShape());
            assertArrayEquals(new long[] {2, 32, 192}, f.patches().getShape().getShape());
        }
        KitException e = assertThrows(KitException.class, () -> ModelConfig.parse("""
                {"embed_dim": 8, "vision_cfg": {"image_size": 8, "patch_size": 4, "width": 8, "layers": 1, "heads": 1,
                 "attentional_pool": true}, "text_cfg": {"context_length": 8, "vocab_size": 10, "width": 8, "layers": 1,
                 "heads": 1}}""", "test", "x"));
        assertTrue(e.getMessage().contains("multimodal_cfg"), e.getMessage());
    }
}
