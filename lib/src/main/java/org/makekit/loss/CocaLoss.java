package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * open_clip's {@code CoCaLoss} (v2.29.0, the version MAKE vendors) with the training defaults
 * ({@code --coca-contrastive-loss-weight 1}, {@code --coca-caption-loss-weight 2}): the CLIP loss
 * on the contrastive embeddings, plus the mean next-token cross-entropy of the decoder over every
 * position whose label is not the pad id (EOT included). The step hands only the labelled
 * positions, so the mean is over exactly those.
 */
public final class CocaLoss {
    private CocaLoss() {}

    public static final double CAPTION_WEIGHT = 2.0;
    public static final double CONTRASTIVE_WEIGHT = 1.0;

    public static Objective objective() {
        return objective(CONTRASTIVE_WEIGHT, CAPTION_WEIGHT);
    }

    public static Objective objective(double contrastiveWeight, double captionWeight) {
        return new Objective() {
            @Override
            public Value compute(Inputs in) {
                if (in.caption() == null) throw new KitException("the CoCa loss needs the decoder's caption logits");
                NDArray contrastive = Tensors.mul(ClipLoss.compute(in.image(), in.text(), in.logitScale().exp()), contrastiveWeight);
                NDArray caption = Tensors.mul(captionLoss(in.caption().logits(), in.caption().labels()), captionWeight);
                Map<String, NDArray> parts = new LinkedHashMap<>();
                parts.put("contrastive", contrastive);
                parts.put("caption", caption);
                return new Value(contrastive.add(caption), parts);
            }

            @Override
            public List<String> partNames() {
                return List.of("contrastive", "caption");
            }
        };
    }

    /** Mean cross-entropy of logits (P, V) against labels (P). */
    public static NDArray captionLoss(NDArray logits, long[] labels) {
        long p = logits.getShape().get(0);
        long v = logits.getShape().get(1);
        if (p != labels.length || p == 0) {
            throw new KitException("caption loss: " + p + " logit rows for " + labels.length + " labels");
        }
        long[] flat = new long[labels.length];
        for (int i = 0; i < flat.length; i++) {
            if (labels[i] < 0 || labels[i] >= v) throw new KitException("caption label " + labels[i] + " outside the vocabulary of " + v);
            flat[i] = i * v + labels[i];
        }
        return logits.logSoftmax(1).reshape(-1).get(Tensors.of(logits.getManager(), flat)).neg().mean();
    }
}
