package org.makekit.text;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.makekit.util.KitException;

/**
 * OpenAI CLIP's byte-level BPE (open_clip's SimpleTokenizer, clean mode "lower"): 49,408 ids,
 * SOT 49406, EOT 49407, padding 0. Reads the official merges file (bpe_simple_vocab_16e6.txt.gz);
 * a copy ships with the kit.
 */
public final class ClipBpeTokenizer implements Tokenizer {
    public static final String RESOURCE = "bpe_simple_vocab_16e6.txt.gz";
    private static final int NUM_MERGES = 49152 - 256 - 2;
    private static final Pattern PAT = Pattern.compile(
            "<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static ClipBpeTokenizer builtin;

    private final int contextLength;
    private final Map<String, Integer> encoder = new HashMap<>();
    private final Map<String, Integer> ranks = new HashMap<>();
    private final String[] byteEncoder = new String[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    private final List<String> vocabulary = new ArrayList<>(49408);
    private final Map<Integer, Integer> byteDecoder = new HashMap<>();

    /** The tokenizer with the merges file shipped in the kit. */
    public static synchronized ClipBpeTokenizer builtin(int contextLength) {
        if (builtin == null || builtin.contextLength != contextLength) {
            try (InputStream in = ClipBpeTokenizer.class.getResourceAsStream(RESOURCE)) {
                if (in == null) throw new KitException("CLIP BPE merges file missing from the jar: " + RESOURCE);
                builtin = new ClipBpeTokenizer(in, RESOURCE, contextLength);
            } catch (IOException e) {
                throw new KitException("cannot read the built-in CLIP BPE merges file", e);
            }
        }
        return builtin;
    }

    /** The tokenizer with a merges file on disk (gzipped or plain). */
    public static ClipBpeTokenizer fromFile(Path vocab, int contextLength) {
        try (InputStream in = Files.newInputStream(vocab)) {
            return new ClipBpeTokenizer(in, vocab.toString(), contextLength);
        } catch (NoSuchFileException e) {
            throw new KitException("CLIP BPE merges file not found: " + vocab);
        } catch (IOException e) {
            throw new KitException("cannot read CLIP BPE merges file " + vocab, e);
        }
    }

    private ClipBpeTokenizer(InputStream raw, String source, int contextLength) throws IOException {
        this.contextLength = contextLength;
        InputStream in = new java.io.BufferedInputStream(raw);
        in.mark(2);
        int b0 = in.read();
        int b1 = in.read();
        in.reset();
        if (b0 == 0x1f && b1 == 0x8b) in = new GZIPInputStream(in);
        List<String[]> merges = new ArrayList<>(NUM_MERGES);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            r.readLine(); // header
            String line;
            int lineNo = 1;
            while (merges.size() < NUM_MERGES && (line = r.readLine()) != null) {
                lineNo++;
                String[] parts = line.split(" ");
                if (parts.length != 2) {
                    throw new KitException("CLIP BPE merges file " + source + ", line " + lineNo
                            + ": expected two symbols, got '" + line + "'");
                }
                merges.add(parts);
            }
        }
        if (merges.size() < NUM_MERGES) {
            throw new KitException("CLIP BPE merges file " + source + " has " + merges.size() + " merges, needs "
                    + NUM_MERGES);
        }
        List<String> vocab = new ArrayList<>(49408);
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        List<Integer> cs = new ArrayList<>(bs);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            if (!bs.contains(b)) {
                bs.add(b);
                cs.add(256 + n++);
            }
        }
        for (int i = 0; i < 256; i++) byteEncoder[bs.get(i)] = new String(Character.toChars(cs.get(i)));
        for (int i = 0; i < 256; i++) vocab.add(new String(Character.toChars(cs.get(i))));
        for (int i = 0; i < 256; i++) vocab.add(vocab.get(i) + "</w>");
        for (int i = 0; i < merges.size(); i++) {
            vocab.add(merges.get(i)[0] + merges.get(i)[1]);
            ranks.put(merges.get(i)[0] + " " + merges.get(i)[1], i);
        }
        vocab.add("<start_of_text>");
        vocab.add("<end_of_text>");
        for (int i = 0; i < vocab.size(); i++) encoder.put(vocab.get(i), i);
        vocabulary.addAll(vocab);
        for (int i = 0; i < 256; i++) byteDecoder.put(cs.get(i), bs.get(i));
        cache.put("<start_of_text>", new int[] {sotId()});
        cache.put("<end_of_text>", new int[] {eotId()});
    }

    /** As OpenAI's SimpleTokenizer.decode: tokens joined, bytes restored, end-of-word marks as spaces. */
    @Override
    public String decode(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (int id : content(ids)) if (id >= 0 && id < 49406) sb.append(vocabulary.get(id));
        String text = sb.toString();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        text.codePoints().forEach(cp -> {
            Integer b = byteDecoder.get(cp);
            if (b != null) {
                bytes.write(b);
            } else {
                byte[] u = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                bytes.write(u, 0, u.length);
            }
        });
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8).replace("</w>", " ").strip();
    }

    @Override
    public String name() {
        return "clip-bpe";
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public int vocabSize() {
        return 49408;
    }

    @Override
    public int sotId() {
        return 49406;
    }

    @Override
    public int eotId() {
        return 49407;
    }

    @Override
    public int[] bpe(String text) {
        String cleaned = TextCleaner.cleanLower(text);
        Matcher m = PAT.matcher(cleaned);
        List<int[]> pieces = new ArrayList<>();
        int total = 0;
        while (m.find()) {
            int[] ids = cache.computeIfAbsent(m.group(), this::encodeToken);
            pieces.add(ids);
            total += ids.length;
        }
        int[] out = new int[total];
        int k = 0;
        for (int[] p : pieces) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }

    /** BPE of one pre-token: its UTF-8 bytes as byte symbols, "</w>" on the last, merges by rank. */
    private int[] encodeToken(String token) {
        byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
        List<String> word = new ArrayList<>(bytes.length);
        for (byte b : bytes) word.add(byteEncoder[b & 0xff]);
        word.set(word.size() - 1, word.get(word.size() - 1) + "</w>");
        while (word.size() > 1) {
            int bestRank = Integer.MAX_VALUE;
            String bestA = null;
            String bestB = null;
            for (int i = 0; i < word.size() - 1; i++) {
                Integer r = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    bestA = word.get(i);
                    bestB = word.get(i + 1);
                }
            }
            if (bestA == null) break;
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i < word.size() - 1 && word.get(i).equals(bestA) && word.get(i + 1).equals(bestB)) {
                    merged.add(bestA + bestB);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word = merged;
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            Integer id = encoder.get(word.get(i));
            if (id == null) throw new IllegalStateException("BPE symbol not in vocabulary: " + word.get(i));
            ids[i] = id;
        }
        return ids;
    }
}
