package org.makekit.text;

import java.util.List;
import org.makekit.model.ModelConfig;
import org.makekit.util.KitException;

/**
 * Text to the fixed-length id rows the text tower reads: {@code [SOT] + bpe + [EOT]}, zero-padded
 * to the context length; an over-long text is cut so that its last token is EOT. The EOT id is the
 * largest id, so the model pools at argmax(ids).
 */
public interface Tokenizer {
    /** Name as written in model configs ("clip-bpe", "gpt2-r50k"). */
    String name();

    int contextLength();

    int vocabSize();

    int sotId();

    int eotId();

    /** BPE ids of a text, without SOT/EOT and without truncation. */
    int[] bpe(String text);

    /** One framed, padded row of {@link #contextLength()} ids. */
    default long[] encode(String text) {
        int[] ids = bpe(text);
        int n = contextLength();
        long[] out = new long[n];
        out[0] = sotId();
        int len = Math.min(ids.length, n - 2);
        for (int i = 0; i < len; i++) out[1 + i] = ids[i];
        // Over-long: the official tokenizer keeps the first n ids of [SOT]+bpe+[EOT], last overwritten by EOT.
        out[ids.length > n - 2 ? n - 1 : 1 + len] = eotId();
        return out;
    }

    default long[][] encode(List<String> texts) {
        long[][] out = new long[texts.size()][];
        for (int i = 0; i < out.length; i++) out[i] = encode(texts.get(i));
        return out;
    }

    /** Text of BPE ids (SOT, EOT and pad 0 after EOT left out), e.g. a generated caption. */
    String decode(long[] ids);

    /** The ids between SOT and the first EOT, as ints (what {@link #decode} turns into text). */
    default int[] content(long[] ids) {
        int from = ids.length > 0 && ids[0] == sotId() ? 1 : 0;
        int to = from;
        while (to < ids.length && ids[to] != eotId()) to++;
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) out[i] = (int) ids[from + i];
        return out;
    }

    /** Number of BPE tokens a text has (without SOT/EOT): over contextLength-2 means it is truncated. */
    default int countTokens(String text) {
        return bpe(text).length;
    }

    /** The tokenizer a model config names. */
    static Tokenizer forConfig(ModelConfig config) {
        return forConfig(config, config.text().contextLength());
    }

    /** The tokenizer a model config names, framing rows of {@code contextLength} ids (up to the config's). */
    static Tokenizer forConfig(ModelConfig config, int contextLength) {
        if (contextLength > config.text().contextLength()) {
            throw new KitException("rows of " + contextLength + " ids: model config '" + config.name() + "' has "
                    + config.text().contextLength() + " text positions");
        }
        Tokenizer t = switch (config.tokenizer()) {
            case "clip-bpe" -> ClipBpeTokenizer.builtin(contextLength);
            case "gpt2-r50k" -> new Gpt2Tokenizer(contextLength);
            default -> throw new KitException("unknown tokenizer " + config.tokenizer());
        };
        if (t.vocabSize() > config.text().vocabSize()) {
            throw new KitException("model config '" + config.name() + "': text_cfg.vocab_size " + config.text().vocabSize()
                    + " is smaller than the " + t.name() + " vocabulary (" + t.vocabSize() + ")");
        }
        return t;
    }
}
