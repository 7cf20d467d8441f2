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
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.makekit.util.KitException;

/**
 * SynthCXR: a synthetic chest-radiograph domain, generated deterministically from a seed, for the
 * radiology setting MedCutMix was published in (notebook 06's domain, made reusable). Frontal
 * "radiographs" (dark lungs, white mediastinum and heart, rib shadows, lung markings) with six
 * diagnoses drawn where the report says they are (the patient's right is the image's left), and
 * structured reports: indication, technique, comparison, findings sentences (laterality and zone),
 * sometimes a negated finding ("No pneumothorax") or an early suspicion, and an impression that names
 * the diagnosis. Every diagnosis is a node of the domain's ontology, so the diagnostic sentences are
 * identifiable by {@code augment.DiagnosticSentences}; the findings are terms of its concept lexicon,
 * never ontology names.
 *
 * <p>Output, as SynthDerm's: {@code images/*.png}, {@code metadata.csv} (image, caption, label, split,
 * concepts), {@code concepts.csv} (0/1 per finding), and the domain files: {@code ontology.json},
 * {@code concept-terms.json} and {@code classes.json} (class names, findings, zero-shot prompts, the
 * knowledge-text openings).
 */
public final class SynthCxr {
    private SynthCxr() {}

    /** Sizes and seed. */
    public record Config(long seed, int train, int val, int test, int imageSize) {
        public static Config defaults() {
            return new Config(0, 2400, 300, 600, 64);
        }

        public int total() {
            return train + val + test;
        }

        /** The same sizes and seed as a SynthDerm config (the table setups and scripts carry one for both). */
        public static Config of(SynthDerm.Config sizes) {
            return new Config(sizes.seed(), sizes.train(), sizes.val(), sizes.test(), sizes.imageSize());
        }
    }

    public static final String NAME = "SynthCXR";

    public static final List<String> CLASSES = List.of("pneumonia", "lung nodule", "pleural effusion", "pneumothorax",
            "cardiomegaly", "no acute findings");

    /** The findings (concepts): lexicon keys, with the terms a report may use. */
    public static final List<String> FINDINGS = List.of("consolidation", "rounded density", "blunted costophrenic angle",
            "absent lung markings", "enlarged cardiac silhouette", "clear lungs", "low lung volumes", "support device");

    /** The domain's ontology (inner nodes are named so that no report wording matches them). */
    public static final String ONTOLOGY = """
            {"thoracic disease": {
               "lung parenchymal disease": {
                 "pneumonia, lobar pneumonia, bronchopneumonia": {},
                 "lung nodule, pulmonary nodule": {}},
               "pleural space disease": {
                 "pleural effusion, hydrothorax": {},
                 "pneumothorax": {}},
               "cardiac disease": {"cardiomegaly, enlarged heart": {}}},
             "normal study": {"no acute findings, normal chest radiograph": {}}}
            """;

    public static final String CONCEPT_TERMS = """
            {"consolidation": ["consolidation", "airspace opacity", "patchy opacity", "air bronchograms"],
             "rounded density": ["rounded density", "round density", "well-circumscribed density"],
             "blunted costophrenic angle": ["blunted costophrenic angle", "meniscus", "layering fluid"],
             "absent lung markings": ["absent lung markings", "visceral pleural line", "hyperlucent"],
             "enlarged cardiac silhouette": ["enlarged cardiac silhouette", "widened cardiac silhouette", "increased cardiothoracic ratio"],
             "clear lungs": ["clear lungs", "lungs are clear"],
             "low lung volumes": ["low lung volumes"],
             "support device": ["support device", "catheter"]}
            """;

    public static final List<String> PROMPTS = List.of("a chest radiograph showing {}.", "chest x-ray with {}.",
            "frontal chest film: {}.", "a radiograph of the chest demonstrating {}.");

    public static final String DISEASE_PREFIX = "This chest radiograph is read as ";
    public static final String CONCEPT_PREFIX = "This chest radiograph shows ";

    /** One generated sample. */
    public record Sample(String image, String caption, String label, String split, List<String> concepts) {}

    /** Where a finding sits: the patient's side and the zone. */
    record Site(boolean right, String zone) {
        String side() {
            return right ? "right" : "left";
        }
    }

