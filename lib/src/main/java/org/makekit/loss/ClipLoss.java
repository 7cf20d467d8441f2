package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.makekit.util.Tensors;

/**
 * CLIP's symmetric InfoNCE (the paper's baseline): with s = exp(logit_scale) and unit-norm
 * features, logits = s * I * T^T, and the loss is the mean of the image-to-text and text-to-image
 * cross-entropies with the matching pair as target.
 */
public final class ClipLoss {
    private ClipLoss() {}

    /** The objective: one text per image. */
    public static Objective objective() {
        return in -> new Objective.Value(compute(in.image(), in.text(), in.logitScale().exp()), Map.of());
    }

    /** image (B, D) and text (B, D) L2-normalised; scale is the exp'd logit scale (a scalar array). */
    public static NDArray compute(NDArray image, NDArray text, NDArray scale) {
        long b = image.getShape().get(0);
        if (text.getShape().get(0) != b) {
            throw new IllegalArgumentException("CLIP loss needs one text per image: " + b + " images, "
                    + text.getShape().get(0) + " texts");
        }
        NDArray logits = image.matMul(text.transpose()).mul(scale);
        long[] diag = new long[(int) b];
        for (int i = 0; i < b; i++) diag[i] = (long) i * b + i;
        NDArray idx = Tensors.of(image.getManager(), diag);
        NDArray i2t = logits.logSoftmax(1).reshape(-1).get(idx).neg().mean();
        NDArray t2i = logits.logSoftmax(0).reshape(-1).get(idx).neg().mean();
        return Tensors.div(i2t.add(t2i), 2);
    }
}
