package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** table1-3 and evaluate, run through JBang on a tiny SynthDerm; the tables are checked for shape and range. */
class TableScriptsTest {
    static final String[] TINY = {"--steps", "3", "--batch-size", "8", "--synth-train", "40", "--synth-val", "8",
        "--synth-test", "30", "--min-positives", "3", "--start-steps", "2", "--start-images", "16",
        "--bootstrap", "200"};

    static String[] args(Path out, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of(TINY));
        a.add("--out");
        a.add(out.toString());
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    static void checkCsv(Path csv, int rows, int minCols) throws Exception {
        List<String> lines = Files.readAllLines(csv);
        assertEquals(rows + 1, lines.size(), csv + ":\n" + String.join("\n", lines));
        String[] header = lines.get(0).split(",");
        assertTrue(header.length >= minCols, lines.get(0));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            for (int i = 0; i < header.length; i++) {
                String h = header[i];
                if (f[i].isEmpty()) continue; // a cell not scored (a set not present), or the baseline's own difference
                if (h.endsWith(" diff")) {
                    double lo = Double.parseDouble(f[i + 1]);
                    double hi = Double.parseDouble(f[i + 2]);
                    double d = Double.parseDouble(f[i]);
                    assertTrue(lo <= d + 1e-4 && d <= hi + 1e-4 && d >= -1 && d <= 1, h + ": " + d + " [" + lo + ", " + hi + "] in " + line);
                    i += 2;
                    continue;
                }
                if (h.contains("ACC") || h.contains("AUROC") || h.contains("R@") || h.contains("Average")) {
                    double v = Double.parseDouble(f[i]);
                    assertTrue(v >= 0 && v <= 1, h + " = " + v + " in " + line);
                }
            }
        }
    }

    @Test
    void tablesAndEvaluateRunTinyAndWriteTheirFiles(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("tables");
        java.util.Map<String, String> cache = java.util.Map.of("MAKEKIT_CACHE", tmp.resolve("cache").toString());
        Run t3 = Run.script(cache, "table3", 900, args(out, "--seeds", "2"));
        assertEquals(0, t3.exit, t3.out);
        assertTrue(t3.out.contains("Table 3 (miniature)") && t3.out.contains("mkcl+slra") && t3.out.contains("omake"), t3.out);
        assertTrue(t3.out.contains("building the shared start for tiny") && t3.out.contains(" ± ")
                && t3.out.contains("vs baseline [95% CI]"), "a shared start, then cells with spread and intervals:\n" + t3.out);
        checkCsv(out.resolve("table3.csv"), 6, 6);
        String header = Files.readAllLines(out.resolve("table3.csv")).get(0);
        assertTrue(header.contains("SynthDerm ACC sd") && header.contains("SynthDerm ACC diff lo") && header.contains("seeds"), header);
        var slra = org.makekit.train.MetricsLog.read(out.resolve("mkcl+slra/seed-1/metrics.csv"));
        assertTrue(slra.containsKey("slra_gates_open") && slra.containsKey("slra_pooled_norm"), "SLRA diagnostics per step: " + slra.keySet());
        assertTrue(Files.size(out.resolve("table3.png")) > 1000);
        assertTrue(Files.readString(out.resolve("table3.md")).startsWith("# Table 3"));

        Run t1 = Run.script(cache, "table1", 900, args(out, "--seeds", "1")); // reuses seed 0 of table3's rows
        assertEquals(0, t1.exit, t1.out);
        assertTrue(t1.out.contains("reusing"), "table1 reuses table3's CLIP and MAKE models:\n" + t1.out);
        assertTrue(t1.out.contains("building the shared start for coca-tiny") && !t1.out.contains("building the shared start for tiny"),
                "the tiny start is found in the cache; CoCa gets its own:\n" + t1.out);
        checkCsv(out.resolve("table1.csv"), 8, 4);
        assertTrue(t1.out.contains("training coca") && t1.out.contains("Table 1, row CoCa/Derm1M"),
                "the CoCa rows train (coca-tiny) and the paper's CoCa numbers are printed:\n" + t1.out);
        assertTrue(Files.exists(out.resolve("coca/seed-0/model.safetensors")) && Files.exists(out.resolve("coca-augmented/seed-0/model.safetensors")));
        var cocaCfg = org.makekit.util.Json.parse(Files.readString(out.resolve("coca/seed-0/config.json"))).getAsJsonObject();
        assertEquals("coca-tiny", cocaCfg.get("model").getAsString(), "the CoCa counterpart of tiny");
        Run t2 = Run.script(cache, "table2", 900, args(out, "--seeds", "1"));
        assertEquals(0, t2.exit, t2.out);
        checkCsv(out.resolve("table2.csv"), 8, 9);
        assertTrue(t2.out.contains("Table 2, row MAKE"), "paper rows printed with their source:\n" + t2.out);

        // --concept-terms: the built-in lexicon less SynthDerm's first concept; that one must be left out, the rest scored.
        String first = Files.readAllLines(out.resolve("synthderm/concepts.csv")).get(0).split(",")[1];
        java.util.Map<String, List<String>> terms = new java.util.LinkedHashMap<>(org.makekit.knowledge.ConceptLexicon.builtin().terms());
        assertTrue(terms.remove(first) != null, "the built-in lexicon covers SynthDerm's concept " + first);
        Path lexicon = tmp.resolve("lexicon.json");
        Files.writeString(lexicon, new com.google.gson.Gson().toJson(terms));
        Run ev = Run.script("evaluate", 600, "--weights", out.resolve("make/seed-0/model.safetensors").toString(), "--csv",
                out.resolve("synthderm/train-table.csv").toString(), "--concepts", out.resolve("synthderm/concepts.csv").toString(),
                "--concept-terms", lexicon.toString(), "--min-positives", "3", "--out", tmp.resolve("eval").toString());
        assertEquals(0, ev.exit, ev.out);
        String results = Files.readString(tmp.resolve("eval/results.csv"));
        for (String k : new String[] {"zero_shot_top1", "zero_shot_macro_auroc", "concept_mean_auroc", "retrieval_image_to_text_R@10"}) {
            assertTrue(results.contains(k), k + " missing:\n" + results);
        }
        assertTrue(ev.out.contains(first + "=not in the concept lexicon"), "the concept outside --concept-terms is left out:\n" + ev.out);
        assertTrue(!results.contains("concept_auroc[" + first + "]"), results);
        for (String s : new String[] {"table1", "table2", "table3", "evaluate"}) {
            Run h = Run.script(s, 300, "--help");
            assertEquals(0, h.exit, h.out);
        }
    }

    /** A data root with PAD-UFES-20 (a few images) and Fitzpatrick17k (the real metadata, no images), scored with the golden tiny CLIP. */
    @Test
    void table1OnADataRootScoresWhatIsThereAndExplainsWhatIsNot(@TempDir Path tmp) throws Exception {
        Path root = tmp.resolve("data");
        Path pad = root.resolve("pad-ufes-20");
        StringBuilder meta = new StringBuilder("img_id,diagnostic\n");
        String[] codes = {"NEV", "BCC", "ACK", "SEK", "SCC", "MEL"};
        java.util.Random rng = new java.util.Random(5);
        for (int i = 0; i < 12; i++) {
            meta.append("PAT_").append(i).append("_1_1.png,").append(codes[i % 6]).append('\n');
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(40, 40, java.awt.image.BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 40; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, rng.nextInt(0xffffff));
            Files.createDirectories(pad.resolve("imgs_part_2"));
            javax.imageio.ImageIO.write(img, "png", pad.resolve("imgs_part_2/PAT_" + i + "_1_1.png").toFile());
        }
        Files.writeString(pad.resolve("metadata.csv"), meta);
        Files.createDirectories(root.resolve("fitzpatrick17k"));
        Files.copy(org.makekit.util.SharedPaths.shared().resolve("data/eval-metadata/Fitzpatrick17k/fitzpatrick17k.csv"),
                root.resolve("fitzpatrick17k/fitzpatrick17k.csv"));
        Path cfg = EmbedScriptTest.goldenConfig(tmp);
        String weights = org.makekit.util.SharedPaths.shared().resolve("golden/openclip-tiny/tiny_clip.safetensors").toString();
        Run r = Run.script("table1", 600, "--data-root", root.toString(), "--model", cfg.toString(), "--weights",
                "Golden=" + weights, "--out", tmp.resolve("out").toString());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("Table 1 on the paper's evaluation sets present (pad-ufes-20)"), r.out);
        assertTrue(r.out.contains("fitzpatrick17k: 16577 rows listed but no image found") && r.out.contains("get it: https://"), r.out);
        assertTrue(r.out.contains("sd-128: not in") && r.out.contains("Table 1, row MAKE"), r.out);
        checkCsv(tmp.resolve("out/table1-real.csv"), 1, 8);

        Run ev = Run.script("evaluate", 600, "--dataset", "pad-ufes-20", "--local-dir", pad.toString(), "--model", cfg.toString(),
                "--weights", weights, "--out", tmp.resolve("eval").toString());
        assertEquals(0, ev.exit, ev.out);
        assertTrue(ev.out.contains("pad-ufes-20: 12 rows listed, 12 images found, 0 missing, 6 classes")
                && ev.out.contains("classes (6, from the dataset): nevus, basal cell carcinoma"), ev.out);
        Run ds = Run.script(java.util.Map.of("MAKEKIT_DATA_PAD_UFES_20", pad.toString()), "datasets", 300);
        assertEquals(0, ds.exit, ds.out);
        assertTrue(ds.out.contains("present: 12 rows, 12 images found, 0 missing"), ds.out);
    }
}
