package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/**
 * SigLIP's pairwise sigmoid loss (Zhai et al., 2023), a Table 1 baseline: logits = s * I * T^T + b,
 * labels +1 on the diagonal and -1 elsewhere, loss = -sum log sigmoid(label * logit) / B. The
 * temperature s = exp(t') and the bias b are learnable (SigLIP initialises t' = ln 10, b = -10).
 */
public final class SigLipLoss {
    private SigLipLoss() {}

    public static final double INIT_LOGIT_SCALE = Math.log(10);
    public static final double INIT_LOGIT_BIAS = -10;

    public static NDArray compute(NDArray image, NDArray text, NDArray scale, NDArray bias) {
        long b = image.getShape().get(0);
        NDArray logits = image.matMul(text.transpose()).mul(scale).add(bias);
        NDArray eye = image.getManager().eye((int) b).toType(logits.getDataType(), false);
        NDArray labels = eye.mul(2).sub(1);
        // -log sigmoid(x) = softplus(-x), computed stably by libtorch.
        return Activation.softPlus(labels.mul(logits).neg()).sum().div(org.makekit.model.Features.constant(logits, b));
    }
}
