package org.makekit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.makekit.data.ImageTransforms;
import org.makekit.data.Images;
import org.makekit.model.ClipModel;
import org.makekit.model.Features;
import org.makekit.report.Progress;
import org.makekit.text.Tokenizer;

/** Batched, L2-normalised image and text embeddings, with progress; images decode on worker threads. */
public final class Embedder {
    private final ClipModel model;
    private final Tokenizer tokenizer;
    private final int batchSize;

    public Embedder(ClipModel model, Tokenizer tokenizer, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.batchSize = batchSize;
    }

    /** Embeddings of image files, one row each. Decoding the next batch overlaps with encoding this one. */
    public float[][] images(List<Path> files, boolean showProgress) {
        int size = model.config().vision().imageSize();
        float[][] out = new float[files.size()][];
        int threads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "image-decode");
            t.setDaemon(true);
            return t;
        });
        try (Progress p = showProgress ? new Progress("embed images", files.size(), "img") : null) {
            CompletableFuture<float[]> next = decode(files, 0, size, pool);
            for (int start = 0; start < files.size(); start += batchSize) {
                int n = Math.min(batchSize, files.size() - start);
                float[] pixels = await(next);
                next = start + n < files.size() ? decode(files, start + n, size, pool) : null;
                try (NDScope scope = new NDScope()) {
                    NDArray x = org.makekit.model.Features.owned(model.manager().create(pixels, new Shape(n, 3, size, size))).toType(model.dataType(), false);
                    NDArray emb = Features.l2normalize(model.encodeImage(x, null).global());
                    float[] flat = emb.toType(DataType.FLOAT32, false).toFloatArray();
                    int d = flat.length / n;
                    for (int i = 0; i < n; i++) out[start + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
                }
                if (p != null) p.step(n);
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private static float[] await(CompletableFuture<float[]> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw e;
        }
    }

    private CompletableFuture<float[]> decode(List<Path> files, int start, int size, ExecutorService pool) {
        int n = Math.min(batchSize, files.size() - start);
        int per = 3 * size * size;
        float[] batch = new float[n * per];
        CompletableFuture<?>[] parts = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            parts[i] = CompletableFuture.runAsync(() -> System.arraycopy(
                    ImageTransforms.eval(Images.read(files.get(start + k)), size), 0, batch, k * per, per), pool);
        }
        return CompletableFuture.allOf(parts).handle((v, err) -> {
            if (err != null) {
                Throwable cause = err instanceof java.util.concurrent.CompletionException && err.getCause() != null
                        ? err.getCause() : err;
                if (cause instanceof RuntimeException re) throw re;
                throw new RuntimeException(cause);
            }
            return batch;
        });
    }

    /** Embeddings of texts, one row each. */
    public float[][] texts(List<String> texts, boolean showProgress) {
        float[][] out = new float[texts.size()][];
        try (Progress p = showProgress ? new Progress("embed texts", texts.size(), "txt") : null) {
            for (int start = 0; start < texts.size(); start += batchSize) {
                int n = Math.min(batchSize, texts.size() - start);
                try (NDScope scope = new NDScope()) {
                    NDArray emb = Features.l2normalize(model.encodeText(tokenizer.encode(texts.subList(start, start + n)), null));
                    float[] flat = emb.toType(DataType.FLOAT32, false).toFloatArray();
                    int d = flat.length / n;
                    for (int i = 0; i < n; i++) out[start + i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
                }
                if (p != null) p.step(n);
            }
        }
        return out;
    }
}
