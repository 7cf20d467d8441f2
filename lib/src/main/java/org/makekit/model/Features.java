package org.makekit.model;

import ai.djl.ndarray.NDArray;

/** Small tensor helpers shared by the model, the losses and evaluation. */
public final class Features {
    private Features() {}

    /** x / max(||x||, 1e-12) along the last axis, as torch.nn.functional.normalize. */
    public static NDArray l2normalize(NDArray x) {
        NDArray norm = x.norm(new int[] {-1}, true).maximum(1e-12);
        return x.div(norm);
    }
}
