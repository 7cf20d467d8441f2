package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.SharedPaths;

/** The embed script, run through JBang as a user runs it. */
class EmbedScriptTest {
    static final Path GOLDEN = SharedPaths.shared().resolve("golden/openclip-tiny");

    @Test
    void helpDescribesEveryOption() throws Exception {
        Run r = Run.script("embed", 300, "--help");
        assertEquals(0, r.exit, r.out);
        for (String opt : List.of("--model", "--weights", "--images", "--texts", "--out", "--device")) {
            assertTrue(r.out.contains(opt), "help lacks " + opt + ":\n" + r.out);
        }
    }

    /** The golden's texts 0, 1 and 3 (text 2 is the empty string, which embed skips) as a text file. */
    static Path goldenTexts(Path tmp) throws java.io.IOException {
        JsonArray texts = org.makekit.util.Json.parse(Files.readString(GOLDEN.resolve("manifest.json"))).getAsJsonObject()
                .getAsJsonArray("texts");
        Path f = tmp.resolve("texts.txt");
        Files.writeString(f, texts.get(0).getAsString() + "\n" + texts.get(1).getAsString() + "\n" + texts.get(3).getAsString()
                + "\n", StandardCharsets.UTF_8);
        return f;
    }

    /** The openclip-tiny golden model's config (2 heads) as a JSON file. */
    static Path goldenConfig(Path tmp) throws java.io.IOException {
        Path f = tmp.resolve("golden-tiny.json");
        Files.writeString(f, """
                {"name": "golden-tiny", "embed_dim": 32, "quick_gelu": true, "tokenizer": "clip-bpe",
                 "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 64, "layers": 2, "heads": 2},
                 "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "layers": 2, "heads": 2}}""");
        return f;
    }

    @Test
    void embedsRealImagesAndReproducesGoldenTextEmbeddings(@TempDir Path tmp) throws Exception {
        JsonObject manifest = org.makekit.util.Json.parse(Files.readString(GOLDEN.resolve("manifest.json"))).getAsJsonObject();
        Path textFile = goldenTexts(tmp);
        Path config = goldenConfig(tmp);
        List<Path> images;
        try (Stream<Path> s = Files.list(SharedPaths.shared().resolve("data/ham10000/images"))) {
            images = s.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(3).toList();
        }
        assertEquals(3, images.size(), "expected HAM10000 images in ../shared/data/ham10000/images");
        Path out = tmp.resolve("out");
        Run r = Run.script("embed", 300, "--model", config.toString(), "--weights",
                GOLDEN.resolve("tiny_clip.safetensors").toString(), "--texts", textFile.toString(), "--out",
                out.toString(), "--images", images.get(0).toString(), images.get(1).toString(), images.get(2).toString());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("cosine similarity"), r.out);
        List<String> imgRows = Files.readAllLines(out.resolve("image_embeddings.csv"));
        assertEquals(4, imgRows.size());
        assertEquals(33, imgRows.get(0).split(",").length);
        List<String> txtRows = Files.readAllLines(out.resolve("text_embeddings.csv"));
        assertEquals(4, txtRows.size());
        JsonArray expected = manifest.getAsJsonArray("text_features");
        int[] goldenIndex = {0, 1, 3};
        for (int i = 0; i < 3; i++) {
            String[] f = txtRows.get(i + 1).split(",");
            double[] got = new double[32];
            for (int d = 0; d < 32; d++) got[d] = Double.parseDouble(f[f.length - 32 + d]);
            JsonArray e = expected.get(goldenIndex[i]).getAsJsonArray();
            double norm = 0;
            for (int d = 0; d < 32; d++) {
                assertEquals(e.get(d).getAsDouble(), got[d], 1e-5, "text " + goldenIndex[i] + " dim " + d);
                norm += got[d] * got[d];
            }
            assertEquals(1.0, norm, 1e-5);
        }
        for (String row : imgRows.subList(1, imgRows.size())) {
            double norm = 0;
            String[] f = row.split(",");
            for (int d = f.length - 32; d < f.length; d++) norm += Math.pow(Double.parseDouble(f[d]), 2);
            assertEquals(1.0, norm, 1e-5, "image embeddings are unit vectors");
        }
    }

    @Test
    void badInputsGiveOneClearLineAndNoStackTrace(@TempDir Path tmp) throws Exception {
        Run missing = Run.script("embed", 300, "--weights", tmp.resolve("nope.safetensors").toString(), "--texts",
                tmp.resolve("none.txt").toString());
        assertEquals(2, missing.exit, missing.out);
        assertTrue(missing.out.contains("error: "), missing.out);
        assertFalse(missing.out.contains("\tat "), "stack trace printed:\n" + missing.out);

        Path broken = tmp.resolve("broken.jpg");
        Files.write(broken, new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0x00, 0x11});
        Run bad = Run.script("embed", 300, "--images", broken.toString());
        assertEquals(2, bad.exit, bad.out);
        assertTrue(bad.out.contains("broken.jpg"), bad.out);
        assertFalse(bad.out.contains("\tat "), "stack trace printed:\n" + bad.out);
    }
}
