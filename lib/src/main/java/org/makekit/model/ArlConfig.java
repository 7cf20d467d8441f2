package org.makekit.model;

import java.util.Locale;
import java.util.Map;
import org.makekit.util.KitException;

/**
 * The sizes of an ARL model (seed 002: align, reason and learn): the uni-modal towers (a CLIP config
 * the kit knows, its text tower run bidirectionally), the co-attention fusion layers with their
 * knowledge stream, the graph attention network over the entity graph and the MIM decoder.
 *
 * @param name           the config's name ({@code arl-tiny}, {@code arl-base})
 * @param towers         the CLIP config whose image and text towers ARL uses ({@link ModelConfig#load})
 * @param width          fusion width d (both streams are projected to it)
 * @param fusionLayers   text and image fusion layers (6 + 6 in ARL)
 * @param heads          attention heads of the fusion layers
 * @param knowledgeWidth entity embedding width k (the TransE dimension)
 * @param knowledgeHeads heads of the knowledge stream's attention
 * @param knowledgeFfn   hidden width of the knowledge stream's FFN
 * @param gatHidden      per-head width of the GAT's first layer
 * @param gatHeads       heads of the GAT's first layer (concatenated)
 * @param maxEntities    entities per text kept for the knowledge stream (24 in ARL)
 * @param textLength     token ids per text, SOT and EOT included (64 in ARL's pretraining)
 * @param decoderWidth   MIM decoder width
 * @param decoderLayers  MIM decoder blocks
 * @param decoderHeads   MIM decoder heads
 * @param mimLayer       MIM reads the image stream at the input of this fusion layer (0-based)
 * @param maskRatio      share of patches MIM drops
 * @param gatDropout     dropout of the GAT's features and attention in training
 */
public record ArlConfig(String name, String towers, int width, int fusionLayers, int heads, int knowledgeWidth,
                        int knowledgeHeads, int knowledgeFfn, int gatHidden, int gatHeads, int maxEntities, int textLength,
                        int decoderWidth, int decoderLayers, int decoderHeads, int mimLayer, double maskRatio,
                        double gatDropout) {

    /**
     * CPU minutes: the tiny towers, 2 + 2 fusion layers of 128, k = 64 (related-methods.md section 2.9), but 77 tokens
     * (the towers' context, what the CLIP baseline reads) instead of the design's 40: SynthDerm's captions are long.
     */
    public static final ArlConfig TINY = new ArlConfig("arl-tiny", "tiny", 128, 2, 4, 64, 2, 256, 16, 4, 8, 77, 64, 2, 2, 1,
            0.75, 0.2);
    /**
     * The paper's widths: ViT-B/16 towers, 6 + 6 fusion layers of 768 with 12 heads, k = 256 with 4 heads and an FFN
     * of 1024, GAT 256 -> 64 x 8 -> 256, 24 entities, 64 tokens, decoder 384 / 4 blocks / 6 heads, MIM at layer 3.
     * Differences from the released model: the text tower is CLIP's (bidirectional here), not RoBERTa-base; images
     * are the tower's 224 px, not 288.
     */
    public static final ArlConfig BASE = new ArlConfig("arl-base", "ViT-B-16", 768, 6, 12, 256, 4, 1024, 64, 8, 24, 64, 384,
            4, 6, 3, 0.75, 0.2);

    private static final Map<String, ArlConfig> BUILTIN = Map.of(TINY.name, TINY, BASE.name, BASE);

    public ArlConfig {
        if (width % heads != 0) throw new KitException("ARL config " + name + ": width " + width + " is not divisible by " + heads + " heads");
        if (knowledgeWidth % knowledgeHeads != 0) {
            throw new KitException("ARL config " + name + ": knowledge width " + knowledgeWidth + " is not divisible by "
                    + knowledgeHeads + " heads");
        }
        if (decoderWidth % decoderHeads != 0 || decoderWidth % 4 != 0) {
            throw new KitException("ARL config " + name + ": decoder width " + decoderWidth + " must be divisible by "
                    + decoderHeads + " heads and by 4 (sin-cos positions)");
        }
        if (mimLayer < 0 || mimLayer >= fusionLayers) {
            throw new KitException("ARL config " + name + ": mimLayer " + mimLayer + " outside 0.." + (fusionLayers - 1));
        }
        if (!(maskRatio > 0 && maskRatio < 1)) throw new KitException("ARL config " + name + ": maskRatio must be in (0, 1)");
        if (textLength < 3 || maxEntities < 1) throw new KitException("ARL config " + name + ": textLength >= 3 and maxEntities >= 1");
    }

    /** True when {@code name} names an ARL config. */
    public static boolean isArl(String name) {
        return name != null && BUILTIN.containsKey(name.toLowerCase(Locale.ROOT));
    }

    public static ArlConfig load(String name) {
        ArlConfig c = name == null ? null : BUILTIN.get(name.toLowerCase(Locale.ROOT));
        if (c == null) throw new KitException("ARL model '" + name + "': expected one of " + String.join(", ", BUILTIN.keySet()));
        return c;
    }

    /** The towers' CLIP config, with its text context set to {@link #textLength}. */
    public ModelConfig towerConfig() {
        return ModelConfig.load(towers);
    }

    /** A copy with other sizes for tests: fusion layers, width, heads. */
    public ArlConfig withFusion(int layers, int w, int h, int mim) {
        return new ArlConfig(name, towers, w, layers, h, knowledgeWidth, knowledgeHeads, knowledgeFfn, gatHidden, gatHeads,
                maxEntities, textLength, decoderWidth, decoderLayers, decoderHeads, mim, maskRatio, gatDropout);
    }

    /** A copy with another GAT dropout (0 for gradient checks). */
    public ArlConfig withGatDropout(double p) {
        return new ArlConfig(name, towers, width, fusionLayers, heads, knowledgeWidth, knowledgeHeads, knowledgeFfn, gatHidden,
                gatHeads, maxEntities, textLength, decoderWidth, decoderLayers, decoderHeads, mimLayer, maskRatio, p);
    }
}
