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
import org.makekit.text.Tokenizer;
import org.makekit.train.TextEncoder;
import org.makekit.util.Progress;
import org.makekit.util.Tensors;

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
                float[][] emb = pixels(pixels, n);
                System.arraycopy(emb, 0, out, start, n);
                if (p != null) p.step(n);
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    /**
     * Embeddings of {@code n} images already preprocessed into the model's input space ((n,3,S,S),
     * normalised): for comparing with another pipeline's tensors bit for bit.
     */
    public float[][] pixels(float[] pixels, int n) {
        int size = model.config().vision().imageSize();
        if (pixels.length != (long) n * 3 * size * size) {
            throw new org.makekit.util.KitException(pixels.length + " pixel values are not " + n + " images of 3x" + size + "x"
                    + size + " (config '" + model.config().name() + "')");
        }
        float[][] out = new float[n][];
        try (NDScope scope = new NDScope()) {
            NDArray x = Tensors.of(model.manager(), pixels, new Shape(n, 3, size, size), model.dataType());
            NDArray emb = Features.l2normalize(model.encodeImage(x, null).global());
            float[] flat = emb.toType(DataType.FLOAT32, false).toFloatArray();
            int d = flat.length / n;
            for (int i = 0; i < n; i++) out[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
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

    /** Captions of image files from a CoCa model (one string each), with a progress bar. */
    public List<String> captions(List<Path> files, org.makekit.model.Captioner.Options options, boolean showProgress) {
        org.makekit.model.Captioner captioner = new org.makekit.model.Captioner(model, tokenizer.sotId(), tokenizer.eotId());
        int size = model.config().vision().imageSize();
        List<String> out = new java.util.ArrayList<>();
        try (Progress p = showProgress ? new Progress("captions", files.size(), "img") : null) {
            for (Path f : files) {
                float[] px = ImageTransforms.eval(Images.read(f), size);
                try (NDScope scope = new NDScope()) {
                    NDArray x = Tensors.of(model.manager(), px, new Shape(1, 3, size, size), model.dataType());
                    out.add(tokenizer.decode(captioner.generate(x, options).get(0)));
                }
                if (p != null) p.step(1);
            }
        }
        return out;
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

    /**
     * The one way to embed texts outside training: L2-normalised features (N, D) in input order, in
     * the caller's scope, without a graph. Texts are encoded in chunks of similar length
     * ({@link TextEncoder}), so short prompts are not padded to the longest caption.
     */
    public static NDArray textFeatures(ClipModel model, Tokenizer tokenizer, List<String> texts, int chunk) {
        return Features.l2normalize(TextEncoder.encodeAll(model, TextEncoder.plan(texts, tokenizer, Math.max(1, chunk))));
    }

    /** Embeddings of texts, one float row each. */
    public float[][] texts(List<String> texts, boolean showProgress) {
        float[][] out = new float[texts.size()][];
        try (Progress p = showProgress ? new Progress("embed texts", texts.size(), "txt") : null) {
            for (int start = 0; start < texts.size(); start += batchSize) {
                int n = Math.min(batchSize, texts.size() - start);
                try (NDScope scope = new NDScope()) {
                    NDArray emb = textFeatures(model, tokenizer, texts.subList(start, start + n), batchSize);
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
