package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.Map;
import org.makekit.model.ClipModel;
import org.makekit.util.Tensors;

/**
 * SigLIP's pairwise sigmoid loss (Zhai et al., 2023), a Table 1 baseline: logits = s * I * T^T + b,
 * labels +1 on the diagonal and -1 elsewhere, loss = -sum log sigmoid(label * logit) / B. The
 * temperature s = exp(t') and the bias b are learnable (SigLIP initialises t' = ln 10, b = -10).
 */
public final class SigLipLoss {
    private SigLipLoss() {}

    public static final double INIT_LOGIT_SCALE = Math.log(10);
    public static final double INIT_LOGIT_BIAS = -10;

    /** The objective; it adds the bias (and, on a fresh model, SigLIP's temperature) before training. */
    public static Objective objective() {
        return new Objective() {
            @Override
            public Value compute(Inputs in) {
                return new Value(SigLipLoss.compute(in.image(), in.text(), in.logitScale().exp(), in.logitBias()), Map.of());
            }

            @Override
            public void prepare(ClipModel model, boolean fresh) {
                if (model.parameters().containsKey(ClipModel.LOGIT_BIAS)) return;
                model.ensureLogitBias(INIT_LOGIT_BIAS);
                if (fresh) ClipModel.setScalar(model.param("logit_scale"), INIT_LOGIT_SCALE);
            }
        };
    }

    public static NDArray compute(NDArray image, NDArray text, NDArray scale, NDArray bias) {
        long b = image.getShape().get(0);
        NDArray logits = image.matMul(text.transpose()).mul(scale).add(bias);
        NDArray eye = image.getManager().eye((int) b).toType(logits.getDataType(), false);
        NDArray labels = Tensors.sub(Tensors.mul(eye, 2), 1);
        // -log sigmoid(x) = softplus(-x), computed stably by libtorch.
        return Tensors.div(Activation.softPlus(labels.mul(logits).neg()).sum(), b);
    }
}
