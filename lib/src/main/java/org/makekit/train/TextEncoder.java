package org.makekit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.makekit.model.ClipModel;
import org.makekit.text.Tokenizer;
import org.makekit.util.Tensors;

/**
 * Encodes texts in chunks of similar length: the text tower computes only up to each chunk's last
 * EOT (the mask is causal), so short sub-sentences are not padded to the 77 tokens of the raw
 * caption. Returns features in the input order.
 */
public final class TextEncoder {
    private TextEncoder() {}

    /** Token ids of the texts and the chunks (index lists) to encode, each sorted by length. */
    public record Plan(long[][] ids, List<int[]> chunks) {}

    public static Plan plan(List<String> texts, Tokenizer tok, int maxChunk) {
        long[][] ids = tok.encode(texts);
        Integer[] order = new Integer[texts.size()];
        int[] len = new int[texts.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            len[i] = ClipModel.poolPosition(ids[i]);
        }
        java.util.Arrays.sort(order, Comparator.comparingInt(i -> len[i]));
        List<int[]> chunks = new ArrayList<>();
        for (int s = 0; s < order.length; s += maxChunk) {
            int e = Math.min(order.length, s + maxChunk);
            int[] c = new int[e - s];
            for (int i = s; i < e; i++) c[i - s] = order[i];
            chunks.add(c);
        }
        return new Plan(ids, chunks);
    }

    /** Raw (unnormalised) features of the given chunk. */
    public static NDArray encodeChunk(ClipModel model, Plan plan, int[] chunk) {
        long[][] ids = new long[chunk.length][];
        for (int i = 0; i < chunk.length; i++) ids[i] = plan.ids()[chunk[i]];
        return model.encodeText(ids, null);
    }

    /** All features in input order, encoding chunk by chunk. */
    public static NDArray encodeAll(ClipModel model, Plan plan) {
        NDList parts = new NDList();
        int n = 0;
        for (int[] c : plan.chunks()) {
            parts.add(encodeChunk(model, plan, c));
            n += c.length;
        }
        NDArray cat = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
        long[] inverse = new long[n];
        int pos = 0;
        for (int[] c : plan.chunks()) for (int i : c) inverse[i] = pos++;
        return cat.get(Tensors.of(model.manager(), inverse));
    }
}
