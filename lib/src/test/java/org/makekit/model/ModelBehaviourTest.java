package org.makekit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.Golden;
import org.makekit.eval.ZeroShotClassifier;
import org.makekit.text.ClipBpeTokenizer;
import org.makekit.util.KitException;

class ModelBehaviourTest {
    static final Path TINY = Golden.dir("openclip-tiny").resolve("tiny_clip.safetensors");

    @Test
    void causalMaskChangingATokenLeavesEarlierPositionsUnchanged() {
        try (NDManager m = NDManager.newBaseManager(); NDScope s = new NDScope()) {
            ModelConfig c = OpenClipTinyGoldenTest.config(2);
            ClipModel model = ClipModel.load(c, TINY, m, DataType.FLOAT32);
            long[] a = ClipBpeTokenizer.builtin(77).encode("erythematous plaque with silvery scale on the elbow");
            long[] b = a.clone();
            int changed = 5;
            b[changed] = 320; // another token at position 5
            Map<String, NDArray> ta = new LinkedHashMap<>();
            Map<String, NDArray> tb = new LinkedHashMap<>();
            model.encodeText(new long[][] {a}, ta);
            model.encodeText(new long[][] {b}, tb);
            for (String k : new String[] {"embed_out", "block0_out", "block1_out", "ln_final_out"}) {
                float[] xa = ta.get(k).get("0, 0:" + changed + ", :").toFloatArray();
                float[] xb = tb.get(k).get("0, 0:" + changed + ", :").toFloatArray();
                assertArrayEquals(xa, xb, 0f, k + ": positions before the change moved");
                float[] ya = ta.get(k).get("0, " + changed + ", :").toFloatArray();
                float[] yb = tb.get(k).get("0, " + changed + ", :").toFloatArray();
                assertFalse(java.util.Arrays.equals(ya, yb), k + ": the changed position itself must differ");
            }
        }
    }

    @Test
    void pooledFeaturesDoNotDependOnPaddingLengthOfTheBatch() {
        // Texts are computed only up to the batch's last EOT; a short text alone or beside a long one must agree.
        try (NDManager m = NDManager.newBaseManager(); NDScope s = new NDScope()) {
            ClipModel model = ClipModel.load(OpenClipTinyGoldenTest.config(2), TINY, m, DataType.FLOAT32);
            ClipBpeTokenizer t = ClipBpeTokenizer.builtin(77);
            long[] shortIds = t.encode("nevus");
            long[] longIds = t.encode("scale ".repeat(100));
            float[] alone = model.encodeText(new long[][] {shortIds}, null).toFloatArray();
            float[] together = model.encodeText(new long[][] {shortIds, longIds}, null).get(0).toFloatArray();
            assertArrayEquals(alone, together, 1e-6f);
        }
    }

    @Test
    void zeroShotClassifierMatchesOfficialPadClassifier() {
        JsonObject zs = Golden.json(Golden.dir("openclip-tiny").resolve("manifest.json")).getAsJsonObject("zeroshot");
        List<String> classes = new ArrayList<>();
        for (JsonElement e : zs.getAsJsonArray("classnames")) classes.add(e.getAsString());
        List<String> templates = new ArrayList<>();
        for (JsonElement e : zs.getAsJsonArray("templates")) templates.add(e.getAsString());
        var io = org.makekit.model.Safetensors.read(Golden.dir("openclip-tiny").resolve("tiny_io.safetensors"));
        try (NDManager m = NDManager.newBaseManager(); NDScope s = new NDScope()) {
            ClipModel model = ClipModel.load(OpenClipTinyGoldenTest.config(2), TINY, m, DataType.FLOAT32);
            NDArray w = ZeroShotClassifier.build(model, ClipBpeTokenizer.builtin(77), classes, templates);
            assertEquals(new Shape(32, 6), w.getShape());
            Golden.assertClose(io.get("heads2.zeroshot_classifier_PAD").toDoubleArray(), Golden.toDoubles(w), 1e-5,
                    "PAD classifier");
            NDArray img = Features.l2normalize(model.encodeImage(io.get("input.images").toNDArray(m), null).global());
            Golden.assertClose(io.get("heads2.zeroshot_logits_PAD").toDoubleArray(),
                    Golden.toDoubles(img.matMul(w).mul(100)), 2e-3, "PAD zero-shot logits (scale 100)");
        }
    }

    @Test
    void freshModelHasOpenClipNamesAndInitialLogitScale(@TempDir Path tmp) {
        try (NDManager m = NDManager.newBaseManager()) {
            ModelConfig c = ModelConfig.load("tiny");
            ClipModel model = ClipModel.create(c, m, 7, DataType.FLOAT32);
            assertEquals(Math.log(1 / 0.07), model.param("logit_scale").getFloat(), 1e-6);
            Path out = tmp.resolve("tiny.safetensors");
            model.save(out);
            ClipModel back = ClipModel.load(c, out, m, DataType.FLOAT32);
            for (String k : model.parameters().keySet()) {
                assertArrayEquals(model.param(k).toFloatArray(), back.param(k).toFloatArray(), 0f, k);
            }
            ClipModel same = ClipModel.create(c, m, 7, DataType.FLOAT32);
            assertArrayEquals(model.param("visual.proj").toFloatArray(), same.param("visual.proj").toFloatArray(), 0f);
            // logit scale clamp to [0, ln 100]
            ClipModel.setScalar(model.param("logit_scale"), 9.0);
            model.clampLogitScale();
            assertEquals(Math.log(100), model.param("logit_scale").getFloat(), 1e-6);
        }
    }

