package org.makekit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.KitException;
import org.makekit.util.SharedPaths;

/**
 * The evaluation-set readers: on the real release metadata in ../shared/data/eval-metadata (read
 * whole; empty stand-in image files are made in a temp folder so that rows count as present), and
 * on rows written in the documented format for the sets that may not be redistributed.
 */
class EvalSetsTest {
    static final Path META = SharedPaths.shared().resolve("data/eval-metadata");

    static Map<String, Long> perClass(EvalSets.EvalSet s) {
        return s.rows().stream().collect(Collectors.groupingBy(TrainingRow::label, TreeMap::new, Collectors.counting()));
    }

    static void touch(Path f) throws IOException {
        Files.createDirectories(f.getParent());
        Files.write(f, new byte[0]);
    }

    @Test
    void padUfes20RealMetadataWholeWithImagesInTheReleasePartFolders(@TempDir Path dir) throws IOException {
        Files.copy(META.resolve("PAD-UFES-20/metadata.csv"), dir.resolve("metadata.csv"));
        int i = 0;
        for (String line : Files.readAllLines(dir.resolve("metadata.csv")).subList(1, 2299)) {
            String img = line.split(",")[24];
            if (i++ == 7) continue; // one image missing
            touch(dir.resolve("imgs_part_" + (1 + i % 3)).resolve(img));
        }
        EvalSets.EvalSet s = EvalSets.read("pad-ufes-20", dir, "all");
        assertEquals(List.of("nevus", "basal cell carcinoma", "actinic keratosis", "seborrheic keratosis",
                "squamous cell carcinoma", "melanoma"), s.classes(), "the class list comes from the dataset");
        assertEquals(2298, s.listed());
        assertEquals(1, s.missing());
        assertEquals(2297, s.rows().size());
        Map<String, Long> n = perClass(s);
        // SOURCES.md: BCC 845, ACK 730, NEV 244, SEK 235, SCC 192, MEL 52 (one of them has no image here)
        assertEquals(2297, n.values().stream().mapToLong(Long::longValue).sum());
        assertEquals(6, n.size());
        assertEquals(52, n.get("melanoma"));
        assertTrue(n.get("basal cell carcinoma") >= 844 && n.get("actinic keratosis") >= 729, n.toString());
        assertTrue(s.rows().get(0).filename().startsWith("imgs_part_"), s.rows().get(0).filename());

        // O-MAKE's split list beside it gives --split test its rows (461)
        Files.copy(META.resolve("omake-splits/PAD-LP.csv"), dir.resolve("PAD-LP.csv"));
        EvalSets.EvalSet test = EvalSets.read("pad-ufes-20", dir, "test");
        assertEquals(461, test.listed());
    }

    @Test
    void fitzpatrick17kRealMetadataAll114NamesMatchedAndMissingImagesCounted(@TempDir Path dir) throws IOException {
        Files.copy(META.resolve("Fitzpatrick17k/fitzpatrick17k.csv"), dir.resolve("fitzpatrick17k.csv"));
        List<String> lines = Files.readAllLines(dir.resolve("fitzpatrick17k.csv"));
        for (int i = 1; i < lines.size(); i++) {
            if (i % 1000 == 0) continue; // 16 images missing
            touch(dir.resolve("images").resolve(lines.get(i).split(",")[0] + ".jpg"));
        }
        EvalSets.EvalSet s = EvalSets.read("fitzpatrick17k", dir, null);
        assertEquals(16577, s.listed());
        assertEquals(16, s.missing());
        assertEquals(114, s.classes().size());
        assertEquals(114, perClass(s).size(), "every one of the 114 names has rows");
        assertTrue(s.notes().get(0).startsWith("classes matched by name") && !s.notes().get(0).contains("left out"), s.notes().toString());
        assertTrue(s.summary().contains("16 missing"), s.summary());
    }

    @Test
    void sd128AndSnu134FromOmakesSplitListsWithLabelIdsAsListIndices(@TempDir Path tmp) throws IOException {
        for (String[] d : new String[][] {{"sd-128", "SD-128-LP.csv", "5619", "1405"}, {"snu-134", "SNU-LP.csv", "2101", "421"}}) {
            Path dir = tmp.resolve(d[0]);
            Files.createDirectories(dir);
            Files.copy(META.resolve("omake-splits").resolve(d[1]), dir.resolve(d[1]));
            for (String line : Files.readAllLines(dir.resolve(d[1])).subList(1, Integer.parseInt(d[2]) + 1)) {
                String p = line.split(",")[0];
                touch(dir.resolve("images").resolve(p.substring(p.lastIndexOf('/') + 1)));
            }
            EvalSets.EvalSet all = EvalSets.read(d[0], dir, "all");
            assertEquals(Integer.parseInt(d[2]), all.rows().size(), d[0]);
            assertEquals(0, all.missing());
            EvalSets.EvalSet test = EvalSets.read(d[0], dir, "test");
            assertEquals(Integer.parseInt(d[3]), test.rows().size(), d[0] + " test split");
            // the list's diag column agrees with the class the label id names
            List<String> lines = Files.readAllLines(dir.resolve(d[1]));
            for (int i = 1; i < 50; i++) {
                String[] f = lines.get(i).split(",");
                assertEquals(all.classes().get(Integer.parseInt(f[3])), f[1].replace("\"", ""), d[0] + " line " + i);
            }
        }
    }

