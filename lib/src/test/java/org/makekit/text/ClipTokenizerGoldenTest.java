package org.makekit.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.makekit.Golden;

/** Every golden text must give exactly the official 77 ids. */
class ClipTokenizerGoldenTest {
    static final Path DIR = Golden.dir("clip-tokenizer");

    @Test
    void everyGoldenCaseGivesTheOfficialIds() {
        JsonObject g = Golden.json(DIR.resolve("cases.json"));
        ClipBpeTokenizer tok = ClipBpeTokenizer.fromFile(DIR.resolve("bpe_simple_vocab_16e6.txt.gz"), 77);
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (JsonElement e : g.getAsJsonArray("cases")) {
            JsonObject c = e.getAsJsonObject();
            String text = c.get("text").getAsString();
            long[] expected = new long[77];
            int i = 0;
            for (JsonElement id : c.getAsJsonArray("ids")) expected[i++] = id.getAsLong();
            long[] got = tok.encode(text);
            String cleaned = TextCleaner.cleanLower(text);
            if (!cleaned.equals(c.get("cleaned").getAsString())) {
                failures.add("cleaned " + text + ": '" + cleaned + "' vs '" + c.get("cleaned").getAsString() + "'");
            }
            if (!java.util.Arrays.equals(expected, got)) failures.add("ids of " + text);
            int[] bpe = tok.bpe(text);
            assertEquals(c.get("num_bpe_tokens").getAsInt(), bpe.length, "bpe length of " + text);
            assertEquals(c.get("argmax_position").getAsInt(), org.makekit.model.ClipModel.poolPosition(got), text);
            n++;
        }
        assertEquals(62, n);
        assertTrue(failures.isEmpty(), failures.size() + " mismatches: " + failures);
    }

    @Test
    void shippedVocabIsTheOfficialFile() throws Exception {
        byte[] golden = Files.readAllBytes(DIR.resolve("bpe_simple_vocab_16e6.txt.gz"));
        byte[] shipped;
        try (var in = ClipBpeTokenizer.class.getResourceAsStream(ClipBpeTokenizer.RESOURCE)) {
            shipped = in.readAllBytes();
        }
        assertArrayEquals(golden, shipped);
    }
}
