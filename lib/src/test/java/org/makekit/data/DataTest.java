package org.makekit.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.knowledge.Augmenter;
import org.makekit.knowledge.OntologyExtractor;
import org.makekit.text.ClipBpeTokenizer;
import org.makekit.util.KitException;
import org.makekit.util.SharedPaths;

class DataTest {
    @Test
    void trainingTableRoundTripsInTheOfficialColumns(@TempDir Path tmp) throws Exception {
        Path in = tmp.resolve("pairs.csv");
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        ImageIO.write(img, "png", tmp.resolve("a.png").toFile());
        Files.writeString(in, "image,caption,label,split\n"
                + "a.png,\"Psoriasis on the elbow, with erythema. Silvery scale! Itchy?\",psoriasis,train\n");
        ImageTextPairs.Result r = ImageTextPairs.read(in, ImageTextPairs.Columns.defaults(), null, null, true);
        Augmenter.Output out = new Augmenter(OntologyExtractor.builtin()).augment(r.pairs(), 0);
        Path table = tmp.resolve("train.csv");
        TrainingTable.write(table, out.rows());
        String header = Files.readAllLines(table).get(0);
        assertTrue(header.startsWith("filename,caption,truncated_caption,ontology_caption,visual_concept_caption,subcaption_1"), header);
        assertTrue(Files.readString(table).contains("\"[1, 1, 1, 0, 0, 0, 0, 0]\""), "masks as Python lists");
        TrainingRow row = TrainingTable.read(table).get(0);
        assertEquals(List.of("Psoriasis on the elbow, with erythema", "Silvery scale", "Itchy"), row.subcaptions().subList(0, 3));
        assertArrayEquals(new boolean[] {true, true, true}, row.knowledgeMask());
        assertEquals("This is a skin photo diagnosed as inflammatory, non-infectious, psoriasis.", row.diseaseCaption());
        assertEquals(11, row.texts(8).size());
        assertEquals(row.caption(), row.texts(8).get(0), "short captions are their own truncated caption");
        assertEquals(1, out.summary().rows());
    }

    @Test
    void trainingTableErrorsNameFileLineAndColumn(@TempDir Path tmp) throws Exception {
        Path t = tmp.resolve("bad.csv");
        Files.writeString(t, String.join(",", TrainingTable.header()) + "\n"
                + "a.png,cap,cap,,,s1,,,,,,,,\"[1, 0, 0, 0, 0, 0, 0, 0]\",\"[1, 0, 0]\",,,,\n"
                + "b.png,cap,cap,,,s1,,,,,,,,\"[1, 2, 0, 0, 0, 0, 0, 0]\",\"[1, 0, 0]\",,,,\n");
        KitException e = assertThrows(KitException.class, () -> TrainingTable.read(t));
        assertTrue(e.getMessage().contains("bad.csv") && e.getMessage().contains("line 3")
                && e.getMessage().contains("sub_caption_mask"), e.getMessage());
        Path noCol = tmp.resolve("nocol.csv");
        Files.writeString(noCol, "filename,caption\na.png,x\n");
        e = assertThrows(KitException.class, () -> TrainingTable.read(noCol));
        assertTrue(e.getMessage().contains("missing column 'ontology_caption'"), e.getMessage());
    }