    @Test
    void aFolderPerClassLayoutAndTheOfficialBundle(@TempDir Path tmp) throws IOException {
        Path sd = tmp.resolve("sd");
        touch(sd.resolve("images/Basal_Cell_Carcinoma/a.jpg"));
        touch(sd.resolve("images/Basal_Cell_Carcinoma/b.jpg"));
        touch(sd.resolve("images/Nail_Psoriasis/c.jpg"));
        touch(sd.resolve("images/Not_A_Class/d.jpg"));
        EvalSets.EvalSet s = EvalSets.read("sd-128", sd, "all");
        assertEquals(Map.of("basal cell carcinoma", 2L, "nail psoriasis", 1L), perClass(s));
        assertTrue(s.notes().get(0).contains("Not_A_Class"), s.notes().toString());

        Path pad = tmp.resolve("pad");
        Files.createDirectories(pad);
        Files.writeString(pad.resolve("MAKE_PAD.csv"), "filename,label\nimages/PAT_1.png,5\nimages/PAT_2.png,0\nimages/PAT_3.png,1\n");
        touch(pad.resolve("images/PAT_1.png"));
        touch(pad.resolve("images/PAT_2.png"));
        EvalSets.EvalSet b = EvalSets.read("pad-ufes-20", pad, "all");
        assertEquals(List.of("melanoma", "nevus"), b.rows().stream().map(TrainingRow::label).toList());
        assertEquals(1, b.missing());
        Files.writeString(pad.resolve("MAKE_PAD.csv"), "filename,label\nimages/PAT_1.png,6\n");
        KitException e = assertThrows(KitException.class, () -> EvalSets.read("pad-ufes-20", pad, "all"));
        assertTrue(e.getMessage().contains("MAKE_PAD.csv, row 2, field 'label'") && e.getMessage().contains("6-class"), e.getMessage());
    }

    @Test
    void skinConDropsFlaggedRowsAndKeepsConceptsWithThirtyPositives(@TempDir Path dir) throws IOException {
        // header as released: an unnamed index, ImageID, concept columns, the flag
        StringBuilder f17k = new StringBuilder(",ImageID,Papule,Plaque,Brown(Hyperpigmentation),Do not consider this image\n");
        StringBuilder ddi = new StringBuilder(",ImageID,Papule,Plaque,Brown(Hyperpigmentation),Do not consider this image\n");
        for (int i = 0; i < 40; i++) {
            // Papule: 20 + 15 = 35 positives (kept); Plaque: 29 (left out); Brown: 30 (kept); row 0 flagged in each file
            int flag = i == 0 ? 1 : 0;
            f17k.append(i).append(",md5_").append(i).append(".jpg,").append(i < 21 ? 1 : 0).append(',').append(i >= 1 && i < 20 ? 1 : 0)
                    .append(',').append(i >= 1 && i < 16 ? 1 : 0).append(',').append(flag).append('\n');
            ddi.append(i).append(',').append(String.format("%06d.png", i + 1)).append(',').append(i < 16 ? 1 : 0).append(',')
                    .append(i >= 1 && i < 11 ? 1 : 0).append(',').append(i >= 1 && i < 16 ? 1 : 0).append(',').append(flag).append('\n');
            touch(dir.resolve("fitzpatrick17k/md5_" + i + ".jpg"));
            if (i != 5) touch(dir.resolve("ddi/" + String.format("%06d.png", i + 1)));
        }
        Files.writeString(dir.resolve("annotations_fitzpatrick17k.csv"), f17k);
        Files.writeString(dir.resolve("annotations_ddi.csv"), ddi);
        EvalSets.EvalSet s = EvalSets.read("skincon", dir, "all");
        assertEquals(78, s.listed(), "80 rows less the 2 flagged");
        assertEquals(1, s.missing());
        assertEquals(77, s.rows().size());
        Map<String, Boolean> first = s.concepts().values().iterator().next();
        assertEquals(java.util.Set.of("papule", "brown(hyperpigmentation)"), first.keySet(), "Plaque has 29 positives");
        assertTrue(s.notes().get(0).startsWith("2 rows flagged"), s.notes().toString());
        assertEquals(true, s.concepts().get("fitzpatrick17k/md5_1.jpg").get("papule"));
        assertEquals(false, s.concepts().get("fitzpatrick17k/md5_30.jpg").get("brown(hyperpigmentation)"));
    }

