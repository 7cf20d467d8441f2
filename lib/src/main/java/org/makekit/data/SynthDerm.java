package org.makekit.data;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.makekit.util.KitException;

/**
 * SynthDerm, the kit's embedded default dataset, generated deterministically from a seed: lesion
 * images whose colour, size, shape, border, texture and distribution encode dermatological concepts,
 * for 10 diagnoses with their own concept profiles, and long clinical captions. Most captions are
 * longer than CLIP's 77 tokens and carry the visual facts (and often the diagnosis) only after the
 * history, so truncation loses them while sentence decomposition keeps them.
 *
 * <p>Diagnoses and concept names come from the Derm1M ontology and concept lexicon, so the offline
 * knowledge extractor recognises them. Output: {@code images/*.png}, {@code metadata.csv} (image,
 * caption, label, split, concepts), {@code concepts.csv} (one 0/1 column per concept) and
 * {@code classes.json} (class names, concepts, prompt templates).
 */
public final class SynthDerm {
    private SynthDerm() {}

    /** Sizes and seed. */
    public record Config(long seed, int train, int val, int test, int imageSize) {
        public static Config defaults() {
            return new Config(0, 2400, 300, 600, 64);
        }

        public int total() {
            return train + val + test;
        }
    }

    public static final List<String> CONCEPTS = List.of("erythema", "brown(hyperpigmentation)", "black",
            "white(hypopigmentation)", "plaque", "papule", "nodule", "scale", "crust", "pustule", "telangiectasia",
            "ulcer", "wheal", "patch");

    /** A diagnosis: its name, the probability of each concept, size range and border raggedness. */
    record Profile(String name, Map<String, Double> p, double minR, double maxR, double ragged, double blur) {}

    static final List<Profile> PROFILES = List.of(
            profile("melanoma", 0.30, 0.40, 0.95, 0.15, "black", 0.85, "brown(hyperpigmentation)", 0.7, "plaque", 0.5,
                    "nodule", 0.25, "ulcer", 0.25),
            profile("melanocytic nevus", 0.12, 0.20, 0.05, 0.0, "brown(hyperpigmentation)", 0.95, "papule", 0.6),
            profile("psoriasis", 0.30, 0.42, 0.35, 0.2, "erythema", 0.95, "plaque", 0.9, "scale", 0.9),
            profile("atopic dermatitis", 0.28, 0.40, 0.55, 0.9, "erythema", 0.9, "patch", 0.6, "crust", 0.35,
                    "scale", 0.3, "papule", 0.3),
            profile("basal cell carcinoma", 0.16, 0.26, 0.15, 0.1, "nodule", 0.8, "telangiectasia", 0.75,
                    "erythema", 0.4, "ulcer", 0.35),
            profile("seborrheic keratosis", 0.18, 0.28, 0.25, 0.0, "brown(hyperpigmentation)", 0.9, "plaque", 0.7,
                    "scale", 0.35),
            profile("tinea corporis", 0.28, 0.40, 0.2, 0.3, "erythema", 0.85, "scale", 0.75, "plaque", 0.5),
            profile("vitiligo", 0.28, 0.42, 0.5, 0.4, "white(hypopigmentation)", 0.95, "patch", 0.85),
            profile("urticaria", 0.22, 0.34, 0.3, 0.6, "wheal", 0.95, "erythema", 0.8),
            profile("impetigo", 0.20, 0.32, 0.45, 0.4, "crust", 0.9, "erythema", 0.6, "pustule", 0.55));

