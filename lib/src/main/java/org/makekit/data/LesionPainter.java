package org.makekit.data;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/**
 * Draws a synthetic skin lesion: skin-toned background with noise, a lesion of given colour, size,
 * shape irregularity and border sharpness, optional scale (white flecks) and satellite papules.
 * Deterministic for a given random source.
 */
public final class LesionPainter {
    private LesionPainter() {}

    /** What to draw. Colours are RGB; irregularity 0 (round) .. 1 (ragged); border 0 (sharp) .. 1 (blurred). */
    public record Spec(Color lesion, double radius, double irregularity, double border, boolean scale, int satellites,
                       Color skin) {}

    public static BufferedImage paint(Spec s, int size, SplittableRandom rng) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(s.skin());
        g.fillRect(0, 0, size, size);
        double cx = size * (0.45 + 0.1 * rng.nextDouble());
        double cy = size * (0.45 + 0.1 * rng.nextDouble());
        double r = s.radius() * size;
        int layers = 1 + (int) Math.round(s.border() * 6);
        for (int layer = layers; layer >= 1; layer--) {
            double grow = 1 + s.border() * 0.5 * (layer - 1) / Math.max(1, layers - 1);
            float alpha = layer == 1 ? 1f : (float) (0.25 / layer);
            g.setColor(new Color(s.lesion().getRed(), s.lesion().getGreen(), s.lesion().getBlue(), Math.round(alpha * 255)));
            g.fill(blob(cx, cy, r * grow, s.irregularity(), rng.split()));
        }
        if (s.scale()) {
            g.setColor(new Color(245, 240, 235));
            g.setStroke(new BasicStroke(Math.max(1f, size / 64f)));
            for (int i = 0; i < 12; i++) {
                double a = rng.nextDouble() * 2 * Math.PI;
                double d = rng.nextDouble() * r * 0.8;
                double x = cx + Math.cos(a) * d;
                double y = cy + Math.sin(a) * d;
                g.drawLine((int) x, (int) y, (int) (x + size / 24.0), (int) (y + rng.nextDouble() * 2));
            }
        }
        g.setColor(s.lesion());
        for (int i = 0; i < s.satellites(); i++) {
            double a = rng.nextDouble() * 2 * Math.PI;
            double d = r * (1.3 + 0.5 * rng.nextDouble());
            double pr = Math.max(1.5, size / 32.0);
            g.fill(new Ellipse2D.Double(cx + Math.cos(a) * d - pr, cy + Math.sin(a) * d - pr, 2 * pr, 2 * pr));
        }
        g.dispose();
        // Skin texture noise.
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int rgb = img.getRGB(x, y);
                int n = (int) Math.round(rng.nextGaussian() * 6);
                int rr = clamp(((rgb >> 16) & 0xff) + n);
                int gg = clamp(((rgb >> 8) & 0xff) + n);
                int bb = clamp((rgb & 0xff) + n);
                img.setRGB(x, y, (rr << 16) | (gg << 8) | bb);
            }
        }
        return img;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    private static Path2D blob(double cx, double cy, double r, double irregularity, SplittableRandom rng) {
        int n = 48;
        double[] phase = {rng.nextDouble() * 6.28, rng.nextDouble() * 6.28, rng.nextDouble() * 6.28};
        Path2D p = new Path2D.Double();
        for (int i = 0; i <= n; i++) {
            double a = 2 * Math.PI * i / n;
            double wobble = 1 + irregularity * (0.18 * Math.sin(3 * a + phase[0]) + 0.12 * Math.sin(5 * a + phase[1])
                    + 0.08 * Math.sin(8 * a + phase[2]));
            double x = cx + Math.cos(a) * r * wobble;
            double y = cy + Math.sin(a) * r * wobble * 0.85;
            if (i == 0) p.moveTo(x, y); else p.lineTo(x, y);
        }
        p.closePath();
        return p;
    }
}
