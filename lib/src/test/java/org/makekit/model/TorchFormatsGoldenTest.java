package org.makekit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.Golden;
import org.makekit.model.torch.TorchFile;
import org.makekit.util.KitException;

/**
 * ../shared/golden/torch-formats: the openclip-tiny weights as torch 1.13 wrote them (zip, fp16,
 * bf16, a DDP training checkpoint, the legacy format, shared/strided storages, a TorchScript archive),
 * plus a malicious and a truncated file.
 */
class TorchFormatsGoldenTest {
    static final Path DIR = Golden.dir("torch-formats");
    static Map<String, Safetensors.Tensor> golden;
    static Map<String, Safetensors.Tensor> expected;
    static long[] rows;
    static long[][] compactTokens;

    @BeforeAll
    static void setUp() {
        golden = Safetensors.read(Golden.dir("openclip-tiny").resolve("tiny_clip.safetensors"));
        expected = Safetensors.read(DIR.resolve("expected.safetensors"));
        JsonArray r = Golden.json(DIR.resolve("manifest.json")).getAsJsonObject("compact_vocab").getAsJsonArray("rows");
        rows = new long[r.size()];
        for (int i = 0; i < rows.length; i++) rows[i] = r.get(i).getAsLong();
        compactTokens = expected.get("compact.input.text_tokens").toLongRows();
    }

    /** The golden value of a weight as the compact files hold it (token table rows gathered). */
    static float[] goldenValues(String name, boolean compact) {
        float[] full = golden.get(name).toFloatArray();
        if (!compact || !name.equals("token_embedding.weight")) return full;
        int w = (int) golden.get(name).shape()[1];
        float[] out = new float[rows.length * w];
        for (int i = 0; i < rows.length; i++) System.arraycopy(full, (int) rows[i] * w, out, i * w, w);
        return out;
    }

    static Map<String, float[]> read(String file, List<String> report) {
        return WeightFiles.withWeights(DIR.resolve(file), l -> {
            report.addAll(l.report().lines());
            Map<String, float[]> out = new LinkedHashMap<>();
            l.tensors().forEach((k, v) -> out.put(k, v.toFloatArray()));
            return out;
        });
    }

