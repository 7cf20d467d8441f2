package org.makekit.augment;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * A picture of one MedCutMix pair, in three panels: the base image; the partner image with the
 * inserted sentence's attention as a red overlay (the mask outlined in yellow); and a pixel view of
 * the mix, the base with the partner's masked patches blended in by their weights. The mix itself
 * happens on token features inside the image tower (before the pair's block), so the third panel
 * shows where and how much, not the features.
 */
public final class MixPictures {
    private MixPictures() {}

    /**
     * @param base    the base image as stored (any size; drawn at {@code scale} times the model's input size)
     * @param partner the partner image as stored
     * @param plan    the plan the pair belongs to (its token weights)
     * @param pair    the pair
     * @param size    the model's input size in pixels (the patch grid divides it)
     */
    public static BufferedImage picture(BufferedImage base, BufferedImage partner, MedCutMix.Plan plan, MedCutMix.Pair pair,
                                        int size, int scale) {
        int grid = (int) Math.round(Math.sqrt(plan.tokens() - 1));
        int s = size * scale;
        int gap = 6;
        int label = 16;
        BufferedImage out = new BufferedImage(3 * s + 2 * gap, s + label, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        BufferedImage a = resized(base, s);
        BufferedImage b = resized(partner, s);
        g.drawImage(a, 0, label, null);
        // partner with the attention overlay and the mask
        g.drawImage(b, s + gap, label, null);
        float max = 0;
        for (float v : pair.attention()) max = Math.max(max, v);
        double cell = (double) s / grid;
        java.util.Set<Integer> mask = new java.util.HashSet<>();
        for (int p : pair.patches()) mask.add(p);
        for (int p = 0; p < pair.attention().length; p++) {
            int x = (int) Math.round(s + gap + (p % grid) * cell);
            int y = (int) Math.round(label + (p / grid) * cell);
            int alpha = max > 0 ? Math.round(170 * pair.attention()[p] / max) : 0;
            g.setColor(new Color(230, 30, 30, alpha));
            g.fillRect(x, y, (int) Math.ceil(cell), (int) Math.ceil(cell));
        }
        g.setColor(new Color(255, 220, 0));
        g.setStroke(new BasicStroke(1.2f));
        for (int p : mask) {
            g.drawRect((int) Math.round(s + gap + (p % grid) * cell), (int) Math.round(label + (p / grid) * cell), (int) cell - 1,
                    (int) cell - 1);
        }
        // pixel view of the mix
        BufferedImage m = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int p = (int) (y / cell) * grid + (int) (x / cell);
                float w = plan.weights()[pair.row() * plan.tokens() + 1 + p];
                m.setRGB(x, y, blend(a.getRGB(x, y), b.getRGB(x, y), w));
            }
        }
        g.drawImage(m, 2 * (s + gap), label, null);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString("base (image " + pair.base() + ")", 2, 12);
        g.drawString("partner " + pair.partner() + ": attention", s + gap + 2, 12);
        g.drawString(String.format(java.util.Locale.ROOT, "mix, %d of %d patches", pair.patches().length, grid * grid),
                2 * (s + gap) + 2, 12);
        g.dispose();
        return out;
    }

    static BufferedImage resized(BufferedImage src, int s) {
        BufferedImage r = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = r.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(src, 0, 0, s, s, null);
        g.dispose();
        return r;
    }

    static int blend(int a, int b, float w) {
        int r = Math.round(((a >> 16) & 0xff) * (1 - w) + ((b >> 16) & 0xff) * w);
        int gg = Math.round(((a >> 8) & 0xff) * (1 - w) + ((b >> 8) & 0xff) * w);
        int bb = Math.round((a & 0xff) * (1 - w) + (b & 0xff) * w);
        return (r << 16) | (gg << 8) | bb;
    }
}
