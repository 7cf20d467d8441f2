package org.makekit.train;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.makekit.data.TrainingRow;

/**
 * A batch's texts in the official order (row r = b*n + k) with their mask, and the distinct strings
 * among them: each distinct string is encoded once and its features gathered back to every row
 * that uses it. Masked texts are almost always "" (the official loader's empty sub-captions), so
 * they cost one encode per batch; the loss is unchanged because every row still gets its exact
 * features.
 */
public record TextBatch(List<String> unique, long[] rowToUnique, boolean[][] mask, int textsPerImage) {

    /** What each image contributes: the K+3 MAKE texts, the knowledge set (3), or one caption. */
    public enum Layout {
        MAKE, KNOWLEDGE, RAW, AUGMENTED_RAW
    }

    public static TextBatch of(List<TrainingRow> rows, Layout layout, int k) {
        List<String> texts = new ArrayList<>();
        int n = switch (layout) {
            case MAKE -> 3 + k;
            case KNOWLEDGE -> 3;
            case RAW, AUGMENTED_RAW -> 1;
        };
        boolean[][] mask = new boolean[rows.size()][];
        for (int b = 0; b < rows.size(); b++) {
            TrainingRow r = rows.get(b);
            switch (layout) {
                case MAKE, KNOWLEDGE -> {
                    int kk = layout == Layout.MAKE ? k : 0;
                    texts.addAll(r.texts(kk));
                    mask[b] = r.mask(kk);
                }
                case RAW -> {
                    texts.add(r.texts(0).get(0));
                    mask[b] = new boolean[] {true};
                }
                case AUGMENTED_RAW -> {
                    // Derm1M-dagger style: disease and concept texts put before the raw caption (the tokenizer cuts at 77).
                    StringBuilder sb = new StringBuilder();
                    if (r.knowledgeMask()[1]) sb.append(r.diseaseCaption()).append(' ');
                    if (r.knowledgeMask()[2]) sb.append(r.conceptCaption()).append(' ');
                    texts.add(sb.append(r.caption()).toString());
                    mask[b] = new boolean[] {true};
                }
            }
        }
        return dedup(texts, mask, n);
    }

    static TextBatch dedup(List<String> texts, boolean[][] mask, int n) {
        Map<String, Integer> index = new HashMap<>();
        List<String> unique = new ArrayList<>();
        long[] map = new long[texts.size()];
        for (int i = 0; i < texts.size(); i++) {
            Integer u = index.get(texts.get(i));
            if (u == null) {
                u = unique.size();
                unique.add(texts.get(i));
                index.put(texts.get(i), u);
            }
            map[i] = u;
        }
        return new TextBatch(unique, map, mask, n);
    }

    /** Every row's text with no sharing (what encoding all texts means; for tests and benchmarks). */
    public TextBatch withoutDedup() {
        List<String> all = new ArrayList<>();
        long[] map = new long[rowToUnique.length];
        for (int i = 0; i < rowToUnique.length; i++) {
            all.add(unique.get((int) rowToUnique[i]));
            map[i] = i;
        }
        return new TextBatch(all, map, mask, textsPerImage);
    }
}
