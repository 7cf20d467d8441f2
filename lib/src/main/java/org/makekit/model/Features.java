package org.makekit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

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

    /**
     * Runs {@code f} in its own NDScope and closes every array it made except its result, which
     * joins the caller's scope. A DJL array keeps its tensor alive until closed, so without this
     * every intermediate of a forward pass would stay resident until the step ends; PyTorch frees
     * them as soon as nothing refers to them. Closing is safe for arrays libtorch computed: autograd
     * holds its own reference to whatever backward needs. (Arrays that wrap Java memory are another
     * matter; see {@link #owned}.)
     */
    public static NDArray scoped(Supplier<NDArray> f) {
        NDArray out;
        try (NDScope scope = new NDScope()) {
            out = f.get();
            NDScope.unregister(out);
        }
        NDScope.register(out);
        return out;
    }

    /**
     * A 0-d constant of {@code like}'s type and device, in memory that libtorch owns. Use it instead
     * of DJL's {@code x.mul(2.0)}, {@code x.div(n)}, {@code x.maximum(1e-12)} wherever x is in an
     * autograd graph: DJL turns the number into a tensor that wraps a Java buffer, closes it right
     * after the op, and the JVM frees the buffer at its next garbage collection; but mul, div and
     * maximum save that tensor for backward, which then reads freed (often reused) memory. The result
     * was rare, garbage gradients that depended on GC timing.
     */
    public static NDArray constant(NDArray like, double value) {
        NDArray c = owned(like.getManager().create(value));
        return c.getDataType() == like.getDataType() && c.getDevice().equals(like.getDevice())
                ? c : c.toType(like.getDataType(), false).toDevice(like.getDevice(), false);
    }

    /** x / max(||x||, 1e-12) along the last axis, as torch.nn.functional.normalize. */
    public static NDArray l2normalize(NDArray x) {
        NDArray n = x.norm(new int[] {-1}, true);
        NDArray norm = n.maximum(constant(n, 1e-12));
        return x.div(norm);
    }
}