    @Test
    void badWeightsFilesGiveClearErrors(@TempDir Path tmp) throws Exception {
        ModelConfig c = OpenClipTinyGoldenTest.config(2);
        try (NDManager m = NDManager.newBaseManager()) {
            KitException missing = assertThrows(KitException.class,
                    () -> ClipModel.load(c, tmp.resolve("nope.safetensors"), m, DataType.FLOAT32));
            assertTrue(missing.getMessage().contains("not found") && missing.getMessage().contains("nope.safetensors"));

            Path garbage = tmp.resolve("garbage.safetensors");
            Files.writeString(garbage, "this is not a safetensors file at all");
            assertMessage(() -> ClipModel.load(c, garbage, m, DataType.FLOAT32), "garbage.safetensors", "header");

            Path truncated = tmp.resolve("truncated.safetensors");
            byte[] all = Files.readAllBytes(TINY);
            Files.write(truncated, java.util.Arrays.copyOf(all, all.length / 2));
            assertMessage(() -> ClipModel.load(c, truncated, m, DataType.FLOAT32), "truncated.safetensors", "data_offsets");

            ClipModel model = ClipModel.load(c, TINY, m, DataType.FLOAT32);
            Map<String, NDArray> p = new LinkedHashMap<>(model.parameters());
            p.put("visual.proj", m.zeros(new Shape(64, 31)));
            Path wrongShape = tmp.resolve("wrong-shape.safetensors");
            Safetensors.write(wrongShape, p, null);
            assertMessage(() -> ClipModel.load(c, wrongShape, m, DataType.FLOAT32), "wrong-shape.safetensors",
                    "'visual.proj'", "[64, 31]", "[64, 32]");

            p = new LinkedHashMap<>(model.parameters());
            p.remove("ln_final.bias");
            Path lacking = tmp.resolve("lacking.safetensors");
            Safetensors.write(lacking, p, null);
            assertMessage(() -> ClipModel.load(c, lacking, m, DataType.FLOAT32), "lacking.safetensors", "'ln_final.bias'");

            p = new LinkedHashMap<>(model.parameters());
            p.put("visual.extra_head.weight", m.zeros(new Shape(2)));
            Path extra = tmp.resolve("extra.safetensors");
            Safetensors.write(extra, p, null);
            assertMessage(() -> ClipModel.load(c, extra, m, DataType.FLOAT32), "extra.safetensors",
                    "'visual.extra_head.weight'");
        }
    }

    @Test
    void badConfigsGiveClearErrors(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("typo.json");
        Files.writeString(f, OpenClipTinyGoldenTest.CONFIG.replace("\"layers\": 2, \"heads\": 2}}",
                "\"layers\": 2, \"heads\": 2, \"dropuot\": 0.1}}"));
        assertMessage(() -> ModelConfig.load(f.toString()), "typo.json", "unknown field 'text_cfg.dropuot'");
        Path broken = tmp.resolve("broken.json");
        Files.writeString(broken, "{\"embed_dim\": 32,");
        assertMessage(() -> ModelConfig.load(broken.toString()), "broken.json", "not valid JSON");
        Path badHeads = tmp.resolve("heads.json");
        Files.writeString(badHeads, OpenClipTinyGoldenTest.CONFIG.replace("\"width\": 64, \"layers\": 2, \"heads\": 2}",
                "\"width\": 64, \"layers\": 2, \"heads\": 3}"));
        assertMessage(() -> ModelConfig.load(badHeads.toString()), "heads.json", "heads", "does not divide");
        Path badTok = tmp.resolve("tok.json");
        Files.writeString(badTok, OpenClipTinyGoldenTest.CONFIG.replace("clip-bpe", "sentencepiece"));
        assertMessage(() -> ModelConfig.load(badTok.toString()), "tok.json", "tokenizer", "sentencepiece");
        assertMessage(() -> ModelConfig.load("no-such-config"), "not found", "no-such-config");
        for (String name : ModelConfig.BUILTIN) assertEquals(name, ModelConfig.load(name).name());
        ModelConfig b16 = ModelConfig.load("ViT-B-16");
        assertEquals(224, b16.vision().imageSize());
        assertEquals(196, b16.vision().numPatches());
        assertEquals(12, b16.vision().heads());
        assertEquals(8, b16.text().heads());
        assertEquals(512, b16.embedDim());
        assertTrue(b16.quickGelu());
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable run, String... parts) {
        KitException e = assertThrows(KitException.class, run);
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
    }
}
