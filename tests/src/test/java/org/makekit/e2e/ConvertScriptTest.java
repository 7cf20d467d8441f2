package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.model.Safetensors;
import org.makekit.model.WeightFiles;
import org.makekit.util.SharedPaths;

/** The convert script on ../shared/golden/torch-formats, then embed on what it wrote. */
class ConvertScriptTest {
    static final Path FORMATS = SharedPaths.shared().resolve("golden/torch-formats");
    static final Path TINY = SharedPaths.shared().resolve("golden/openclip-tiny");

    @Test
    void convertThenEmbedReproducesTheGoldenFeatures(@TempDir Path tmp) throws Exception {
        Path st = tmp.resolve("tiny.safetensors");
        Run c = Run.script("convert", 300, FORMATS.resolve("state_dict_zip.pt").toString(), "--out", st.toString());
        assertEquals(0, c.exit, c.out);
        assertTrue(c.out.contains("torch.save zip") && c.out.contains("wrote 62 tensors"), c.out);

        JsonObject manifest = org.makekit.util.Json.parse(Files.readString(TINY.resolve("manifest.json"))).getAsJsonObject();
        Path textFile = EmbedScriptTest.goldenTexts(tmp);
        Path config = EmbedScriptTest.goldenConfig(tmp);
        Path out = tmp.resolve("emb");
        Run e = Run.script("embed", 300, "--model", config.toString(), "--weights", st.toString(), "--texts",
                textFile.toString(), "--pixels", TINY.resolve("tiny_io.safetensors") + ":input.images", "--out", out.toString());
        assertEquals(0, e.exit, e.out);
        compare(out.resolve("image_embeddings.csv"), manifest.getAsJsonArray("image_features"), new int[] {0, 1, 2}, "image");
        compare(out.resolve("text_embeddings.csv"), manifest.getAsJsonArray("text_features"), new int[] {0, 1, 3}, "text");
    }

    static void compare(Path csv, JsonArray expected, int[] goldenRows, String what) throws Exception {
        List<String> rows = Files.readAllLines(csv);
        assertEquals(goldenRows.length + 1, rows.size(), what + " rows in " + csv);
        for (int i = 0; i < goldenRows.length; i++) {
            String[] f = rows.get(i + 1).split(",");
            JsonArray want = expected.get(goldenRows[i]).getAsJsonArray();
            for (int d = 0; d < want.size(); d++) {
                assertEquals(want.get(d).getAsDouble(), Double.parseDouble(f[f.length - want.size() + d]), 1e-5,
                        what + " " + goldenRows[i] + " dim " + d);
            }
        }
    }

    @Test
    void everyOtherLoadableFileConvertsToWhatTheReaderReturns(@TempDir Path tmp) throws Exception {
        for (String file : List.of("state_dict_fp16.pt", "state_dict_bf16.pt", "train_checkpoint_ddp.pt",
                "state_dict_legacy.pt", "shared_storage.pt", "torchscript.pt")) {
            Path st = tmp.resolve(file + ".safetensors");
            Run c = Run.script("convert", 300, FORMATS.resolve(file).toString(), "--out", st.toString());
            assertEquals(0, c.exit, file + ":\n" + c.out);
            Map<String, Safetensors.Tensor> written = Safetensors.read(st);
            WeightFiles.withWeights(FORMATS.resolve(file), l -> {
                assertEquals(List.copyOf(l.tensors().keySet()), List.copyOf(written.keySet()), file + ": names and order");
                l.tensors().forEach((k, v) -> {
                    Safetensors.Tensor w = written.get(k);
                    assertEquals(v.dtype(), w.dtype(), file + " " + k);
                    assertArrayEquals(v.shape(), w.shape(), file + " " + k);
                    assertEquals(0, v.data().duplicate().compareTo(w.data().duplicate()), file + " " + k + ": bytes");
                });
                return null;
            });
            assertEquals(file, Safetensors.readMetadata(st).get("converted_from"));
        }
    }

    @Test
    void evilAndTruncatedFilesAreRefusedWithOneLineAndNothingWritten(@TempDir Path tmp) throws Exception {
        Path st = tmp.resolve("evil.safetensors");
        Run evil = Run.script("convert", 300, FORMATS.resolve("evil.pt").toString(), "--out", st.toString());
        assertEquals(2, evil.exit, evil.out);
        assertTrue(evil.out.contains("forbidden global posix.system"), evil.out);
        assertFalse(evil.out.contains("evil.pt ran code"), evil.out);
        assertFalse(evil.out.contains("\tat "), "no stack trace:\n" + evil.out);
        assertFalse(Files.exists(st));
        Run cut = Run.script("convert", 300, FORMATS.resolve("truncated.pt").toString(), "--out", st.toString());
        assertEquals(2, cut.exit, cut.out);
        assertTrue(cut.out.contains("truncated.pt") && cut.out.contains("not a complete zip archive"), cut.out);
        assertFalse(Files.exists(st));
    }
}
