package org.makekit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.Golden;

/** The tiny CLIP from MAKE's open_clip fork: its weights must reproduce its outputs. */
class OpenClipTinyGoldenTest {
    static final String CONFIG = """
            {"name": "golden-tiny", "embed_dim": 32, "quick_gelu": true, "tokenizer": "clip-bpe",
             "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 64, "layers": 2, "heads": 2},
             "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "layers": 2, "heads": 2}}""";

    static NDManager manager;
    static Map<String, Safetensors.Tensor> io;
    static Path weights;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        weights = Golden.dir("openclip-tiny").resolve("tiny_clip.safetensors");
        io = Safetensors.read(Golden.dir("openclip-tiny").resolve("tiny_io.safetensors"));
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static ModelConfig config(int heads) {
        return config(heads, 49408);
    }

    /** The golden config with another token table size (the torch-formats golden's compact files have 79 rows). */
    static ModelConfig config(int heads, int vocab) {
        return ModelConfig.parse(CONFIG.replace("49408", String.valueOf(vocab)), "test", "golden-tiny").withHeads(heads, heads);
    }

    static long[][] tokens() {
        return io.get("input.text_tokens").toLongRows();
    }

    static double[] ref(String name) {
        return io.get(name).toDoubleArray();
    }

    void checkOutputs(String prefix, String refPrefix, DataType dtype, double tol, double logitTol) {
        checkOutputs(weights, tokens(), 49408, prefix, refPrefix, dtype, tol, logitTol);
    }

    /**
     * Loads {@code weights} (any format ClipModel reads) and compares every output with the golden's
     * {@code refPrefix.*} values; {@code tokens} are the golden's texts (remapped for a compact table).
     */
    static void checkOutputs(Path weights, long[][] tokens, int vocab, String prefix, String refPrefix, DataType dtype,
                             double tol, double logitTol) {
        int heads = prefix.startsWith("heads1") ? 1 : 2;
        if (io == null) io = Safetensors.read(Golden.dir("openclip-tiny").resolve("tiny_io.safetensors"));
        try (NDManager m = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            ClipModel model = ClipModel.load(config(heads, vocab), weights, m, dtype);
            NDArray images = io.get("input.images").toNDArray(m).toType(dtype, false);
            Map<String, NDArray> vtrace = new LinkedHashMap<>();
            Map<String, NDArray> ttrace = new LinkedHashMap<>();
            ClipModel.ImageFeatures img = model.encodeImage(images, heads == 2 ? vtrace : null);
            NDArray text = model.encodeText(tokens, heads == 2 ? ttrace : null);
            NDArray imgN = Features.l2normalize(img.global());
            NDArray patchN = Features.l2normalize(img.patches());
            NDArray textN = Features.l2normalize(text);
            NDArray logits = imgN.matMul(textN.transpose()).mul(model.logitScaleExp());
            String r = refPrefix + ".";
            if (io.containsKey(r + "image_features_raw")) { // the *_f64 references keep only normalised features
                Golden.assertClose(ref(r + "image_features_raw"), Golden.toDoubles(img.global()), tol, prefix + " image raw");
                }
            Golden.assertClose(ref(r + "image_features"), Golden.toDoubles(imgN), tol, prefix + " image");
            Golden.assertClose(ref(r + "patch_features_raw"), Golden.toDoubles(img.patches()), tol, prefix + " patch raw");
            Golden.assertClose(ref(r + "patch_features"), Golden.toDoubles(patchN), tol, prefix + " patch");
            Golden.assertClose(ref(r + "text_features"), Golden.toDoubles(textN), tol, prefix + " text");
            Golden.assertClose(ref(r + "logit_scale"), new double[] {Golden.toDoubles(model.logitScaleExp())[0]}, tol,
                    prefix + " logit scale");
            Golden.assertClose(ref(r + "logits_per_image"), Golden.toDoubles(logits), logitTol, prefix + " logits");
            if (heads == 2) { // intermediate activations exist as float32 torch outputs only
                double dtol = Math.max(tol, 1e-5);
                for (String k : new String[] {"ln_pre_out", "block0_out", "block1_out", "ln_post_out"}) {
                    Golden.assertClose(ref("heads2.debug.visual." + k), Golden.toDoubles(vtrace.get(k)), dtol, "visual " + k);
                }
                for (String k : new String[] {"embed_out", "block0_out", "block1_out", "ln_final_out", "pooled_pre_proj"}) {
                    Golden.assertClose(ref("heads2.debug.text." + k), Golden.toDoubles(ttrace.get(k)), dtol, "text " + k);
                }
            }
        }
    }

