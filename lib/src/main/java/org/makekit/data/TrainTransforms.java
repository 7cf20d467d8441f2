package org.makekit.data;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * The official training augmentation (open_clip with MAKE's --aug-cfg): RandomResizedCrop(size,
 * scale 0.4-1.0, ratio 3/4-4/3, bicubic), ColorJitter(0.32, 0.32, 0.32, 0.08) applied with p = 0.8
 * in a random order, 3-channel grayscale with p = 0.2, no flip, then CLIP normalisation. Works on
 * float planes in [0, 255] (PIL rounds to uint8 between steps; that sub-level difference is kept).
 */
public final class TrainTransforms {
    public static final double SCALE_MIN = 0.4;
    public static final double SCALE_MAX = 1.0;
    public static final double RATIO_MIN = 3.0 / 4.0;
    public static final double RATIO_MAX = 4.0 / 3.0;
    public static final double BRIGHTNESS = 0.32;
    public static final double CONTRAST = 0.32;
    public static final double SATURATION = 0.32;
    public static final double HUE = 0.08;
    public static final double JITTER_P = 0.8;
    public static final double GRAY_P = 0.2;

    private TrainTransforms() {}

    /** Crop box {top, left, height, width} as torchvision's RandomResizedCrop.get_params. */
    public static int[] cropBox(int h, int w, SplittableRandom rng) {
        double area = (double) h * w;
        double logMin = Math.log(RATIO_MIN);
        double logMax = Math.log(RATIO_MAX);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (SCALE_MIN + (SCALE_MAX - SCALE_MIN) * rng.nextDouble());
            double aspect = Math.exp(logMin + (logMax - logMin) * rng.nextDouble());
            int cw = (int) Math.round(Math.sqrt(target * aspect));
            int ch = (int) Math.round(Math.sqrt(target / aspect));
            if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
                int top = rng.nextInt(h - ch + 1);
                int left = rng.nextInt(w - cw + 1);
                return new int[] {top, left, ch, cw};
            }
        }
        double inRatio = (double) w / h;
        int cw;
        int ch;
        if (inRatio < RATIO_MIN) {
            cw = w;
            ch = (int) Math.round(cw / RATIO_MIN);
        } else if (inRatio > RATIO_MAX) {
            ch = h;
            cw = (int) Math.round(ch * RATIO_MAX);
        } else {
            cw = w;
            ch = h;
        }
        return new int[] {(h - ch) / 2, (w - cw) / 2, ch, cw};
    }

    /** The full training transform: CHW floats of length 3*size*size. */
    public static float[] train(BufferedImage img, int size, SplittableRandom rng) {
        int w = img.getWidth();
        int h = img.getHeight();
        float[][] planes = ImageTransforms.planes(img);
        int[] box = cropBox(h, w, rng);
        float[][] px = new float[3][];
        for (int c = 0; c < 3; c++) {
            float[] crop = new float[box[2] * box[3]];
            for (int y = 0; y < box[2]; y++) {
                System.arraycopy(planes[c], (box[0] + y) * w + box[1], crop, y * box[3], box[3]);
            }
            px[c] = ImageTransforms.resizeBicubic(crop, box[3], box[2], size, size);
            for (int i = 0; i < px[c].length; i++) px[c][i] = Math.max(0, Math.min(255, Math.round(px[c][i])));
        }
        if (rng.nextDouble() < JITTER_P) colorJitter(px, rng);
        if (rng.nextDouble() < GRAY_P) {
            float[] g = gray(px);
            for (int c = 0; c < 3; c++) px[c] = g.clone();
        }
        float[] out = new float[3 * size * size];
        int n = size * size;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < n; i++) out[c * n + i] = (px[c][i] / 255f - Images.MEAN[c]) / Images.STD[c];
        }
        return out;
    }

    /** torchvision ColorJitter: factors drawn, then the four adjustments in a random order. */
    static void colorJitter(float[][] px, SplittableRandom rng) {
        int[] order = {0, 1, 2, 3};
        for (int i = 3; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        double b = 1 - BRIGHTNESS + 2 * BRIGHTNESS * rng.nextDouble();
        double c = 1 - CONTRAST + 2 * CONTRAST * rng.nextDouble();
        double s = 1 - SATURATION + 2 * SATURATION * rng.nextDouble();
        double hshift = -HUE + 2 * HUE * rng.nextDouble();
        for (int op : order) {
            switch (op) {
                case 0 -> blend(px, null, b);
                case 1 -> {
                    float[] g = gray(px);
                    double mean = 0;
                    for (float v : g) mean += v;
                    mean /= g.length;
                    float[] m = new float[g.length];
                    java.util.Arrays.fill(m, (float) mean);
                    blend(px, m, c);
                }
                case 2 -> blend(px, gray(px), s);
                default -> hue(px, hshift);
            }
        }
    }

    /** x = clamp(f*x + (1-f)*other), other = 0 when null. */
    static void blend(float[][] px, float[] other, double f) {
        for (float[] p : px) {
            for (int i = 0; i < p.length; i++) {
                double o = other == null ? 0 : other[i];
                p[i] = (float) Math.max(0, Math.min(255, f * p[i] + (1 - f) * o));
            }
        }
    }

    /** ITU-R 601-2 luma, as PIL's convert("L"). */
    static float[] gray(float[][] px) {
        float[] g = new float[px[0].length];
        for (int i = 0; i < g.length; i++) g[i] = (float) (0.299 * px[0][i] + 0.587 * px[1][i] + 0.114 * px[2][i]);
        return g;
    }

    static void hue(float[][] px, double shift) {
        for (int i = 0; i < px[0].length; i++) {
            float r = px[0][i] / 255f;
            float g = px[1][i] / 255f;
            float b = px[2][i] / 255f;
            float[] hsv = java.awt.Color.RGBtoHSB(Math.round(r * 255), Math.round(g * 255), Math.round(b * 255), null);
            float h = (float) ((hsv[0] + shift) % 1.0);
            if (h < 0) h += 1;
            int rgb = java.awt.Color.HSBtoRGB(h, hsv[1], hsv[2]);
            px[0][i] = (rgb >> 16) & 0xff;
            px[1][i] = (rgb >> 8) & 0xff;
            px[2][i] = rgb & 0xff;
        }
    }
}
