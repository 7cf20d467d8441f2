package org.makekit.train;

import java.util.Locale;
import org.makekit.loss.MakeLoss;
import org.makekit.util.KitException;

/**
 * What is trained: the CLIP and SigLIP baselines (raw caption, or the knowledge-augmented caption
 * of Derm1M-dagger), and MAKE with Table 3's ablation rows.
 */
public enum Method {
    CLIP("clip", "CLIP baseline, raw caption (Table 3 row 1)"),
    CLIP_AUGMENTED("clip-augmented", "CLIP on knowledge-augmented captions (Derm1M-dagger, Table 1)"),
    SIGLIP("siglip", "SigLIP baseline, raw caption"),
    SIGLIP_AUGMENTED("siglip-augmented", "SigLIP on knowledge-augmented captions"),
    MKCL_KNOWLEDGE("mkcl-knowledge", "MKCL, knowledge set only (Table 3 row 2)"),
    MKCL("mkcl", "MKCL, knowledge set + sub-texts (Table 3 row 3)"),
    MKCL_SLRA("mkcl+slra", "MKCL + SLRA (Table 3 row 4)"),
    MAKE("make", "MAKE: MKCL + SLRA + DKW (Table 3 row 5)");

    public final String id;
    public final String description;

    Method(String id, String description) {
        this.id = id;
        this.description = description;
    }

    public static Method parse(String s) {
        for (Method m : values()) if (m.id.equalsIgnoreCase(s.trim())) return m;
        StringBuilder ids = new StringBuilder();
        for (Method m : values()) ids.append(ids.length() > 0 ? ", " : "").append(m.id);
        throw new KitException("method '" + s + "': expected one of " + ids);
    }

    public boolean isSigLip() {
        return this == SIGLIP || this == SIGLIP_AUGMENTED;
    }

    public boolean isMake() {
        return ordinal() >= MKCL_KNOWLEDGE.ordinal();
    }

    public TextBatch.Layout layout() {
        return switch (this) {
            case CLIP, SIGLIP -> TextBatch.Layout.RAW;
            case CLIP_AUGMENTED, SIGLIP_AUGMENTED -> TextBatch.Layout.AUGMENTED_RAW;
            case MKCL_KNOWLEDGE -> TextBatch.Layout.KNOWLEDGE;
            default -> TextBatch.Layout.MAKE;
        };
    }

    /** MAKE-loss options of this row (the MAKE family only). */
    public MakeLoss.Options options(MakeLoss.Mode mode, int k) {
        MakeLoss.Ablation a = switch (this) {
            case MKCL_KNOWLEDGE -> MakeLoss.Ablation.MKCL_KNOWLEDGE;
            case MKCL -> MakeLoss.Ablation.MKCL;
            case MKCL_SLRA -> MakeLoss.Ablation.MKCL_SLRA;
            case MAKE -> MakeLoss.Ablation.MAKE;
            default -> throw new IllegalStateException(id + " is not a MAKE-loss method");
        };
        return a.options(mode, k);
    }

    public boolean needsPatches() {
        return this == MKCL_SLRA || this == MAKE;
    }

    @Override
    public String toString() {
        return id.toLowerCase(Locale.ROOT);
    }
}
