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
        NDArray idx = owned(src.getManager().create(rows));
        return ai.djl.nn.core.Embedding.embedding(idx, src, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * A copy of {@code fromJava} in memory that libtorch owns, closing the original. DJL's
     * {@code create(...)} wraps a Java direct buffer without copying (torch::from_blob); the JVM frees
     * that buffer once the array is closed and collected, even while libtorch still holds a view of it
     * or an autograd node that reads it in backward. Arrays that enter a graph or outlive a scope go
     * through here.
     */
    public static NDArray owned(NDArray fromJava) {
        NDArray c = fromJava.duplicate();
        fromJava.close();
        return c;
    }

    /** x / max(||x||, 1e-12) along the last axis, as torch.nn.functional.normalize. */
    public static NDArray l2normalize(NDArray x) {
        NDArray norm = x.norm(new int[] {-1}, true).maximum(1e-12);
        return x.div(norm);
    }
}
