package org.makekit.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.makekit.loss.ClipLoss;
import org.makekit.loss.MakeLoss;
import org.makekit.loss.SigLipLoss;
import org.makekit.text.Tokenizer;
import org.makekit.util.Tensors;

/**
 * Backward must not depend on the garbage collector. DJL turns the number in {@code x.mul(1.702)}
 * into a tensor over a Java buffer and closes it right after the op; mul, div and maximum save that
 * tensor for backward, so a collection between forward and backward freed memory that backward
 * then read. Here the collection is forced, and the freed small blocks are refilled with other
 * numbers before backward: the gradients must be bit-identical to a run without it. Every loss of
 * the kit is covered: CLIP, SigLIP, and MAKE with SLRA and DKW in both indexing modes (DKW's
 * weighted mean is where {@code sum.div(double)} once hid).
 */
class GcSafetyTest {
    static final String MICRO = """
            {"name": "micro", "embed_dim": 16, "quick_gelu": true, "tokenizer": "gpt2-r50k",
             "vision_cfg": {"image_size": 16, "patch_size": 8, "width": 32, "layers": 2, "heads": 2},
             "text_cfg": {"context_length": 77, "vocab_size": 50258, "width": 32, "layers": 2, "heads": 2}}""";
    static final int B = 3;
    static final int K = 2;

    /** One loss on the model's outputs. */
    interface Loss {
        NDArray compute(ClipModel model, NDArray image, NDArray patches, NDArray text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"clip", "siglip", "make-compat", "make-intended"})
    void gradientsSurviveAGarbageCollectionBetweenForwardAndBackward(String which) throws Exception {
        ModelConfig cfg = ModelConfig.parse(MICRO, "test", "micro");
        boolean make = which.startsWith("make");
        List<String> texts = make ? makeTexts() : List.of("a red scaly plaque", "a brown macule", "pustules");
        long[][] ids = Tokenizer.forConfig(cfg).encode(texts);
        float[] px = new float[B * 3 * 16 * 16];
        Random r = new Random(3);
        for (int i = 0; i < px.length; i++) px[i] = (float) r.nextGaussian();
        Loss loss = switch (which) {
            case "clip" -> (m, img, pat, txt) -> ClipLoss.compute(img, txt, m.logitScaleExp());
            case "siglip" -> (m, img, pat, txt) -> SigLipLoss.compute(img, txt, m.logitScaleExp(),
                    m.ensureLogitBias(SigLipLoss.INIT_LOGIT_BIAS));
            default -> (m, img, pat, txt) -> MakeLoss.compute(img, pat, txt, makeMask(), m.logitScaleExp(),
                    new MakeLoss.Options(MakeLoss.Mode.parse(which.substring(5)), K, true, true, 1.0, 0.7, 0.0)).total();
        };
        for (DataType dt : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
            try (NDManager m = NDManager.newBaseManager(); NDScope s = new NDScope()) {
                ClipModel model = ClipModel.create(cfg, m, 11, dt);
                if (which.equals("siglip")) model.ensureLogitBias(SigLipLoss.INIT_LOGIT_BIAS);
                model.requireGradients();
                double[] quiet = gradients(model, px, ids, loss, false);
                double[] churned = gradients(model, px, ids, loss, true);
                assertEquals(quiet.length, churned.length);
                int differ = 0;
                for (int i = 0; i < quiet.length; i++) if (Double.compare(quiet[i], churned[i]) != 0) differ++;
                assertEquals(0, differ, which + " " + dt + ": gradient elements that changed after a GC between forward and backward");
                assertTrue(java.util.Arrays.stream(quiet).anyMatch(v -> v != 0), "some gradient is non-zero");
            }
        }
    }

    /** B images with 3 + K texts each, image-major; image 2 lacks its second sub-sentence. */
    static List<String> makeTexts() {
        List<String> t = new ArrayList<>();
        String[][] per = {
            {"a red scaly plaque on the elbow", "psoriasis", "scale, erythema", "silvery scale.", "sharp border."},
            {"a brown macule on the back", "melanocytic nevus", "brown, macule", "even colour.", "round shape."},
            {"pustules on the face", "acne vulgaris", "pustule, papule", "many pustules.", ""}};
        for (String[] p : per) t.addAll(List.of(p));
        return t;
    }

    static boolean[][] makeMask() {
        return new boolean[][] {{true, true, true, true, true}, {true, true, true, true, true}, {true, true, true, true, false}};
    }

    private static double[] gradients(ClipModel model, float[] px, long[][] ids, Loss lossFn, boolean churn)
            throws InterruptedException {
        for (NDArray p : model.parameters().values()) if (p.hasGradient()) p.getGradient().set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
        try (NDScope s = new NDScope()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = Tensors.of(model.manager(), px, new Shape(B, 3, 16, 16), model.dataType());
                ClipModel.ImageFeatures f = model.encodeImage(x, null);
                NDArray img = Features.l2normalize(f.global());
                NDArray pat = Features.l2normalize(f.patches());
                NDArray txt = Features.l2normalize(model.encodeText(ids, null));
                NDArray loss = lossFn.compute(model, img, pat, txt);
                if (churn) collectAndRefill();
                gc.backward(loss);
            }
            List<Double> out = new ArrayList<>();
            for (NDArray p : model.parameters().values()) {
                for (double v : p.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()) out.add(v);
            }
            return out.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** Collects garbage (so freed direct buffers go back to malloc), then allocates many small blocks full of 1e6. */
    static void collectAndRefill() throws InterruptedException {
        List<ByteBuffer> keep = new ArrayList<>();
        for (int round = 0; round < 4; round++) {
            System.gc();
            Thread.sleep(30); // the Cleaner thread frees the buffers after the collection
            for (int i = 0; i < 5000; i++) {
                ByteBuffer d = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
                d.putDouble(0, 1e6);
                keep.add(d);
                ByteBuffer f = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
                f.putFloat(0, 1e6f);
                keep.add(f);
            }
        }
        assertTrue(keep.size() > 0);
    }
}
