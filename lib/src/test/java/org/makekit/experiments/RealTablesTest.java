package org.makekit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.util.SharedPaths;
import tech.tablesaw.api.Table;

/** Table 1 and 2 on a data root holding a few sets in their release layouts, scored with the golden tiny CLIP. */
class RealTablesTest {
    static final String CONFIG = """
            {"name": "golden-tiny", "embed_dim": 32, "quick_gelu": true, "tokenizer": "clip-bpe",
             "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 64, "layers": 2, "heads": 2},
             "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "layers": 2, "heads": 2}}""";

    static void image(Path f, Random rng) throws IOException {
        Files.createDirectories(f.getParent());
        BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 40; y++) for (int x = 0; x < 40; x++) img.setRGB(x, y, rng.nextInt(0xffffff));
        ImageIO.write(img, f.toString().endsWith(".png") ? "png" : "jpg", f.toFile());
    }

    @Test
    void table1ScoresThePresentSetsAndListsTheMissingOnesWithAccessSteps(@TempDir Path root) throws IOException {
        Random rng = new Random(3);
        Path pad = root.resolve("pad-ufes-20");
        StringBuilder meta = new StringBuilder("patient_id,img_id,diagnostic\n");
        String[] codes = {"NEV", "BCC", "ACK", "SEK", "SCC", "MEL"};
        for (int i = 0; i < 12; i++) {
            meta.append("PAT_").append(i).append(",PAT_").append(i).append("_1_1.png,").append(codes[i % 6]).append('\n');
            image(pad.resolve("imgs_part_1/PAT_" + i + "_1_1.png"), rng);
        }
        Files.writeString(pad.resolve("metadata.csv"), meta);
        Path d7 = root.resolve("derm7pt");
        StringBuilder m7 = new StringBuilder("case_num,diagnosis,seven_point_score,pigment_network,streaks,pigmentation,"
                + "regression_structures,dots_and_globules,blue_whitish_veil,vascular_structures,level_of_diagnostic_difficulty,"
                + "elevation,location,sex,clinic,derm,case_id,notes,management\n");
        for (int i = 0; i < 8; i++) {
            String a = i % 2 == 0 ? "absent" : "present";
            String b = i % 4 < 2 ? "absent" : "typical";
            m7.append(i).append(",melanoma,3,").append(b).append(',').append(a).append(',').append(a).append(',').append(b)
                    .append(',').append(a).append(',').append(b).append(',').append(a).append(",low,flat,back,male,C/c")
                    .append(i).append(".jpg,D/d").append(i).append(".jpg,,,none\n");
            image(d7.resolve("images/D/d" + i + ".jpg"), rng);
        }
        Files.createDirectories(d7.resolve("meta"));
        Files.writeString(d7.resolve("meta/meta.csv"), m7);
        // Fitzpatrick17k: the real metadata, no images (as after a failed download)
        Files.createDirectories(root.resolve("fitzpatrick17k"));
        Files.copy(SharedPaths.shared().resolve("data/eval-metadata/Fitzpatrick17k/fitzpatrick17k.csv"),
                root.resolve("fitzpatrick17k/fitzpatrick17k.csv"));
        Path cfg = root.resolve("golden-tiny.json");
        Files.writeString(cfg, CONFIG);
        RealTables.Model model = new RealTables.Model("golden", "none", cfg.toString(),
                SharedPaths.shared().resolve("golden/openclip-tiny/tiny_clip.safetensors"));
        RealTables.Result r = RealTables.table1(List.of(model), root, 1, ConceptLexicon.builtin());
        Table t = r.table();
        assertEquals(1, t.rowCount());
        double padAcc = t.doubleColumn("PAD").get(0);
        assertTrue(padAcc >= 0 && padAcc <= 1, "PAD scored: " + padAcc);
        assertTrue(t.doubleColumn("F17K").isMissing(0), "no F17K images: not scored");
        double d7auc = t.doubleColumn("Derm7pt").get(0);
        assertTrue(d7auc >= 0 && d7auc <= 1, "Derm7pt scored: " + d7auc);
        assertEquals(padAcc, t.doubleColumn("Avg ACC").get(0), 1e-12, "the average is over the sets present");
        assertEquals(4, r.missing().size(), r.missing().toString());
        String f17k = r.missing().stream().filter(s -> s.startsWith("fitzpatrick17k")).findFirst().orElseThrow();
        assertTrue(f17k.contains("16577 rows listed but no image found") && f17k.contains("get it: https://"), f17k);
        assertTrue(r.missing().stream().anyMatch(s -> s.startsWith("sd-128: not in")), r.missing().toString());

        RealTables.Result r2 = RealTables.table2(List.of(model), root, ConceptLexicon.builtin());
        assertEquals(0, r2.table().rowCount());
        assertTrue(r2.missing().get(0).startsWith("skincap: not in"), r2.missing().toString());
    }
}
