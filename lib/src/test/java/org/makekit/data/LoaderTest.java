package org.makekit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.knowledge.Augmenter;
import org.makekit.knowledge.OntologyExtractor;

class LoaderTest {
    @Test
    void cropBoxesStayInTheDocumentedRanges() {
        SplittableRandom rng = new SplittableRandom(1);
        double minScale = 1;
        double maxScale = 0;
        for (int i = 0; i < 2000; i++) {
            int[] b = TrainTransforms.cropBox(100, 100, rng);
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 100 && b[1] + b[3] <= 100, java.util.Arrays.toString(b));
            double scale = b[2] * b[3] / 10000.0;
            double ratio = (double) b[3] / b[2];
            assertTrue(ratio > 0.70 && ratio < 1.40, "ratio " + ratio);
            minScale = Math.min(minScale, scale);
            maxScale = Math.max(maxScale, scale);
        }
        assertTrue(minScale < 0.45 && minScale > 0.35 && maxScale > 0.9, minScale + " .. " + maxScale);
        // A very wide image falls back to a centre crop at the widest allowed ratio.
        int[] wide = TrainTransforms.cropBox(10, 1000, new SplittableRandom(2));
        assertTrue(wide[2] <= 10 && wide[3] <= 1000);
    }

    @Test
    void trainTransformIsSeededAndSometimesGray() {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, (x * 6 << 16) | (y * 8 << 8) | 60);
        float[] a = TrainTransforms.train(img, 16, new SplittableRandom(5));
        float[] b = TrainTransforms.train(img, 16, new SplittableRandom(5));
        assertArrayEquals(a, b);
        assertEquals(3 * 16 * 16, a.length);
        int gray = 0;
        for (int s = 0; s < 400; s++) {
            float[] t = TrainTransforms.train(img, 8, new SplittableRandom(s));
            // Gray: after un-normalising, the three channels are equal.
            double r = t[10] * Images.STD[0] + Images.MEAN[0];
            double g = t[64 + 10] * Images.STD[1] + Images.MEAN[1];
            double bl = t[128 + 10] * Images.STD[2] + Images.MEAN[2];
            if (Math.abs(r - g) < 1e-5 && Math.abs(g - bl) < 1e-5) gray++;
        }
        assertTrue(gray > 50 && gray < 110, gray + " of 400 gray, expected about 80");
    }

    @Test
    void batchesAreIdenticalForAnyWorkerCountAndWhenResumedMidEpoch(@TempDir Path tmp) {
        SynthDerm.generate(tmp, new SynthDerm.Config(3, 24, 0, 0, 32));
        ImageTextPairs.Result pairs = ImageTextPairs.read(tmp.resolve("metadata.csv"), ImageTextPairs.Columns.defaults(),
                null, null, false);
        List<TrainingRow> rows = new Augmenter(OntologyExtractor.builtin()).augment(pairs.pairs(), 0).rows();
        List<float[]> one = new ArrayList<>();
        try (BatchLoader l = new BatchLoader(rows, tmp, 5, 16, true, 9, 1, 2)) {
            assertEquals(4, l.batchesPerEpoch(), "drop_last");
            l.epoch(1, 0).forEachRemaining(b -> one.add(b.pixels()));
            int[] e1 = l.order(1);
            int[] e2 = l.order(2);
            assertFalse(java.util.Arrays.equals(e1, e2), "each epoch reshuffles");
        }
        try (BatchLoader l = new BatchLoader(rows, tmp, 5, 16, true, 9, 3, 4)) {
            Iterator<BatchLoader.Batch> it = l.epoch(1, 2);
            assertArrayEquals(one.get(2), it.next().pixels(), "resumed at batch 2");
            assertArrayEquals(one.get(3), it.next().pixels());
            assertFalse(it.hasNext());
        }
        try (BatchLoader l = new BatchLoader(rows, tmp, 5, 16, false, 9, 2, 2)) {
            assertEquals(5, l.batchesPerEpoch(), "evaluation keeps the last partial batch");
            List<Integer> seen = new ArrayList<>();
            l.epoch(0, 0).forEachRemaining(b -> { for (int i : b.indices()) seen.add(i); });
            assertEquals(24, seen.size());
            assertEquals(0, seen.get(0));
        }
    }
}
