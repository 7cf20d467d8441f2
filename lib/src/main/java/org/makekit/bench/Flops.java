package org.makekit.bench;

import org.makekit.model.ModelConfig;

/**
 * Matmul FLOPs of the model, counted from the config (2 per multiply-add; layer norms, softmax and
 * the loss are left out). A training step counts 3x the forward pass (forward, then backward for
 * inputs and weights). The text side counts the official workload: every text at the full context.
 */
public final class Flops {
    private Flops() {}

    /** One pre-LN transformer layer over {@code tokens} tokens of width {@code w}, MLP width {@code h}. */
    static double layer(long tokens, long w, long h) {
        return 2.0 * tokens * w * 3 * w // qkv
                + 2.0 * tokens * tokens * w * 2 // scores and weighted values
                + 2.0 * tokens * w * w // out projection
                + 2.0 * tokens * w * h * 2; // MLP
    }

    /** Forward FLOPs of one image: patch embedding, the blocks, the projection of every token. */
    public static double image(ModelConfig c) {
        ModelConfig.Vision v = c.vision();
        long p = v.numPatches();
        long l = p + 1;
        return 2.0 * p * 3 * v.patchSize() * v.patchSize() * v.width() + v.layers() * layer(l, v.width(), v.mlpWidth())
                + 2.0 * l * v.width() * c.embedDim();
    }

    /** Forward FLOPs of one text at the full context length. */
    public static double text(ModelConfig c) {
        ModelConfig.Text t = c.text();
        return t.layers() * layer(t.contextLength(), t.width(), t.mlpWidth()) + 2.0 * t.width() * c.embedDim();
    }

    /** A training step over {@code batch} images with {@code textsPerImage} texts each. */
    public static double trainStep(ModelConfig c, int batch, int textsPerImage) {
        return 3 * (batch * image(c) + (double) batch * textsPerImage * text(c));
    }
}