    @Test
    void badInputRowsAreSkippedWithFileLineAndField(@TempDir Path tmp) throws Exception {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 32; i++) img.setRGB(i, i, 0xff0000);
        ImageIO.write(img, "jpg", tmp.resolve("good.jpg").toFile());
        byte[] jpg = Files.readAllBytes(tmp.resolve("good.jpg"));
        Files.write(tmp.resolve("truncated.jpg"), java.util.Arrays.copyOf(jpg, jpg.length / 2));
        Files.write(tmp.resolve("empty.jpg"), new byte[0]);
        String huge = "scale ".repeat(5000) + "end";
        Path csv = tmp.resolve("in.csv");
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        b.writeBytes(("image,caption,label\n"
                + "good.jpg,Psoriasis with scale.,psoriasis\n"          // line 2 ok
                + "truncated.jpg,Psoriasis.,psoriasis\n"               // line 3 truncated JPEG
                + "empty.jpg,Psoriasis.,psoriasis\n"                   // line 4 0-byte
                + "missing.jpg,Psoriasis.,psoriasis\n"                 // line 5 missing
                + "good.jpg,too,many,fields\n"                         // line 6 column count
                + "good.jpg,Psoriasis.,dragon pox\n"                   // line 7 unknown label
                + "good.jpg,,psoriasis\n"                              // line 8 empty caption
                + "good.jpg," + huge + ",psoriasis\n"                  // line 9 5,000-token caption: kept, warned
                + "good.jpg,Caf").getBytes(StandardCharsets.UTF_8));
        b.write(new byte[] {(byte) 0xE9, (byte) 0xFF});                // line 10 non-UTF-8 bytes
        b.writeBytes(" au lait.,psoriasis\n".getBytes(StandardCharsets.UTF_8));
        Files.write(csv, b.toByteArray());
        ImageTextPairs.Result r = ImageTextPairs.read(csv, ImageTextPairs.Columns.defaults(), null,
                Set.of("psoriasis", "melanoma"), true);
        assertEquals(2, r.pairs().size(), r.skipped().toString());
        assertEquals(List.of(2, 9), r.pairs().stream().map(ImageTextPairs.Pair::line).toList());
        String all = String.join("\n", r.skipped());
        assertEquals(7, r.skipped().size(), all);
        for (String expect : new String[] {"line 3, field 'image'", "truncated", "line 4, field 'image'", "empty (0 bytes)",
            "line 5, field 'image': image file not found", "line 6: 4 fields, the header has 3", "line 7, field 'label': unknown label 'dragon pox'",
            "line 8, field 'caption': empty caption", "line 10, field 'caption': bytes that are not valid UTF-8"}) {
            assertTrue(all.contains(expect), "missing '" + expect + "' in:\n" + all);
        }
        assertTrue(all.lines().allMatch(l -> l.contains("in.csv")), "every message names the file");
        assertEquals(1, r.warnings().size());
        assertTrue(r.warnings().get(0).contains("line 9"), r.warnings().toString());
        // The huge caption still becomes a usable row: cut to 77 tokens, first 8 sentences (one here).
        Augmenter.Output out = new Augmenter(OntologyExtractor.builtin()).augment(r.pairs(), r.skipped().size());
        String truncated = out.rows().get(1).truncatedCaption();
        assertTrue(ClipBpeTokenizer.builtin(77).countTokens(truncated) <= 75);
        assertEquals(7, out.summary().skipped());
    }

    @Test
    void hamSplitRuleReproducesTheSharedSplitExactly() {
        Path dir = SharedPaths.shared().resolve("data/ham10000");
        List<Ham10000.Row> given = Ham10000.readMetadata(dir);
        List<Ham10000.Row> noSplit = given.stream().map(r -> new Ham10000.Row(r.image(), r.lesionId(), r.dx(), r.dxType(),
                r.age(), r.sex(), r.site(), "")).collect(Collectors.toList());
        List<Ham10000.Row> computed = Ham10000.withSplit(noSplit);
        assertEquals(5984, computed.size());
        for (int i = 0; i < given.size(); i++) assertEquals(given.get(i).split(), computed.get(i).split(), given.get(i).image());
        assertEquals("Dermoscopic image of a skin lesion on the trunk of a 45-year-old man. The lesion was diagnosed as "
                + "melanocytic nevus. The diagnosis was confirmed by follow-up examination.", Ham10000.caption(given.get(0)));
    }

    @Test
    void synthDermIsDeterministicLongAndLabelled(@TempDir Path tmp) throws Exception {
        SynthDerm.Config cfg = new SynthDerm.Config(7, 40, 10, 10, 32);
        List<SynthDerm.Sample> a = SynthDerm.generate(tmp.resolve("a"), cfg);
        List<SynthDerm.Sample> b = SynthDerm.generate(tmp.resolve("b"), cfg);
        assertEquals(a, b);
        assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(a.get(5).image())),
                Files.readAllBytes(tmp.resolve("b").resolve(b.get(5).image())));
        assertEquals(10, a.stream().map(SynthDerm.Sample::label).distinct().count());
        assertEquals(List.of(40L, 10L, 10L), List.of("train", "val", "test").stream()
                .map(s -> a.stream().filter(x -> x.split().equals(s)).count()).toList());
        ClipBpeTokenizer tok = ClipBpeTokenizer.builtin(77);
        long longOnes = a.stream().filter(x -> tok.countTokens(x.caption()) > 75).count();
        assertTrue(longOnes > a.size() * 0.8, longOnes + " of " + a.size() + " captions longer than 77 tokens");
        // Some facts are only after token 77: the truncated caption loses a concept the full caption states.
        Augmenter aug = new Augmenter(OntologyExtractor.builtin());
        long lost = a.stream().filter(x -> {
            var full = OntologyExtractor.builtin().extract(x.caption()).concepts();
            var cut = OntologyExtractor.builtin().extract(aug.truncate(x.caption())).concepts();
            return full.size() > cut.size();
        }).count();
        assertTrue(lost > a.size() / 2, lost + " captions lose concepts to truncation");
        assertEquals(61, Files.readAllLines(tmp.resolve("a/concepts.csv")).size());
        assertTrue(Files.readString(tmp.resolve("a/classes.json")).contains("tinea corporis"));
    }

    @Test
    void everyManifestLoadsAndHamResolvesToALocalCopy() {
        List<Manifest> all = Manifest.all();
        assertEquals(12, all.size()); // the datasets of the papers, and the kit's generated SynthDerm and SynthCXR
        assertTrue(all.stream().anyMatch(m -> m.name().equals("synthcxr") && m.access().equals("generated")));
        for (Manifest m : all) {
            assertTrue(!m.license().isBlank() && !m.citation().isBlank() && !m.homepage().isBlank(), m.name());
            assertTrue(m.access().equals("public") ? !m.downloads().isEmpty() : true, m.name());
            assertTrue(m.access().equals("generated") || !m.manualSteps().isEmpty(), m.name() + " needs steps");
        }
        Manifest ham = Manifest.find("ham10000");
        Path local = SharedPaths.shared().resolve("data/ham10000");
        Manifest.Status st = ham.status(ham.dataDir(local));
        assertTrue(st.present(), st.detail());
        assertTrue(st.detail().startsWith("5984 images"), st.detail());
        assertTrue(!ham.status(Path.of("/nonexistent/ham")).present());
        KitException e = assertThrows(KitException.class, () -> Manifest.find("imagenet"));
        assertTrue(e.getMessage().contains("no data manifest 'imagenet'"), e.getMessage());
    }
}
