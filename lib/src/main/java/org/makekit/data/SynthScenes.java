package org.makekit.data;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.makekit.util.KitException;

/**
 * SynthScenes, the kit's general-domain image-text corpus: scenes of one to three everyday shapes
 * (colour, size, texture, position) on plain or patterned backgrounds, each with a short caption
 * that names what is drawn. It plays the part of the web data OpenAI's CLIP was trained on: it
 * teaches colours, shapes, textures and where things are, and holds no skin, no lesion, no
 * diagnosis and no clinical word, so a model pretrained on it has never seen the evaluation data
 * (SynthDerm's test split) or anything drawn like it.
 *
 * <p>Output is a pairs CSV ({@code metadata.csv}: image, caption, label, split) like SynthDerm's;
 * the label is the first object's shape (unused by the contrastive start).
 */
public final class SynthScenes {
    private SynthScenes() {}

    /** Bump when the drawing or the captions change: the shared start's cache key includes it. */
    public static final int VERSION = 1;

    /** Sizes and seed. */
    public record Config(long seed, int images, int imageSize) {
        public static Config defaults() {
            return new Config(0, 6000, 64);
        }
    }

    static final String[] SHAPES = {"circle", "square", "triangle", "star", "ring", "cross", "diamond", "bar"};
    static final String[] COLOUR_NAMES = {"red", "green", "blue", "yellow", "black", "white", "brown", "pink", "purple",
            "orange", "grey"};
    static final Color[] COLOURS = {new Color(210, 40, 40), new Color(40, 160, 60), new Color(40, 70, 200),
            new Color(235, 210, 40), new Color(20, 20, 20), new Color(245, 245, 245), new Color(120, 75, 40),
            new Color(240, 150, 190), new Color(130, 50, 160), new Color(240, 130, 30), new Color(128, 128, 128)};
    static final String[] TEXTURES = {"plain", "striped", "dotted", "speckled", "outlined"};
    static final String[] BACKGROUNDS = {"light grey", "dark", "sky blue", "sand", "grass green", "checkered", "white"};
    static final Color[] BACKGROUND_COLOURS = {new Color(200, 200, 200), new Color(40, 40, 50), new Color(150, 200, 240),
            new Color(215, 195, 150), new Color(90, 150, 70), null, new Color(250, 250, 250)};
    static final String[] PLACES = {"upper left", "upper right", "lower left", "lower right", "centre"};
    static final double[][] PLACE_XY = {{0.28, 0.28}, {0.72, 0.28}, {0.28, 0.72}, {0.72, 0.72}, {0.5, 0.5}};

    /** One drawn object. */
    record Item(int shape, int colour, int texture, boolean large, int place) {}

