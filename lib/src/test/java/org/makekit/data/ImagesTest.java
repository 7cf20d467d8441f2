package org.makekit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.KitException;
import org.makekit.util.SharedPaths;

class ImagesTest {
    @Test
    void constantImageNormalisesToClipStatistics() {
        BufferedImage img = new BufferedImage(50, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) for (int x = 0; x < 50; x++) img.setRGB(x, y, (200 << 16) | (100 << 8) | 50);
        float[] t = ImageTransforms.eval(img, 16);
        assertEquals(3 * 16 * 16, t.length);
        float[] rgb = {200, 100, 50};
        for (int c = 0; c < 3; c++) {
            float expect = (rgb[c] / 255f - Images.MEAN[c]) / Images.STD[c];
            for (int i = 0; i < 256; i++) assertEquals(expect, t[c * 256 + i], 1e-5, "channel " + c);
        }
    }

    @Test
    void bicubicResizeKeepsLinearRampsAndHandlesBothDirections() {
        int w = 40;
        float[] ramp = new float[w * 4];
        for (int y = 0; y < 4; y++) for (int x = 0; x < w; x++) ramp[y * w + x] = x;
        float[] down = ImageTransforms.resizeBicubic(ramp, w, 4, 10, 4);
        // Away from the edges, averaging a linear ramp over a symmetric kernel gives the centre value.
        for (int o = 2; o < 8; o++) assertEquals((o + 0.5) * 4 - 0.5, down[o], 1e-3);
        float[] up = ImageTransforms.resizeBicubic(ramp, w, 4, 80, 4);
        for (int o = 8; o < 72; o++) assertEquals((o + 0.5) / 2 - 0.5, up[o], 1e-3);
    }

    @Test
    void readsRealHam10000Jpegs() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(SharedPaths.shared().resolve("data/ham10000/images"))) {
            files = s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(2).toList();
        }
        for (Path f : files) {
            BufferedImage img = Images.read(f);
            assertTrue(img.getWidth() > 0 && img.getHeight() > 0);
            float[] t = ImageTransforms.eval(img, 64);
            for (float v : t) assertTrue(Float.isFinite(v) && Math.abs(v) < 3, "normalised value " + v);
        }
    }

    @Test
    void unreadableImagesNameTheFile(@TempDir Path tmp) throws Exception {
        Path empty = tmp.resolve("empty.jpg");
        Files.write(empty, new byte[0]);
        assertMsg(empty, "empty");
        Path text = tmp.resolve("notes.png");
        Files.writeString(text, "not an image");
        assertMsg(text, "not a JPEG, PNG or BMP");
        assertMsg(tmp.resolve("missing.jpg"), "not found");
        // A real JPEG cut in half.
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) img.setRGB(x, y, (x * 4 << 16) | (y * 4 << 8) | 90);
        Path full = tmp.resolve("full.jpg");
        ImageIO.write(img, "jpg", full.toFile());
        byte[] bytes = Files.readAllBytes(full);
        Path cut = tmp.resolve("cut.jpg");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertMsg(cut, "cut.jpg");
        assertEquals(64, Images.read(full).getWidth());
    }

    static void assertMsg(Path f, String part) {
        KitException e = assertThrows(KitException.class, () -> Images.read(f));
        assertTrue(e.getMessage().contains(f.getFileName().toString()) && e.getMessage().contains(part), e.getMessage());
    }
}
