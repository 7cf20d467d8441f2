package org.makekit.model;

import ai.djl.ndarray.NDArray;

/** Small tensor helpers shared by the model, the losses and evaluation. */
public final class Features {
    private Features() {}

    /**
     * Rows of {@code src} (N, D) picked by {@code rows}, repeats allowed, through torch.embedding: its
     * backward sums repeated rows in a fixed order (advanced indexing's CPU backward does not), so
     * training stays bit-reproducible.
     */
    public static NDArray gatherRows(NDArray src, long[] rows) {
        NDArray idx = src.getManager().create(rows);
        return ai.djl.nn.core.Embedding.embedding(idx, src, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    /** x / max(||x||, 1e-12) along the last axis, as torch.nn.functional.normalize. */
    public static NDArray l2normalize(NDArray x) {
        NDArray norm = x.norm(new int[] {-1}, true).maximum(1e-12);
        return x.div(norm);
    }
}
