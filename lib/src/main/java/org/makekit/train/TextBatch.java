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

    /**
     * What each image contributes to the text batch: {@code textsPerImage(k)} texts (image-major, row
     * b*n + k) and which of them exist. The built-ins are MAKE's K+3 texts, the knowledge set (3),
     * the raw caption, and the knowledge-augmented caption (Derm1M-dagger); a method with other texts
     * adds its own implementation.
     */
    public interface Layout {
        int textsPerImage(int k);

        List<String> texts(TrainingRow r, int k);

        boolean[] mask(TrainingRow r, int k);

        /** Raw caption, disease text, concept text and K sub-sentences. */
        Layout MAKE = of(k -> 3 + k, TrainingRow::texts, TrainingRow::mask);
        /** Raw caption, disease text and concept text. */
        Layout KNOWLEDGE = of(k -> 3, (r, k) -> r.texts(0), (r, k) -> r.mask(0));
        /** The raw caption alone. */
        Layout RAW = of(k -> 1, (r, k) -> List.of(r.texts(0).get(0)), (r, k) -> new boolean[] {true});
        /** Derm1M-dagger style: disease and concept texts put before the raw caption (the tokenizer cuts at 77). */
        Layout AUGMENTED_RAW = of(k -> 1, (r, k) -> {
            StringBuilder sb = new StringBuilder();
            if (r.knowledgeMask()[1]) sb.append(r.diseaseCaption()).append(' ');
            if (r.knowledgeMask()[2]) sb.append(r.conceptCaption()).append(' ');
            return List.of(sb.append(r.caption()).toString());
        }, (r, k) -> new boolean[] {true});

        static Layout of(java.util.function.IntUnaryOperator n, java.util.function.BiFunction<TrainingRow, Integer, List<String>> texts,
                         java.util.function.BiFunction<TrainingRow, Integer, boolean[]> mask) {
            return new Layout() {
                public int textsPerImage(int k) {
                    return n.applyAsInt(k);
                }

                public List<String> texts(TrainingRow r, int k) {
                    return texts.apply(r, k);
                }

                public boolean[] mask(TrainingRow r, int k) {
                    return mask.apply(r, k);
                }
            };
        }
    }

    public static TextBatch of(List<TrainingRow> rows, Layout layout, int k) {
        List<String> texts = new ArrayList<>();
        int n = layout.textsPerImage(k);
        boolean[][] mask = new boolean[rows.size()][];
        for (int b = 0; b < rows.size(); b++) {
            List<String> t = layout.texts(rows.get(b), k);
            mask[b] = layout.mask(rows.get(b), k);
            if (t.size() != n || mask[b].length != n) {
                throw new org.makekit.util.KitException("text layout gave " + t.size() + " texts and " + mask[b].length
                        + " mask entries for image " + b + ", expected " + n);
            }
            texts.addAll(t);
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