    /** Normalised features within {@code featTol} and logits within {@code logitTol} of torch's float32 outputs (heads2.*). */
    static void checkOutputsLoose(Path weights, long[][] tokens, int vocab, double featTol, double logitTol) {
        if (io == null) io = Safetensors.read(Golden.dir("openclip-tiny").resolve("tiny_io.safetensors"));
        try (NDManager m = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            ClipModel model = ClipModel.load(config(2, vocab), weights, m, DataType.FLOAT32);
            NDArray imgN = Features.l2normalize(model.encodeImage(io.get("input.images").toNDArray(m), null).global());
            NDArray textN = Features.l2normalize(model.encodeText(tokens, null));
            NDArray logits = imgN.matMul(textN.transpose()).mul(model.logitScaleExp());
            Golden.assertClose(ref("heads2.image_features"), Golden.toDoubles(imgN), featTol, "image features");
            Golden.assertClose(ref("heads2.text_features"), Golden.toDoubles(textN), featTol, "text features");
            Golden.assertClose(ref("heads2.logits_per_image"), Golden.toDoubles(logits), logitTol, "logits");
        }
    }

    @Test
    void float32TwoHeadsMatchesFloat64Reference() {
        checkOutputs("heads2", "heads2_f64", DataType.FLOAT32, 1e-5, 2e-5);
    }

    @Test
    void float32TwoHeadsMatchesTorchFloat32WithinIssueTolerance() {
        checkOutputs("heads2", "heads2", DataType.FLOAT32, 1e-4, 1e-4);
    }

    @Test
    void float32OneHeadMatchesOpenAiLoaderPath() {
        checkOutputs("heads1", "heads1_f64", DataType.FLOAT32, 1e-5, 2e-5);
    }

    @Test
    void float64MatchesFloat64ReferenceTightly() {
        checkOutputs("heads2", "heads2_f64", DataType.FLOAT64, 1e-10, 1e-10);
        checkOutputs("heads1", "heads1_f64", DataType.FLOAT64, 1e-10, 1e-10);
    }

    @Test
    void saveAndReloadGivesIdenticalTensorsAndNames(@TempDir Path tmp) throws Exception {
        try (NDManager m = manager.newSubManager()) {
            ClipModel model = ClipModel.load(config(2), weights, m, DataType.FLOAT32);
            Path out = tmp.resolve("resaved.safetensors");
            model.save(out);
            Map<String, Safetensors.Tensor> orig = Safetensors.read(weights);
            Map<String, Safetensors.Tensor> back = Safetensors.read(out);
            assertEquals(new java.util.TreeSet<>(orig.keySet()), new java.util.TreeSet<>(back.keySet()));
            for (String k : orig.keySet()) {
                assertArrayEquals(orig.get(k).shape(), back.get(k).shape(), k);
                assertEquals(orig.get(k).dtype(), back.get(k).dtype(), k);
                assertArrayEquals(orig.get(k).toFloatArray(), back.get(k).toFloatArray(), 0f, k);
            }
            // And the re-saved model computes the same thing.
            ClipModel again = ClipModel.load(config(2), out, m, DataType.FLOAT32);
            try (NDScope s = new NDScope()) {
                NDArray images = io.get("input.images").toNDArray(m);
                assertArrayEquals(model.encodeImage(images, null).global().toFloatArray(),
                        again.encodeImage(images, null).global().toFloatArray(), 0f);
            }
            assertEquals(Files.size(weights) > 0, Files.size(out) > 0);
        }
    }
}
