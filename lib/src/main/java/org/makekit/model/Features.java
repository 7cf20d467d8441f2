package org.makekit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;
import org.makekit.util.Tensors;

/** Small tensor helpers shared by the model, the losses and evaluation. */
public final class Features {
    private Features() {}

    /**
     * Rows of {@code src} (N, D) picked by {@code rows}, repeats allowed, through torch.embedding: its
     * backward sums repeated rows in a fixed order (advanced indexing's CPU backward does not), so
     * training stays bit-reproducible.
     */
    public static NDArray gatherRows(NDArray src, long[] rows) {
        NDArray idx = Tensors.of(src.getManager(), rows);
        return ai.djl.nn.core.Embedding.embedding(idx, src, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
    }

    /**
     * Runs {@code f} in its own NDScope and closes every array it made except its result, which
     * joins the caller's scope. A DJL array keeps its tensor alive until closed, so without this
     * every intermediate of a forward pass would stay resident until the step ends; PyTorch frees
     * them as soon as nothing refers to them. Closing is safe for arrays libtorch computed: autograd
     * holds its own reference to whatever backward needs. (Arrays that wrap Java memory are another
     * matter; see {@link Tensors}.)
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

    /** x / max(||x||, 1e-12) along the last axis, as torch.nn.functional.normalize. */
    public static NDArray l2normalize(NDArray x) {
        NDArray n = x.norm(new int[] {-1}, true);
        NDArray norm = Tensors.maximum(n, 1e-12);
        return x.div(norm);
    }
}