    @Test
    void derm7ptResolvesPathsWhoseCaseDiffersAndReadsAbsentAsNotPresent(@TempDir Path dir) throws IOException {
        String header = "case_num,diagnosis,seven_point_score,pigment_network,streaks,pigmentation,regression_structures,"
                + "dots_and_globules,blue_whitish_veil,vascular_structures,level_of_diagnostic_difficulty,elevation,location,"
                + "sex,clinic,derm,case_id,notes,management\n";
        String rows = "1,basal cell carcinoma,4,absent,absent,absent,absent,absent,absent,arborizing,low,palpable,abdomen,female,"
                + "NEL/Nel025.jpg,NEL/Nel026.jpg,,,excision\n"
                + "2,melanoma,5,atypical,irregular,diffuse irregular,blue areas,irregular,present,absent,medium,flat,back,male,"
                + "Fgl/Fgl001.JPG,Fgl/Fgl002.JPG,,,excision\n"
                + "3,clark nevus,1,typical,absent,absent,absent,regular,absent,absent,low,flat,arm,male,"
                + "Aal/Aal003.jpg,Aal/Aal004.jpg,,,clinical follow up\n";
        Files.createDirectories(dir.resolve("meta"));
        Files.writeString(dir.resolve("meta/meta.csv"), header + rows);
        Files.writeString(dir.resolve("meta/train_indexes.csv"), "indexes\n0\n2\n");
        Files.writeString(dir.resolve("meta/test_indexes.csv"), "indexes\n1\n");
        touch(dir.resolve("images/nel/NEL026.jpg")); // the release says NEL/Nel026.jpg
        touch(dir.resolve("images/FGL/fgl002.jpg"));  // ... and Fgl/Fgl002.JPG
        EvalSets.EvalSet all = EvalSets.read("derm7pt", dir, "all");
        assertEquals(3, all.listed());
        assertEquals(1, all.missing(), "Aal/Aal004.jpg is not on disk");
        assertEquals(List.of("images/nel/NEL026.jpg", "images/FGL/fgl002.jpg"), all.rows().stream().map(TrainingRow::filename).toList());
        Map<String, Boolean> bcc = all.concepts().get("images/nel/NEL026.jpg");
        assertEquals(7, bcc.size());
        assertEquals(true, bcc.get("vascular structures"));
        assertEquals(false, bcc.get("pigment network"));
        Map<String, Boolean> mel = all.concepts().get("images/FGL/fgl002.jpg");
        assertEquals(6, mel.values().stream().filter(b -> b).count(), "every criterion but vascular structures");
        EvalSets.EvalSet test = EvalSets.read("derm7pt", dir, "test");
        assertEquals(1, test.rows().size());
        assertEquals("test", test.rows().get(0).split());
        Files.writeString(dir.resolve("meta/test_indexes.csv"), "indexes\n3\n");
        KitException e = assertThrows(KitException.class, () -> EvalSets.read("derm7pt", dir, "test"));
        assertTrue(e.getMessage().contains("test_indexes.csv, row 2, field 'indexes': 3 is not a row"), e.getMessage());
    }

    @Test
    void skinCapGivesOneCaptionPerImageForRetrieval(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("skincap_v240623.csv"), "id,skincap_file_path,ori_file_path,caption_zh,caption_zh_polish,"
                + "caption_zh_polish_en,disease\n"
                + "1,1.png,a.png,中文,中文,\"Red scaly plaques, well defined.\",psoriasis\n"
                + "2,2.png,b.png,中文,中文,A brown macule.,lentigo\n"
                + "3,3.png,c.png,中文,中文,,acne\n");
        touch(dir.resolve("skincap/1.png"));
        EvalSets.EvalSet s = EvalSets.read("skincap", dir, null);
        assertEquals(2, s.listed());
        assertEquals(1, s.missing());
        assertEquals("Red scaly plaques, well defined.", s.rows().get(0).caption());
        assertEquals("", s.rows().get(0).label(), "retrieval only: no zero-shot over free-text disease names");
        assertEquals("psoriasis", s.rows().get(0).diagnosis());
        assertTrue(s.notes().get(0).contains("1 rows without a caption"), s.notes().toString());
    }

    @Test
    void badInputsNameTheFileRowAndField(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("metadata.csv"), "img_id,diagnostic\nPAT_1.png,NEV\nPAT_2.png,XYZ\n");
        KitException e = assertThrows(KitException.class, () -> EvalSets.read("pad-ufes-20", dir, "all"));
        assertTrue(e.getMessage().contains("metadata.csv, row 3, field 'diagnostic': unknown code 'XYZ'"), e.getMessage());
        Files.writeString(dir.resolve("metadata.csv"), "img,diagnostic\n");
        e = assertThrows(KitException.class, () -> EvalSets.read("pad-ufes-20", dir, "all"));
        assertTrue(e.getMessage().contains("no column 'img_id'"), e.getMessage());
        e = assertThrows(KitException.class, () -> EvalSets.read("fitzpatrick17k", dir.resolve("nope"), "all"));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        Files.writeString(dir.resolve("metadata.csv"), "img_id,diagnostic\nPAT_1.png,NEV\n");
        e = assertThrows(KitException.class, () -> EvalSets.read("pad-ufes-20", dir, "test"));
        assertTrue(e.getMessage().contains("no split list"), e.getMessage());
    }
}
