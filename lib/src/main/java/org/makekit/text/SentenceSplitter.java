package org.makekit.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * MAKE's sentence decomposition (O-MAKE's step4_build_training_csv.py): split the raw caption on
 * runs of '.', '!' and '?', strip, drop empty pieces, keep the first K, pad with "" and a mask.
 */
public final class SentenceSplitter {
    private static final Pattern SPLIT = Pattern.compile("[.!?]+");

    private SentenceSplitter() {}

    /** Sub-sentences (exactly k entries, "" padded) and their mask. */
    public record Split(List<String> sentences, boolean[] mask) {
        public int count() {
            int n = 0;
            for (boolean b : mask) if (b) n++;
            return n;
        }
    }

    public static Split split(String caption, int k) {
        List<String> out = new ArrayList<>(k);
        boolean[] mask = new boolean[k];
        if (caption != null) {
            for (String piece : SPLIT.split(caption, -1)) {
                String s = piece.strip();
                if (s.isEmpty()) continue;
                if (out.size() == k) break;
                mask[out.size()] = true;
                out.add(s);
            }
        }
        while (out.size() < k) out.add("");
        return new Split(out, mask);
    }
}