    static Profile profile(String name, double minR, double maxR, double ragged, double blur, Object... kv) {
        Map<String, Double> p = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) p.put((String) kv[i], (Double) kv[i + 1]);
        return new Profile(name, p, minR, maxR, ragged, blur);
    }

    public static List<String> classnames() {
        return PROFILES.stream().map(Profile::name).toList();
    }

    /** One generated sample. */
    public record Sample(String image, String caption, String label, String split, List<String> concepts) {}

    /** Generates the dataset into {@code dir}; returns the samples in order. */
    public static List<Sample> generate(Path dir, Config cfg) {
        if (cfg.total() <= 0 || cfg.imageSize() < 16) throw new KitException("SynthDerm: sizes must be positive and images >= 16 px");
        try {
            Files.createDirectories(dir.resolve("images"));
        } catch (IOException e) {
            throw new KitException("cannot create " + dir, e);
        }
        Sample[] out = new Sample[cfg.total()];
        IntStream.range(0, cfg.total()).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(cfg.seed() * 1_000_003L + i);
            Profile prof = PROFILES.get(i % PROFILES.size());
            List<String> concepts = new ArrayList<>();
            for (Map.Entry<String, Double> e : prof.p().entrySet()) if (rng.nextDouble() < e.getValue()) concepts.add(e.getKey());
            if (concepts.isEmpty()) concepts.add(prof.p().keySet().iterator().next());
            String split = i < cfg.train() ? "train" : i < cfg.train() + cfg.val() ? "val" : "test";
            String name = String.format(Locale.ROOT, "images/sd_%06d.png", i);
            BufferedImage img = paint(prof, concepts, cfg.imageSize(), rng.split());
            try {
                ImageIO.write(img, "png", dir.resolve(name).toFile());
            } catch (IOException e) {
                throw new KitException("cannot write " + dir.resolve(name), e);
            }
            out[i] = new Sample(name, caption(prof, concepts, rng.split()), prof.name(), split, concepts);
        });
        List<Sample> samples = List.of(out);
        writeMetadata(dir, samples);
        return samples;
    }

    static void writeMetadata(Path dir, List<Sample> samples) {
        GeneratedFiles.write(dir, samples.stream().map(s -> new String[] {s.image(), s.caption(), s.label(), s.split()}).toList(),
                samples.stream().map(Sample::concepts).toList(), CONCEPTS);
        JsonObject cls = new JsonObject();
        cls.addProperty("name", "SynthDerm");
        cls.addProperty("description", "Synthetic dermatology images generated by MAKE-kit (org.makekit.data.SynthDerm)");
        JsonArray names = new JsonArray();
        classnames().forEach(names::add);
        cls.add("classnames", names);
        JsonArray cs = new JsonArray();
        CONCEPTS.forEach(cs::add);
        cls.add("concepts", cs);
        try {
            Files.writeString(dir.resolve("classes.json"), new GsonBuilder().setPrettyPrinting().create().toJson(cls));
        } catch (IOException e) {
            throw new KitException("cannot write " + dir.resolve("classes.json"), e);
        }
    }

    // ---------------------------------------------------------------- captions

    static final String[] SITES = {"forearm", "back", "chest", "thigh", "scalp", "neck", "abdomen", "lower leg", "hand",
        "shoulder", "face", "upper arm"};
    static final String[] DURATIONS = {"two weeks", "three months", "six months", "about a year", "several years",
        "ten days", "eight weeks", "many months"};
    static final String[] HISTORY = {
        "A %d-year-old %s presented to the outpatient dermatology clinic with a lesion on the %s that had been present for %s",
        "This %d-year-old %s was referred by the family doctor because of a lesion on the %s noticed %s ago",
        "The patient, a %d-year-old %s, attended the clinic about a lesion on the %s that had been there for %s"};
    static final String[] FILLER = {
        "There was no relevant family history and the patient was otherwise well without fever, weight loss or other systemic complaints",
        "Previous treatment with emollients and an over-the-counter cream had brought little improvement according to the patient",
        "The patient takes no regular medication, has no known drug allergies and works in an office during the week",
        "The lesion had been slowly changing over the last weeks, which prompted the visit and a request for a specialist opinion",
        "Sleep was occasionally disturbed, and the patient was worried about the appearance of the lesion and about possible scarring",
        "The patient had attended the same clinic two years earlier for an unrelated complaint that resolved without any treatment"};
    static final Map<String, String[]> PHRASES = Map.ofEntries(
            Map.entry("erythema", new String[] {"The surrounding skin showed marked redness", "There was an erythematous rim around the lesion"}),
            Map.entry("brown(hyperpigmentation)", new String[] {"The lesion showed brown hyperpigmentation", "Its colour was a uniform brown hyperpigmentation"}),
            Map.entry("black", new String[] {"Areas of black colour were seen within it", "Parts of the lesion were black"}),
            Map.entry("white(hypopigmentation)", new String[] {"It appeared as an area of marked hypopigmentation", "The skin there showed a loss of colour with hypopigmentation"}),
            Map.entry("plaque", new String[] {"It formed a raised plaque", "The lesion was a well demarcated plaque"}),
            Map.entry("papule", new String[] {"Small papular lesions were scattered nearby", "Several papular satellite lesions were present"}),
            Map.entry("nodule", new String[] {"It was a firm dome-like nodule", "A nodular component was palpable"}),
            Map.entry("scale", new String[] {"The surface was scaly", "Its surface was flaky and scaly"}),
            Map.entry("crust", new String[] {"A honey-coloured crust covered part of it", "There was a dried crust on the surface"}),
            Map.entry("pustule", new String[] {"A pustule was seen at the edge", "There was pustule formation at the border"}),
            Map.entry("telangiectasia", new String[] {"Dilated or broken blood vessels crossed its surface", "Telangiectasia was visible on its surface"}),
            Map.entry("ulcer", new String[] {"The centre was ulcerated", "A small ulcer had formed in the middle"}),
            Map.entry("wheal", new String[] {"It looked like a swollen wheal with a pale centre", "Each wheal was raised and pale in the middle"}),
            Map.entry("patch", new String[] {"It was a flat patch without elevation", "The lesion was a flat patch"}));
    static final String[] EARLY_DX = {"Findings were consistent with %s", "The referral letter mentioned suspected %s"};
    static final String[] LATE_DX = {"The final diagnosis was %s", "Clinical assessment confirmed %s", "The dermatologist diagnosed %s"};

    static String caption(Profile prof, List<String> concepts, SplittableRandom rng) {
        List<String> s = new ArrayList<>();
        boolean early = rng.nextDouble() < 0.35;
        if (early) s.add(String.format(pick(EARLY_DX, rng), prof.name()));
        s.add(String.format(Locale.ROOT, pick(HISTORY, rng), 20 + rng.nextInt(60), rng.nextBoolean() ? "man" : "woman",
                pick(SITES, rng), pick(DURATIONS, rng)));
        List<String> filler = new ArrayList<>(List.of(FILLER));
        for (int i = 0; i < 2; i++) s.add(filler.remove(rng.nextInt(filler.size())));
        List<String> shuffled = new ArrayList<>(concepts);
        for (int i = shuffled.size() - 1; i > 0; i--) java.util.Collections.swap(shuffled, i, rng.nextInt(i + 1));
        for (String c : shuffled) {
            if (rng.nextDouble() < 0.1) continue; // captions, like real ones, do not mention everything
            s.add(pick(PHRASES.get(c), rng));
        }
        if (prof.ragged() > 0.5) s.add(rng.nextBoolean() ? "The edges were ragged and asymmetric" : "Its outline was notched and uneven");
        else s.add(rng.nextBoolean() ? "The edges were smooth and sharply defined" : "Its outline was round and symmetric");
        if (!early) s.add(String.format(pick(LATE_DX, rng), prof.name()));
        return String.join(". ", s) + ".";
    }

    static String pick(String[] a, SplittableRandom rng) {
        return a[rng.nextInt(a.length)];
    }

    // ---------------------------------------------------------------- images

    static final Color SKIN_LIGHT = new Color(232, 190, 160);
    static final Color SKIN_DARK = new Color(170, 120, 90);

    static BufferedImage paint(Profile prof, List<String> c, int size, SplittableRandom rng) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        double tone = rng.nextDouble();
        Color skin = mix(SKIN_LIGHT, SKIN_DARK, tone * 0.7);
        g.setColor(skin);
        g.fillRect(0, 0, size, size);
        double cx = size * (0.4 + 0.2 * rng.nextDouble());
        double cy = size * (0.4 + 0.2 * rng.nextDouble());
        double r = size * (prof.minR() + (prof.maxR() - prof.minR()) * rng.nextDouble());
        Color base = lesionColour(c, skin, rng);
        boolean ring = prof.name().equals("tinea corporis");
        if (c.contains("erythema") && !c.contains("wheal")) {
            fillBlob(g, cx, cy, r * 1.35, prof.ragged(), withAlpha(new Color(205, 70, 70), 110), rng);
        }
        if (c.contains("wheal")) {
            int n = 1 + rng.nextInt(3);
            for (int i = 0; i < n; i++) {
                double wx = i == 0 ? cx : size * (0.2 + 0.6 * rng.nextDouble());
                double wy = i == 0 ? cy : size * (0.2 + 0.6 * rng.nextDouble());
                double wr = i == 0 ? r : r * 0.6;
                fillBlob(g, wx, wy, wr, prof.ragged(), new Color(215, 95, 95), rng);
                fillBlob(g, wx, wy, wr * 0.55, 0.2, mix(skin, Color.WHITE, 0.35), rng);
            }
        } else if (ring) {
            fillBlob(g, cx, cy, r, prof.ragged(), base, rng);
            fillBlob(g, cx, cy, r * 0.65, prof.ragged() * 0.5, mix(skin, base, 0.15), rng);
        } else {
            int layers = 1 + (int) Math.round(prof.blur() * 5);
            for (int l = layers; l >= 1; l--) {
                double grow = 1 + prof.blur() * 0.45 * (l - 1) / Math.max(1, layers - 1);
                fillBlob(g, cx, cy, r * grow, prof.ragged(), withAlpha(base, l == 1 ? 255 : 70 / l), rng);
            }
            if (c.contains("black") && c.contains("brown(hyperpigmentation)")) {
                fillBlob(g, cx + r * 0.2, cy - r * 0.1, r * 0.5, prof.ragged(), new Color(25, 18, 18), rng);
            }
        }
        if (c.contains("nodule") || c.contains("plaque")) { // raised: a highlight and a shadow
            g.setColor(withAlpha(Color.WHITE, c.contains("nodule") ? 90 : 45));
            g.fill(new Ellipse2D.Double(cx - r * 0.45, cy - r * 0.55, r * 0.6, r * 0.35));
            g.setColor(withAlpha(Color.BLACK, 40));
            g.setStroke(new BasicStroke((float) Math.max(1, size / 40.0)));
            g.draw(new Ellipse2D.Double(cx - r * 0.95, cy - r * 0.8, r * 1.9, r * 1.7));
        }
        if (c.contains("telangiectasia")) {
            g.setColor(new Color(190, 30, 40));
            g.setStroke(new BasicStroke((float) Math.max(1, size / 64.0)));
            for (int i = 0; i < 4; i++) {
                double a = rng.nextDouble() * Math.PI * 2;
                Path2D p = new Path2D.Double();
                p.moveTo(cx, cy);
                p.quadTo(cx + Math.cos(a + 0.6) * r * 0.5, cy + Math.sin(a + 0.6) * r * 0.5, cx + Math.cos(a) * r * 0.9,
                        cy + Math.sin(a) * r * 0.9);
                g.draw(p);
            }
        }
        if (c.contains("ulcer")) fillBlob(g, cx, cy, r * 0.3, 0.5, new Color(120, 20, 25), rng);
        if (c.contains("scale")) flecks(g, cx, cy, r, new Color(245, 242, 235), 14, size / 20.0, rng);
        if (c.contains("crust")) flecks(g, cx, cy, r, new Color(200, 150, 60), 10, size / 14.0, rng);
        if (c.contains("pustule")) dots(g, cx, cy, r * 1.2, new Color(250, 240, 190), 4, size / 28.0, rng);
        if (c.contains("papule")) dots(g, cx, cy, r * 1.6, mix(base, Color.BLACK, 0.1), 5, size / 26.0, rng);
        g.dispose();
        noise(img, rng);
        return img;
    }

    static Color lesionColour(List<String> c, Color skin, SplittableRandom rng) {
        if (c.contains("white(hypopigmentation)")) return mix(skin, new Color(250, 245, 240), 0.75);
        if (c.contains("black") && !c.contains("brown(hyperpigmentation)")) return new Color(30, 22, 22);
        if (c.contains("brown(hyperpigmentation)")) return mix(new Color(125, 80, 50), new Color(90, 55, 35), rng.nextDouble());
        if (c.contains("crust")) return new Color(200, 110, 90);
        if (c.contains("erythema")) return new Color(200, 75, 75);
        if (c.contains("nodule")) return new Color(225, 175, 170);
        return mix(skin, new Color(150, 90, 80), 0.6);
    }

    static void fillBlob(Graphics2D g, double cx, double cy, double r, double ragged, Color col, SplittableRandom rng) {
        int n = 40;
        double[] ph = {rng.nextDouble() * 6.3, rng.nextDouble() * 6.3, rng.nextDouble() * 6.3};
        Path2D p = new Path2D.Double();
        for (int i = 0; i <= n; i++) {
            double a = 2 * Math.PI * i / n;
            double w = 1 + ragged * (0.22 * Math.sin(3 * a + ph[0]) + 0.14 * Math.sin(5 * a + ph[1]) + 0.1 * Math.sin(9 * a + ph[2]));
            double x = cx + Math.cos(a) * r * w;
            double y = cy + Math.sin(a) * r * w * 0.85;
            if (i == 0) p.moveTo(x, y); else p.lineTo(x, y);
        }
        p.closePath();
        g.setColor(col);
        g.fill(p);
    }

    static void flecks(Graphics2D g, double cx, double cy, double r, Color col, int n, double len, SplittableRandom rng) {
        g.setColor(col);
        g.setStroke(new BasicStroke((float) Math.max(1, len / 3)));
        for (int i = 0; i < n; i++) {
            double a = rng.nextDouble() * 2 * Math.PI;
            double d = Math.sqrt(rng.nextDouble()) * r * 0.85;
            double x = cx + Math.cos(a) * d;
            double y = cy + Math.sin(a) * d;
            g.drawLine((int) x, (int) y, (int) (x + len), (int) (y + rng.nextDouble() * len / 2));
        }
    }

    static void dots(Graphics2D g, double cx, double cy, double r, Color col, int n, double pr, SplittableRandom rng) {
        g.setColor(col);
        for (int i = 0; i < n; i++) {
            double a = rng.nextDouble() * 2 * Math.PI;
            double d = r * (0.8 + 0.3 * rng.nextDouble());
            double rr = Math.max(1.2, pr);
            g.fill(new Ellipse2D.Double(cx + Math.cos(a) * d - rr, cy + Math.sin(a) * d - rr, 2 * rr, 2 * rr));
        }
    }

    static void noise(BufferedImage img, SplittableRandom rng) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < px.length; i++) {
            int n = (int) Math.round(rng.nextGaussian() * 5);
            int rr = clamp(((px[i] >> 16) & 0xff) + n);
            int gg = clamp(((px[i] >> 8) & 0xff) + n);
            int bb = clamp((px[i] & 0xff) + n);
            px[i] = (rr << 16) | (gg << 8) | bb;
        }
        img.setRGB(0, 0, w, h, px, 0, w);
    }

    static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    static Color mix(Color a, Color b, double t) {
        return new Color((int) (a.getRed() + (b.getRed() - a.getRed()) * t), (int) (a.getGreen() + (b.getGreen() - a.getGreen()) * t),
                (int) (a.getBlue() + (b.getBlue() - a.getBlue()) * t));
    }

    static Color withAlpha(Color c, int alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), Math.max(0, Math.min(255, alpha)));
    }
}
