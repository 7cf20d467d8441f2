package org.makekit.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;

/**
 * GPT-2's byte-level BPE (r50k_base, 50,257 ids) through JTokkit, which ships its vocabulary, framed
 * like CLIP: SOT = 50256 ({@code <|endoftext|>}), EOT = 50257 (one added id, the largest, so the
 * text tower pools at argmax), padding 0; 50,258 ids in all. Text is cleaned as CLIP cleans it,
 * but keeps its case (GPT-2's vocabulary is cased).
 */
public final class Gpt2Tokenizer implements Tokenizer {
    private static final Encoding ENCODING = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.R50K_BASE);
    private final int contextLength;

    public Gpt2Tokenizer(int contextLength) {
        this.contextLength = contextLength;
    }

    @Override
    public String name() {
        return "gpt2-r50k";
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public int vocabSize() {
        return 50258;
    }

    @Override
    public int sotId() {
        return 50256;
    }

    @Override
    public int eotId() {
        return 50257;
    }

    @Override
    public String decode(long[] ids) {
        IntArrayList list = new IntArrayList();
        for (int id : content(ids)) if (id < 50256) list.add(id);
        return ENCODING.decode(list).strip();
    }

    @Override
    public int[] bpe(String text) {
        IntArrayList ids = ENCODING.encodeOrdinary(TextCleaner.clean(text));
        return ids.toArray();
    }
}
