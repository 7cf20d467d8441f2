package org.makekit.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.makekit.util.KitException;

/**
 * Batches of images (transformed on worker threads) and their table rows, prefetched ahead of the
 * trainer. The order and every random augmentation depend only on (seed, epoch, sample), never on
 * thread timing, so a resumed run sees exactly the batches an uninterrupted one would.
 */
public final class BatchLoader implements AutoCloseable {
    /** One batch: CHW float pixels of n images, their rows and their indices in the table. */
    public record Batch(float[] pixels, List<TrainingRow> rows, int[] indices) {
        public int size() {
            return rows.size();
        }
    }

    private final List<TrainingRow> rows;
    private final Path imageRoot;
    private final int batchSize;
    private final int imageSize;
    private final boolean train;
    private final long seed;
    private final int prefetch;
    private final ExecutorService workers;

    /**
     * @param train training transform and shuffle with drop_last (true) or eval transform in order (false)
     */
    public BatchLoader(List<TrainingRow> rows, Path imageRoot, int batchSize, int imageSize, boolean train, long seed,
                       int workers, int prefetch) {
        if (rows.isEmpty()) throw new KitException("no rows to load");
        if (train && rows.size() < batchSize) {
            throw new KitException("batch size " + batchSize + " is larger than the " + rows.size() + " training rows");
        }
        this.rows = rows;
        this.imageRoot = imageRoot;
        this.batchSize = batchSize;
        this.imageSize = imageSize;
        this.train = train;
        this.seed = seed;
        this.prefetch = Math.max(1, prefetch);
        this.workers = Executors.newFixedThreadPool(Math.max(1, workers), r -> {
            Thread t = new Thread(r, "batch-loader");
            t.setDaemon(true);
            return t;
        });
    }

    /** A training order other than the seeded shuffle: whole batches, each index at most once, a pure function of the epoch. */
    public interface Sampler {
        int[] order(int epoch);
    }

    private Sampler sampler;

    /** Draws training epochs from {@code s} instead of the shuffle (the ontology-aware sampler, for one). */
    public BatchLoader withSampler(Sampler s) {
        if (!train) throw new KitException("a sampler applies to training loaders only");
        this.sampler = s;
        return this;
    }

    public int batchesPerEpoch() {
        return train ? rows.size() / batchSize : (rows.size() + batchSize - 1) / batchSize;
    }

    /** The sample order of an epoch: a seeded Fisher-Yates shuffle (training) or table order. */
    public int[] order(int epoch) {
        if (sampler != null) {
            int[] o = sampler.order(epoch);
            if (o.length != batchesPerEpoch() * batchSize) {
                throw new KitException("sampler gave " + o.length + " indices for " + batchesPerEpoch() + " batches of " + batchSize);
            }
            return o;
        }
        int[] idx = new int[rows.size()];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        if (train) shuffle(idx, new SplittableRandom(seed * 31 + epoch));
        return idx;
    }

    /** Fisher-Yates shuffle in place (from the last element down), the order every training epoch uses. */
    public static void shuffle(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Batches of one epoch, starting at batch {@code fromBatch} (for resuming). */
    public Iterator<Batch> epoch(int epoch, int fromBatch) {
        int[] order = order(epoch);
        int nb = batchesPerEpoch();
        BlockingQueue<CompletableFuture<Batch>> queue = new ArrayBlockingQueue<>(prefetch + 1);
        return new Iterator<>() {
            int next = fromBatch;   // next batch to hand out
            int submitted = fromBatch;

            private void fill() {
                while (submitted < nb && queue.size() < prefetch) {
                    queue.add(load(order, epoch, submitted++));
                }
            }

            @Override
            public boolean hasNext() {
                return next < nb;
            }

            @Override
            public Batch next() {
                if (!hasNext()) throw new NoSuchElementException();
                fill();
                CompletableFuture<Batch> f = queue.poll();
                next++;
                fill();
                try {
                    return f.join();
                } catch (java.util.concurrent.CompletionException e) {
                    if (e.getCause() instanceof RuntimeException re) throw re;
                    throw e;
                }
            }
        };
    }

    private CompletableFuture<Batch> load(int[] order, int epoch, int b) {
        int start = b * batchSize;
        int n = Math.min(batchSize, order.length - start);
        int per = 3 * imageSize * imageSize;
        float[] pixels = new float[n * per];
        List<TrainingRow> batchRows = new ArrayList<>(n);
        int[] idx = new int[n];
        CompletableFuture<?>[] parts = new CompletableFuture<?>[n];
        for (int i = 0; i < n; i++) {
            int k = i;
            idx[i] = order[start + i];
            TrainingRow row = rows.get(idx[i]);
            batchRows.add(row);
            parts[i] = CompletableFuture.runAsync(() -> {
                Path file = imageRoot.resolve(row.filename());
                float[] px;
                try {
                    if (train) {
                        px = TrainTransforms.train(Images.read(file), imageSize,
                                new SplittableRandom((seed * 1_000_003L + epoch) * 2_147_483_647L + idx[k]));
                    } else {
                        px = ImageTransforms.eval(Images.read(file), imageSize);
                    }
                } catch (KitException e) {
                    throw new KitException("training table row for '" + row.filename() + "': " + e.getMessage());
                }
                System.arraycopy(px, 0, pixels, k * per, per);
            }, workers);
        }
        return CompletableFuture.allOf(parts).thenApply(v -> new Batch(pixels, batchRows, idx));
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }
}
