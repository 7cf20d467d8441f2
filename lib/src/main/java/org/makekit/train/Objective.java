package org.makekit.train;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.Map;
import org.makekit.loss.ClipLoss;
import org.makekit.loss.MakeLoss;
import org.makekit.loss.SigLipLoss;

/** The training loss of a method, on normalised features. */
public final class Objective {
    private final Method method;
    private final MakeLoss.Options options;

    public Objective(Method method, MakeLoss.Mode mode, int k) {
        this.method = method;
        this.options = method.isMake() ? method.options(mode, k) : null;
    }

    public Method method() {
        return method;
    }

    /** The loss and its named parts (for the metrics log). */
    public record Value(NDArray loss, Map<String, NDArray> parts) {}

    /**
     * @param image    (B, D) normalised global features
     * @param patches  (B, P, D) normalised patch features (MAKE with SLRA only, else null)
     * @param text     (B*n, D) normalised text features in the official row order
     * @param logitScale the logit_scale parameter (log of the multiplier)
     * @param logitBias  SigLIP's bias parameter (SigLIP only)
     */
    public Value compute(NDArray image, NDArray patches, NDArray text, boolean[][] mask, NDArray logitScale,
                         NDArray logitBias) {
        NDArray scale = logitScale.exp();
        Map<String, NDArray> parts = new LinkedHashMap<>();
        if (method.isSigLip()) return new Value(SigLipLoss.compute(image, text, scale, logitBias), parts);
        if (!method.isMake()) return new Value(ClipLoss.compute(image, text, scale), parts);
        MakeLoss.Result r = MakeLoss.compute(image, patches, text, mask, scale, options);
        parts.put("mkcl_i2t", r.mkclI2t());
        parts.put("mkcl_t2i", r.mkclT2i());
        if (r.slra() != null) parts.put("slra", r.slra());
        return new Value(r.total(), parts);
    }
}