    /** Generates the dataset into {@code dir}; returns the samples in order. */
    public static List<Sample> generate(Path dir, Config cfg) {
        if (cfg.total() <= 0 || cfg.imageSize() < 16) throw new KitException("SynthCXR: sizes must be positive and images >= 16 px");
        try {
            Files.createDirectories(dir.resolve("images"));
        } catch (IOException e) {
            throw new KitException("cannot create " + dir, e);
        }
        Sample[] out = new Sample[cfg.total()];
        IntStream.range(0, cfg.total()).parallel().forEach(i -> {
            SplittableRandom rng = new SplittableRandom(cfg.seed() * 1_000_003L + 7919L * i + 17);
            String dx = CLASSES.get(i % CLASSES.size());
            Site site = new Site(rng.nextBoolean(), switch (dx) {
                case "pneumonia" -> pick(new String[] {"lower", "mid", "upper"}, rng);
                case "lung nodule" -> pick(new String[] {"upper", "mid"}, rng);
                case "pleural effusion" -> "lower";
                case "pneumothorax" -> "upper";
                default -> "mid";
            });
            List<String> concepts = new ArrayList<>(switch (dx) {
                case "pneumonia" -> List.of("consolidation");
                case "lung nodule" -> List.of("rounded density");
                case "pleural effusion" -> List.of("blunted costophrenic angle");
                case "pneumothorax" -> List.of("absent lung markings");
                case "cardiomegaly" -> List.of("enlarged cardiac silhouette");
                default -> List.of("clear lungs");
            });
            if (rng.nextDouble() < 0.2) concepts.add("low lung volumes");
            if (rng.nextDouble() < 0.15) concepts.add("support device");
            String split = i < cfg.train() ? "train" : i < cfg.train() + cfg.val() ? "val" : "test";
            String name = String.format(Locale.ROOT, "images/cxr_%06d.png", i);
            BufferedImage img = paint(dx, site, concepts, cfg.imageSize(), rng.split());
            try {
                ImageIO.write(img, "png", dir.resolve(name).toFile());
            } catch (IOException e) {
                throw new KitException("cannot write " + dir.resolve(name), e);
            }
            out[i] = new Sample(name, report(dx, site, concepts, rng.split()), dx, split, concepts);
        });
        List<Sample> samples = List.of(out);
        write(dir, samples);
        return samples;
    }

    // ---------------------------------------------------------------- reports

    static final String[] INDICATION = {"cough and fever", "shortness of breath", "pleuritic chest pain", "follow-up",
        "preoperative assessment", "fall with chest wall pain", "hypoxia", "weight loss"};
    static final String[] TECHNIQUE = {"Technique: single frontal view of the chest", "Technique: portable frontal radiograph",
        "Technique: posteroanterior view"};
    static final String[] COMPARISON = {"Comparison: none available", "Comparison is made with a prior film from last year",
        "No prior studies for comparison"};

    static String finding(String concept, Site s, SplittableRandom rng) {
        String z = s.side() + " " + s.zone() + " zone";
        return switch (concept) {
            case "consolidation" -> pick(new String[] {"There is a patchy opacity in the " + z,
                "Airspace opacity with air bronchograms is noted in the " + z, "Focal consolidation is present in the " + z}, rng);
            case "rounded density" -> pick(new String[] {"A rounded density projects over the " + z,
                "There is a well-circumscribed density in the " + z}, rng);
            case "blunted costophrenic angle" -> pick(new String[] {"There is a blunted costophrenic angle on the " + s.side()
                + " with a meniscus", "Layering fluid is seen at the " + s.side() + " base"}, rng);
            case "absent lung markings" -> pick(new String[] {"A visceral pleural line is seen at the " + s.side()
                + " apex with absent lung markings beyond it", "The " + s.side() + " apex is hyperlucent with absent lung markings"}, rng);
            case "enlarged cardiac silhouette" -> pick(new String[] {"There is an enlarged cardiac silhouette",
                "A widened cardiac silhouette is noted", "The increased cardiothoracic ratio is noted"}, rng);
            case "clear lungs" -> pick(new String[] {"The lungs are clear", "Clear lungs bilaterally"}, rng);
            case "low lung volumes" -> "Low lung volumes are noted";
            case "support device" -> pick(new String[] {"A support device projects over the mediastinum",
                "A central venous catheter is in place"}, rng);
            default -> throw new IllegalStateException(concept);
        };
    }