    /** Generates the corpus into {@code dir}; returns the pairs CSV (all rows in split "train"). */
    public static Path generate(Path dir, Config cfg) {
        if (cfg.images() <= 0 || cfg.imageSize() < 16) throw new KitException("SynthScenes: images must be > 0 and >= 16 px");
        try {
            Files.createDirectories(dir.resolve("images"));
        } catch (IOException e) {
            throw new KitException("cannot create " + dir, e);
        }
        String[][] rows = new String[cfg.images()][];
        IntStream.range(0, cfg.images()).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(cfg.seed() * 1_000_033L + i + 7);
            List<Item> items = scene(rng);
            int bg = rng.nextInt(BACKGROUNDS.length);
            String name = String.format(Locale.ROOT, "images/sc_%06d.png", i);
            try {
                ImageIO.write(paint(items, bg, cfg.imageSize(), rng.split()), "png", dir.resolve(name).toFile());
            } catch (IOException e) {
                throw new KitException("cannot write " + dir.resolve(name), e);
            }
            rows[i] = new String[] {name, caption(items, bg, rng.split()), SHAPES[items.get(0).shape()], "train"};
        });
        Path csv = dir.resolve("metadata.csv");
        try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            p.printRecord("image", "caption", "label", "split");
            for (String[] r : rows) p.printRecord((Object[]) r);
        } catch (IOException e) {
            throw new KitException("cannot write " + csv, e);
        }
        return csv;
    }

    /** One to three objects in distinct places. */
    static List<Item> scene(SplittableRandom rng) {
        int n = 1 + rng.nextInt(3);
        List<Integer> places = new ArrayList<>(List.of(0, 1, 2, 3, 4));
        List<Item> items = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            int place = places.remove(rng.nextInt(places.size()));
            items.add(new Item(rng.nextInt(SHAPES.length), rng.nextInt(COLOURS.length), rng.nextInt(TEXTURES.length),
                    rng.nextBoolean(), place));
        }
        return items;
    }

    static String caption(List<Item> items, int bg, SplittableRandom rng) {
        List<String> parts = new ArrayList<>();
        for (Item it : items) {
            String tex = TEXTURES[it.texture()].equals("plain") ? "" : TEXTURES[it.texture()] + " ";
            parts.add(String.format(Locale.ROOT, "a %s %s%s %s in the %s", it.large() ? "large" : "small", tex,
                    COLOUR_NAMES[it.colour()], SHAPES[it.shape()], PLACES[it.place()]));
        }
        String objects = parts.size() == 1 ? parts.get(0)
                : String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
        String[] openers = {"a picture of ", "a photo of ", "an image showing ", ""};
        return openers[rng.nextInt(openers.length)] + objects + " on a " + BACKGROUNDS[bg] + " background.";
    }

    static BufferedImage paint(List<Item> items, int bg, int size, SplittableRandom rng) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        if (BACKGROUND_COLOURS[bg] == null) {
            int cell = Math.max(2, size / 8);
            for (int y = 0; y < size; y += cell) {
                for (int x = 0; x < size; x += cell) {
                    g.setColor(((x + y) / cell) % 2 == 0 ? new Color(230, 230, 230) : new Color(170, 170, 170));
                    g.fillRect(x, y, cell, cell);
                }
            }
        } else {
            g.setColor(BACKGROUND_COLOURS[bg]);
            g.fillRect(0, 0, size, size);
        }
        for (Item it : items) {
            double r = size * (it.large() ? 0.17 : 0.09) * (0.9 + 0.2 * rng.nextDouble());
            double cx = size * (PLACE_XY[it.place()][0] + 0.06 * (rng.nextDouble() - 0.5));
            double cy = size * (PLACE_XY[it.place()][1] + 0.06 * (rng.nextDouble() - 0.5));
            java.awt.Shape shape = shape(SHAPES[it.shape()], cx, cy, r, size);
            Color col = COLOURS[it.colour()];
            g.setColor(col);
            if (TEXTURES[it.texture()].equals("outlined")) {
                g.setStroke(new BasicStroke((float) Math.max(1.5, size / 40.0)));
                g.draw(shape);
                continue;
            }
            g.fill(shape);
            Color contrast = col.getRed() + col.getGreen() + col.getBlue() > 380 ? new Color(30, 30, 30) : new Color(240, 240, 240);
            g.setClip(shape);
            g.setColor(contrast);
            switch (TEXTURES[it.texture()]) {
                case "striped" -> {
                    g.setStroke(new BasicStroke((float) Math.max(1, size / 64.0)));
                    for (double x = cx - r; x < cx + r; x += Math.max(3, r / 2.5)) g.draw(new java.awt.geom.Line2D.Double(x, cy - r, x + r * 0.5, cy + r));
                }
                case "dotted" -> {
                    double step = Math.max(3, r / 2);
                    for (double y = cy - r; y < cy + r; y += step) for (double x = cx - r; x < cx + r; x += step) g.fill(new Ellipse2D.Double(x, y, 1.6, 1.6));
                }
                case "speckled" -> {
                    for (int k = 0; k < 12; k++) g.fill(new Rectangle2D.Double(cx + (rng.nextDouble() - 0.5) * 2 * r, cy + (rng.nextDouble() - 0.5) * 2 * r, 1.2, 1.2));
                }
                default -> { }
            }
            g.setClip(null);
        }
        g.dispose();
        SynthDerm.noise(img, rng);
        return img;
    }

    static java.awt.Shape shape(String kind, double cx, double cy, double r, int size) {
        switch (kind) {
            case "circle" -> {
                return new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r);
            }
            case "square" -> {
                return new Rectangle2D.Double(cx - r * 0.85, cy - r * 0.85, 1.7 * r, 1.7 * r);
            }
            case "ring" -> {
                java.awt.geom.Area a = new java.awt.geom.Area(new Ellipse2D.Double(cx - r, cy - r, 2 * r, 2 * r));
                a.subtract(new java.awt.geom.Area(new Ellipse2D.Double(cx - r * 0.55, cy - r * 0.55, 1.1 * r, 1.1 * r)));
                return a;
            }
            case "cross" -> {
                java.awt.geom.Area a = new java.awt.geom.Area(new Rectangle2D.Double(cx - r, cy - r * 0.3, 2 * r, 0.6 * r));
                a.add(new java.awt.geom.Area(new Rectangle2D.Double(cx - r * 0.3, cy - r, 0.6 * r, 2 * r)));
                return a;
            }
            case "bar" -> {
                return new Rectangle2D.Double(cx - r, cy - r * 0.35, 2 * r, 0.7 * r);
            }
            default -> {
                int pts = kind.equals("triangle") ? 3 : kind.equals("diamond") ? 4 : 10;
                Path2D p = new Path2D.Double();
                for (int i = 0; i < pts; i++) {
                    double a = -Math.PI / 2 + 2 * Math.PI * i / pts;
                    double rr = kind.equals("star") && i % 2 == 1 ? r * 0.45 : r;
                    double x = cx + Math.cos(a) * rr;
                    double y = cy + Math.sin(a) * rr;
                    if (i == 0) p.moveTo(x, y); else p.lineTo(x, y);
                }
                p.closePath();
                return p;
            }
        }
    }
}
