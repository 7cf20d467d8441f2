package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import org.makekit.data.TrainingRow;
import org.makekit.model.ClipModel;

/**
 * A training objective: the loss of one step computed from the model's outputs and the batch. The
 * trainer, the gradient-caching step and the benchmark call only this, so a new loss (O-MAKE's soft
 * labels, CoCa's captioning term, ARL's pretext tasks) is a new implementation, nothing else.
 */
public interface Objective {

    /**
     * What a step hands the objective.
     *
     * @param image      (B, D) L2-normalised global image features
     * @param patches    (B, P, D) L2-normalised patch features, or null when the method does not ask for them
     * @param text       (B*n, D) L2-normalised text features, image-major (row b*n + k)
     * @param mask       (B, n) which texts exist
     * @param rows       the batch's training rows (labels, diagnoses, concepts), in image order
     * @param logitScale the logit_scale parameter (log of the multiplier)
     * @param logitBias  the logit_bias parameter, or null when the model has none
     * @param caption    the captioning decoder's logits and labels, or null when the method does not caption
     */
    record Inputs(NDArray image, NDArray patches, NDArray text, boolean[][] mask, List<TrainingRow> rows,
                  NDArray logitScale, NDArray logitBias, Caption caption) {
        public Inputs(NDArray image, NDArray patches, NDArray text, boolean[][] mask, List<TrainingRow> rows,
                      NDArray logitScale, NDArray logitBias) {
            this(image, patches, text, mask, rows, logitScale, logitBias, null);
        }
    }

    /**
     * Next-token logits (P, vocab) at the P labelled positions of the batch (pads already left out)
     * and the label of each, the next token of the caption.
     */
    record Caption(NDArray logits, long[] labels) {}

    /** The loss and its named parts (for the metrics log; the names are those of {@link #partNames}). */
    record Value(NDArray loss, Map<String, NDArray> parts) {}

    Value compute(Inputs in);

    /** Names of the parts {@link #compute} reports, in order: the metrics log has one column each. */
    default List<String> partNames() {
        return List.of();
    }

    /**
     * The value at which a part has collapsed for a batch of {@code images} (MAKE's SLRA: ln(nB), the
     * loss of all-zero pooled vectors), or NaN when the part has no such level. The trainer warns when
     * a part stays within 1e-4 of it for 20 steps.
     */
    default double collapseLevel(String part, int images) {
        return Double.NaN;
    }

    /** Called by the trainer before the steps of each epoch (0-based) of {@code epochs}: for schedules such as O-MAKE's beta. */
    default void startEpoch(int epoch, int epochs) {}

    /**
     * Adds or initialises the parameters this objective owns (SigLIP's bias), before training.
     *
     * @param fresh true when the model was freshly initialised, false when loaded from weights
     */
    default void prepare(ClipModel model, boolean fresh) {}
}
