package org.makekit.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.util.KitException;

class TokenizerTest {
    @Test
    void gpt2FramingMatchesClipConventions() {
        Gpt2Tokenizer t = new Gpt2Tokenizer(77);
        long[] ids = t.encode("Erythematous plaque with silvery scale.");
        assertEquals(77, ids.length);
        assertEquals(50256, ids[0]);
        int[] bpe = t.bpe("Erythematous plaque with silvery scale.");
        assertEquals(50257, ids[1 + bpe.length]);
        assertEquals(0, ids[2 + bpe.length]);
        assertEquals(1 + bpe.length, ClipModel.poolPosition(ids));
        // GPT-2 r50k is the public GPT-2 vocabulary: "Hello" is 15496, " world" is 995.
        assertEquals(java.util.List.of(15496, 995), java.util.Arrays.stream(t.bpe("Hello world")).boxed().toList());
    }

    @Test
    void decodeGivesBackTheTextAsOpenAisSimpleTokenizerDoes() {
        ClipBpeTokenizer clip = ClipBpeTokenizer.builtin(77);
        // SimpleTokenizer: lower-cased, words joined by the end-of-word marks, punctuation its own word
        assertEquals("erythematous plaque with silvery scale , 2 mm .",
                clip.decode(clip.encode("Erythematous plaque with silvery scale, 2 mm.")));
        assertEquals("café", clip.decode(clip.encode("café")), "bytes restored to UTF-8");
        Gpt2Tokenizer gpt2 = new Gpt2Tokenizer(77);
        assertEquals("Erythematous plaque with silvery scale.", gpt2.decode(gpt2.encode("Erythematous plaque with silvery scale.")));
        assertEquals("", gpt2.decode(gpt2.encode("")));
        // stops at EOT: what follows (pads, or anything a sampler produced after it) is not text
        long[] ids = clip.encode("red papule");
        ids[5] = 320;
        assertEquals("red papule", clip.decode(ids));
    }

    @Test
    void longTextsAreCutWithEotLast() {
        for (Tokenizer t : new Tokenizer[] {new Gpt2Tokenizer(77), ClipBpeTokenizer.builtin(77)}) {
            long[] ids = t.encode("scale ".repeat(200));
            assertEquals(t.eotId(), ids[76], t.name());
            assertEquals(76, ClipModel.poolPosition(ids), t.name());
            long[] empty = t.encode("");
            assertEquals(t.sotId(), empty[0]);
            assertEquals(t.eotId(), empty[1]);
            assertEquals(0, empty[2]);
        }
    }

    @Test
    void configChoosesTokenizer() {
        assertEquals("gpt2-r50k", Tokenizer.forConfig(ModelConfig.load("tiny")).name());
        assertEquals("clip-bpe", Tokenizer.forConfig(ModelConfig.load("ViT-B-16")).name());
    }

    @Test
    void badMergesFileIsNamed(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("vocab.txt");
        Files.writeString(f, "#version\na b\nthis line is wrong\n");
        KitException e = assertThrows(KitException.class, () -> ClipBpeTokenizer.fromFile(f, 77));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("line 3"), e.getMessage());
        KitException missing = assertThrows(KitException.class, () -> ClipBpeTokenizer.fromFile(tmp.resolve("no.gz"), 77));
        assertTrue(missing.getMessage().contains("not found"), missing.getMessage());
    }
}
