package org.makekit.data;

import java.awt.image.BufferedImage;

/**
 * Image to model input, as the official evaluation transform: resize the short side to {@code size}
 * (bicubic with antialiasing, as PIL), centre crop {@code size}x{@code size}, scale to [0, 1],
 * normalise with CLIP's mean and std. Output is CHW float.
 */
public final class ImageTransforms {
    private ImageTransforms() {}

    /** Planar float RGB in [0, 255]: [3][h*w]. */
    public static float[][] planes(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        float[][] out = new float[3][w * h];
        for (int i = 0; i < px.length; i++) {
            out[0][i] = (px[i] >> 16) & 0xff;
            out[1][i] = (px[i] >> 8) & 0xff;
            out[2][i] = px[i] & 0xff;
        }
        return out;
    }

    /** The evaluation transform: CHW floats of length 3*size*size. */
    public static float[] eval(BufferedImage img, int size) {
        int w = img.getWidth();
        int h = img.getHeight();
        // torchvision Resize(int): the short side becomes size, the long side int(size * long / short).
        int nw;
        int nh;
        if (w <= h) {
            nw = size;
            nh = (int) ((long) size * h / w);
        } else {
            nh = size;
            nw = (int) ((long) size * w / h);
        }
        float[][] planes = planes(img);
        float[][] resized = new float[3][];
        for (int c = 0; c < 3; c++) resized[c] = resizeBicubic(planes[c], w, h, nw, nh);
        int top = (int) Math.round((nh - size) / 2.0);
        int left = (int) Math.round((nw - size) / 2.0);
        float[] out = new float[3 * size * size];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    float v = Math.max(0, Math.min(255, Math.round(resized[c][(top + y) * nw + left + x])));
                    out[c * size * size + y * size + x] = (v / 255f - Images.MEAN[c]) / Images.STD[c];
                }
            }
        }
        return out;
    }

    /** PIL's bicubic filter (a = -0.5). */
    static double cubic(double x) {
        double a = -0.5;
        x = Math.abs(x);
        if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
        if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
        return 0;
    }

    /** Separable bicubic resampling with PIL's antialiasing support (the kernel widens when shrinking). */
    public static float[] resizeBicubic(float[] src, int w, int h, int nw, int nh) {
        if (w == nw && h == nh) return src.clone();
        float[] tmp = new float[nw * h];
        resample1d(src, w, h, nw, true, tmp);
        float[] out = new float[nw * nh];
        resample1d(tmp, nw, h, nh, false, out);
        return out;
    }

    private static void resample1d(float[] src, int w, int h, int n, boolean horizontal, float[] dst) {
        int inSize = horizontal ? w : h;
        double scale = (double) inSize / n;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        for (int o = 0; o < n; o++) {
            double center = (o + 0.5) * scale;
            int xmin = (int) Math.max(0, Math.floor(center - support + 0.5));
            int xmax = (int) Math.min(inSize, Math.floor(center + support + 0.5));
            double[] k = new double[xmax - xmin];
            double sum = 0;
            for (int i = 0; i < k.length; i++) {
                k[i] = cubic((i + xmin - center + 0.5) / filterScale);
                sum += k[i];
            }
            for (int i = 0; i < k.length; i++) k[i] = sum != 0 ? k[i] / sum : 0;
            if (horizontal) {
                for (int y = 0; y < h; y++) {
                    double acc = 0;
                    for (int i = 0; i < k.length; i++) acc += k[i] * src[y * w + xmin + i];
                    dst[y * n + o] = (float) acc;
                }
            } else {
                for (int x = 0; x < w; x++) {
                    double acc = 0;
                    for (int i = 0; i < k.length; i++) acc += k[i] * src[(xmin + i) * w + x];
                    dst[o * w + x] = (float) acc;
                }
            }
        }
    }
}