    static String impression(String dx, Site s, SplittableRandom rng) {
        return switch (dx) {
            case "pneumonia" -> pick(new String[] {"Impression: " + s.side() + " " + s.zone() + " zone pneumonia",
                "Impression: findings consistent with pneumonia", "Impression: " + s.side() + " sided bronchopneumonia"}, rng);
            case "lung nodule" -> pick(new String[] {"Impression: " + s.side() + " pulmonary nodule, CT is recommended",
                "Impression: solitary lung nodule in the " + s.side() + " " + s.zone() + " zone"}, rng);
            case "pleural effusion" -> pick(new String[] {"Impression: " + s.side() + " pleural effusion",
                "Impression: small " + s.side() + " pleural effusion"}, rng);
            case "pneumothorax" -> pick(new String[] {"Impression: " + s.side() + " pneumothorax",
                "Impression: small " + s.side() + " apical pneumothorax"}, rng);
            case "cardiomegaly" -> pick(new String[] {"Impression: cardiomegaly", "Impression: enlarged heart without edema"}, rng);
            default -> pick(new String[] {"Impression: no acute findings", "Impression: normal chest radiograph"}, rng);
        };
    }

    static final String[] SUSPICION = {"The clinical question is %s", "Findings are suspicious for %s"};
    static final String[] NEGATIVES = {"No pneumothorax", "No pleural effusion", "There is no focal pneumonia"};

    static String report(String dx, Site site, List<String> concepts, SplittableRandom rng) {
        List<String> s = new ArrayList<>();
        s.add("Indication: " + pick(INDICATION, rng));
        s.add(pick(TECHNIQUE, rng));
        s.add(pick(COMPARISON, rng));
        if (!dx.equals("no acute findings") && rng.nextDouble() < 0.2) s.add(String.format(pick(SUSPICION, rng), dx));
        for (String c : concepts) s.add(finding(c, site, rng));
        if (rng.nextDouble() < 0.35) {
            String neg = pick(NEGATIVES, rng);
            boolean contradicts = neg.contains("pneumothorax") && dx.equals("pneumothorax") || neg.contains("effusion")
                    && dx.equals("pleural effusion") || neg.contains("pneumonia") && dx.equals("pneumonia");
            if (!contradicts) s.add(neg);
        }
        s.add("The osseous structures are unremarkable");
        s.add(impression(dx, site, rng));
        return String.join(". ", s) + ".";
    }

    static String pick(String[] a, SplittableRandom rng) {
        return a[rng.nextInt(a.length)];
    }

    // ---------------------------------------------------------------- images