    /** Round-to-nearest-even to bfloat16 on the float32 bits, as the golden README gives it. */
    static float bf16(float f) {
        int b = Float.floatToRawIntBits(f);
        return Float.intBitsToFloat(((b + 0x7FFF + ((b >> 16) & 1)) >>> 16) << 16);
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_dict_zip.pt", "state_dict_fp16.pt", "train_checkpoint_ddp.pt", "state_dict_legacy.pt",
            "torchscript.pt"})
    void exactFilesHoldTheGoldenTensorsBitForBit(String file) {
        List<String> report = new ArrayList<>();
        Map<String, float[]> got = read(file, report);
        assertEquals(golden.keySet(), got.keySet(), file + ": the 62 open_clip names, nothing else");
        boolean compact = !file.equals("state_dict_zip.pt");
        for (String k : golden.keySet()) {
            assertArrayEquals(goldenValues(k, compact), got.get(k), 0f, file + " " + k);
        }
        if (file.equals("train_checkpoint_ddp.pt")) {
            assertTrue(report.stream().anyMatch(s -> s.contains("prefix 'module.' stripped from all 62")), report.toString());
            assertTrue(report.stream().anyMatch(s -> s.contains("'state_dict'") && s.contains("optimizer")
                    && s.contains("epoch (15)")), report.toString());
        }
        if (file.equals("torchscript.pt")) {
            assertTrue(report.stream().anyMatch(s -> s.contains("input_resolution=32") && s.contains("context_length=77")
                    && s.contains("vocab_size=79")), report.toString());
        }
    }

    @Test
    void torchScriptArchiveHasTheOpenClipNamesPlusOpenAisThreeIntsAndMixedPrecision() {
        try (TorchFile tf = TorchFile.open(DIR.resolve("torchscript.pt"))) {
            assertEquals(TorchFile.Format.TORCHSCRIPT, tf.format());
            assertEquals("torchscript/", tf.archivePrefix());
            List<String> lines = new ArrayList<>();
            Map<String, Safetensors.Tensor> raw = WeightFiles.fromTorch(tf, lines);
            Set<String> want = new HashSet<>(golden.keySet());
            want.addAll(WeightFiles.OPENAI_EXTRAS);
            assertEquals(want, raw.keySet());
            assertEquals("I64", raw.get("vocab_size").dtype());
            assertArrayEquals(new long[] {79}, raw.get("vocab_size").toLongArray());
            JsonArray f16 = Golden.json(DIR.resolve("manifest.json")).getAsJsonObject("verification")
                    .getAsJsonObject("torchscript.pt").getAsJsonArray("float16_parameters");
            Set<String> half = new HashSet<>();
            f16.forEach(e -> half.add(e.getAsString()));
            assertEquals(35, half.size());
            for (Map.Entry<String, Safetensors.Tensor> e : raw.entrySet()) {
                if (WeightFiles.OPENAI_EXTRAS.contains(e.getKey())) continue;
                assertEquals(half.contains(e.getKey()) ? "F16" : "F32", e.getValue().dtype(), e.getKey());
            }
        }
    }

    @Test
    void bfloat16IsUpcastToTheNearestEvenRoundingOfTheGolden() {
        List<String> report = new ArrayList<>();
        Map<String, float[]> got = read("state_dict_bf16.pt", report);
        assertEquals(golden.keySet(), got.keySet());
        double worst = 0;
        for (String k : golden.keySet()) {
            float[] g = goldenValues(k, true);
            float[] want = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                want[i] = bf16(g[i]);
                worst = Math.max(worst, Math.abs(g[i] - got.get(k)[i]));
            }
            assertArrayEquals(want, got.get(k), 0f, k);
        }
        // the README's figure: max abs error 0.00586 (on logit_scale)
        assertEquals(0.00586, worst, 5e-5);
        assertTrue(report.stream().anyMatch(s -> s.contains("62 bfloat16 tensors upcast")), report.toString());
    }

    @Test
    void sharedAndStridedStoragesEqualTheExpectedArrays() {
        List<String> report = new ArrayList<>();
        Map<String, float[]> got = read("shared_storage.pt", report);
        assertEquals(10, got.size());
        for (Map.Entry<String, float[]> e : got.entrySet()) {
            Safetensors.Tensor want = expected.get("shared_storage." + e.getKey());
            assertArrayEquals(want.toFloatArray(), e.getValue(), 0f, e.getKey());
        }
        try (TorchFile tf = TorchFile.open(DIR.resolve("shared_storage.pt"))) {
            Set<String> keys = new HashSet<>();
            for (Object v : ((Map<?, ?>) tf.root()).values()) keys.add(((TorchFile.TensorRef) v).storage().key());
            assertEquals(6, keys.size(), "10 views of 6 storages");
            Map<?, ?> m = (Map<?, ?>) tf.root();
            TorchFile.TensorRef expand = (TorchFile.TensorRef) m.get("ln_final.weight.expand(3,64)");
            assertArrayEquals(new long[] {0, 1}, expand.stride());
            TorchFile.TensorRef slice = (TorchFile.TensorRef) m.get("positional_embedding[10:12]");
            assertEquals(640, slice.offset());
            assertEquals(77 * 64, slice.storage().numel(), "a slice saved alone writes its whole storage");
        }
    }

    @Test
    void evilPickleIsRefusedNamingItsGlobal() {
        KitException e = assertThrows(KitException.class, () -> read("evil.pt", new ArrayList<>()));
        assertTrue(e.getMessage().contains("forbidden global posix.system"), e.getMessage());
        assertTrue(e.getMessage().contains("evil.pt"), e.getMessage());
    }

    @Test
    void truncatedFileIsAClearErrorNamingTheFile() {
        KitException e = assertThrows(KitException.class, () -> read("truncated.pt", new ArrayList<>()));
        assertTrue(e.getMessage().contains("truncated.pt") && e.getMessage().contains("not a complete zip archive"),
                e.getMessage());
    }

    @Test
    void zipStateDictReproducesTheGoldenOutputs() {
        OpenClipTinyGoldenTest.checkOutputs(DIR.resolve("state_dict_zip.pt"), OpenClipTinyGoldenTest.tokens(), 49408,
                "heads2", "heads2_f64", DataType.FLOAT32, 1e-5, 2e-5);
        OpenClipTinyGoldenTest.checkOutputs(DIR.resolve("state_dict_zip.pt"), OpenClipTinyGoldenTest.tokens(), 49408,
                "heads1", "heads1_f64", DataType.FLOAT32, 1e-5, 2e-5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"state_dict_fp16.pt", "train_checkpoint_ddp.pt", "state_dict_legacy.pt", "torchscript.pt"})
    void compactFilesReproduceTheGoldenOutputsWithRemappedTokens(String file) {
        OpenClipTinyGoldenTest.checkOutputs(DIR.resolve(file), compactTokens, 79, "heads2", "heads2_f64",
                DataType.FLOAT32, 1e-5, 2e-5);
    }

    @Test
    void bfloat16OutputsStayWithinWhatTheUpcastImplies() {
        // README: bf16 weights move logits by up to 0.0408 and normalised features by up to 0.0035.
        OpenClipTinyGoldenTest.checkOutputsLoose(DIR.resolve("state_dict_bf16.pt"), compactTokens, 79, 0.005, 0.05);
    }

    @Test
    void configComparisonWarnsOnQuickGeluAndWidths() {
        JsonObject cfg = org.makekit.util.Json.parse("""
                {"model_cfg": {"embed_dim": 32, "quick_gelu": false,
                  "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 64, "layers": 2, "head_width": 32},
                  "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 3}}}""")
                .getAsJsonObject();
        List<String> w = WeightFiles.compare(OpenClipTinyGoldenTest.config(2), cfg);
        assertEquals(2, w.size(), w.toString());
        assertTrue(w.get(0).contains("quick_gelu=false") && w.get(0).contains("features will be wrong"), w.get(0));
        assertTrue(w.get(1).contains("text_cfg.layers"), w.get(1));
        cfg.getAsJsonObject("model_cfg").addProperty("quick_gelu", true);
        cfg.getAsJsonObject("model_cfg").getAsJsonObject("text_cfg").addProperty("layers", 2);
        assertEquals(List.of(), WeightFiles.compare(OpenClipTinyGoldenTest.config(2), cfg));
        assertEquals(List.of("vision heads: open_clip_config.json implies 1 (width/head_width), config 'golden-tiny' has 2"),
                WeightFiles.compare(OpenClipTinyGoldenTest.config(2), withoutHeadWidth(cfg)));
    }

    @Test
    void aHubFolderIsReadWithItsConfigComparedAndAMismatchReported(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("hub-model");
        Files.createDirectories(folder);
        Files.copy(DIR.resolve("state_dict_zip.pt"), folder.resolve("open_clip_pytorch_model.bin"));
        Files.writeString(folder.resolve("open_clip_config.json"), """
                {"model_cfg": {"embed_dim": 32, "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 64,
                  "layers": 2, "head_width": 32}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64,
                  "heads": 2, "layers": 2}}, "preprocess_cfg": {}}""");
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel.Loaded l = ClipModel.loadWithReport(OpenClipTinyGoldenTest.config(2), folder, m, DataType.FLOAT32);
            assertEquals(folder.resolve("open_clip_pytorch_model.bin"), l.report().file());
            assertTrue(l.report().lines().get(0).contains("using open_clip_pytorch_model.bin"), l.report().toString());
            // no quick_gelu in the file means open_clip's default, GELU: the kit's QuickGELU config is flagged
            assertEquals(1, l.configWarnings().size(), l.configWarnings().toString());
            assertTrue(l.configWarnings().get(0).contains("quick_gelu=false"), l.configWarnings().get(0));
        }
        Files.delete(folder.resolve("open_clip_pytorch_model.bin"));
        KitException e = assertThrows(KitException.class, () -> WeightFiles.resolveFile(folder));
        assertTrue(e.getMessage().contains("holds none of"), e.getMessage());
    }

    static JsonObject withoutHeadWidth(JsonObject cfg) {
        JsonObject c = cfg.deepCopy();
        c.getAsJsonObject("model_cfg").getAsJsonObject("vision_cfg").remove("head_width");
        return c;
    }
}