    static BufferedImage paint(String dx, Site site, List<String> c, int size, SplittableRandom rng) {
        BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.scale(size / 64.0, size / 64.0);
        int tissue = 120 + rng.nextInt(30);
        g.setColor(grey(tissue));
        g.fillRect(0, 0, 64, 64);
        double dy = rng.nextDouble() * 3 - 1.5;
        double lungH = c.contains("low lung volumes") ? 34 : 42;
        // lungs: the patient's right lung is on the image's left
        double[][] lungs = {{9, 8 + dy, 20, lungH}, {35, 8 + dy, 20, lungH}};
        int air = 35 + rng.nextInt(20);
        for (double[] l : lungs) {
            g.setColor(grey(air));
            g.fill(new Ellipse2D.Double(l[0], l[1], l[2], l[3]));
        }
        // lung markings (vessels) fanning out from each hilum
        g.setStroke(new BasicStroke(0.7f));
        for (int side = 0; side < 2; side++) {
            double hx = side == 0 ? 26 : 38;
            for (int k = 0; k < 6; k++) {
                double a = Math.PI * (0.55 + 0.9 * rng.nextDouble()) * (side == 0 ? 1 : -1) + (side == 0 ? 0 : Math.PI);
                double len = 8 + rng.nextDouble() * 9;
                g.setColor(grey(air + 30));
                g.drawLine((int) hx, (int) (30 + dy), (int) (hx + Math.cos(a) * len), (int) (30 + dy + Math.sin(a) * len));
            }
        }
        // ribs
        g.setColor(grey(air + 22));
        g.setStroke(new BasicStroke(1.1f));
        for (int k = 0; k < 5; k++) {
            double y = 12 + k * 8 + dy;
            g.draw(new java.awt.geom.Arc2D.Double(8, y, 24, 10, 20, 140, java.awt.geom.Arc2D.OPEN));
            g.draw(new java.awt.geom.Arc2D.Double(32, y, 24, 10, 20, 140, java.awt.geom.Arc2D.OPEN));
        }
        // mediastinum and heart
        g.setColor(grey(205));
        g.fillRect(28, 4, 8, 30);
        double heartW = c.contains("enlarged cardiac silhouette") ? 30 + rng.nextDouble() * 4 : 18 + rng.nextDouble() * 4;
        g.fill(new Ellipse2D.Double(33 - heartW / 2, 30 + dy, heartW, 20));
        double[] l = lungs[site.right() ? 0 : 1];
        double zy = switch (site.zone()) {
            case "upper" -> l[1] + l[3] * 0.22;
            case "mid" -> l[1] + l[3] * 0.5;
            default -> l[1] + l[3] * 0.74;
        };
        double zx = l[0] + l[2] * (0.35 + 0.3 * rng.nextDouble());
        if (c.contains("consolidation")) {
            for (int k = 0; k < 4; k++) {
                g.setColor(new Color(tissue + 40, tissue + 40, tissue + 40, 120));
                double r = 4 + rng.nextDouble() * 3;
                g.fill(new Ellipse2D.Double(zx - r + rng.nextDouble() * 4 - 2, zy - r + rng.nextDouble() * 4 - 2, 2 * r, 1.6 * r));
            }
        }
        if (c.contains("rounded density")) {
            double r = 2 + rng.nextDouble() * 1.5;
            g.setColor(grey(190));
            g.fill(new Ellipse2D.Double(zx - r, zy - r, 2 * r, 2 * r));
        }
        if (c.contains("blunted costophrenic angle")) {
            double top = l[1] + l[3] * (0.68 + 0.1 * rng.nextDouble());
            Path2D p = new Path2D.Double();
            p.moveTo(l[0] - 1, l[1] + l[3] + 1);
            p.lineTo(l[0] - 1, top - 4);                                   // the meniscus rises laterally
            p.quadTo(l[0] + l[2] / 2, top + 3, l[0] + l[2] + 1, top);
            p.lineTo(l[0] + l[2] + 1, l[1] + l[3] + 1);
            p.closePath();
            g.setColor(grey(tissue + 45));
            g.setClip(new Ellipse2D.Double(l[0], l[1], l[2], l[3])); // fluid stays inside the hemithorax
            g.fill(p);
            g.setClip(null);
        }
        if (c.contains("absent lung markings")) {
            boolean lateralLeft = site.right(); // lateral edge of the image-left lung is its left side
            double w = 6 + rng.nextDouble() * 3;
            double x = lateralLeft ? l[0] : l[0] + l[2] - w;
            g.setColor(grey(8));
            g.setClip(new Ellipse2D.Double(l[0], l[1], l[2], l[3]));
            g.fill(new Ellipse2D.Double(x, l[1], w, l[3] * 0.55));
            g.setClip(null);
            g.setColor(grey(200));
            g.setStroke(new BasicStroke(0.8f));
            double lx = lateralLeft ? x + w : x;
            g.drawLine((int) lx, (int) (l[1] + 2), (int) lx, (int) (l[1] + l[3] * 0.5));
        }
        if (c.contains("support device")) {
            g.setColor(grey(250));
            g.setStroke(new BasicStroke(0.9f));
            g.drawLine(20, 0, 30, 22);
        }
        g.dispose();
        noise(img, rng);
        return img;
    }

    static Color grey(int v) {
        int x = Math.max(0, Math.min(255, v));
        return new Color(x, x, x);
    }

    static void noise(BufferedImage img, SplittableRandom rng) {
        int w = img.getWidth();
        int h = img.getHeight();
        int[] px = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < px.length; i++) {
            int v = SynthDerm.clamp((px[i] & 0xff) + (int) Math.round(rng.nextGaussian() * 6));
            px[i] = (v << 16) | (v << 8) | v;
        }
        img.setRGB(0, 0, w, h, px, 0, w);
    }

    // ---------------------------------------------------------------- files

    static void write(Path dir, List<Sample> samples) {
        GeneratedFiles.write(dir, samples.stream().map(s -> new String[] {s.image(), s.caption(), s.label(), s.split()}).toList(),
                samples.stream().map(Sample::concepts).toList(), FINDINGS);
        JsonObject cls = new JsonObject();
        cls.addProperty("name", NAME);
        cls.addProperty("description", "Synthetic chest radiographs generated by MAKE-kit (org.makekit.data.SynthCxr)");
        cls.add("classnames", array(CLASSES));
        cls.add("concepts", array(FINDINGS));
        cls.add("prompts", array(PROMPTS));
        cls.addProperty("disease_prefix", DISEASE_PREFIX);
        cls.addProperty("concept_prefix", CONCEPT_PREFIX);
        try {
            Files.writeString(dir.resolve("classes.json"), new GsonBuilder().setPrettyPrinting().create().toJson(cls));
            Files.writeString(dir.resolve("ontology.json"), ONTOLOGY);
            Files.writeString(dir.resolve("concept-terms.json"), CONCEPT_TERMS);
        } catch (IOException e) {
            throw new KitException("cannot write the domain files in " + dir, e);
        }
    }

    static JsonArray array(List<String> l) {
        JsonArray a = new JsonArray();
        l.forEach(a::add);
        return a;
    }
}
