package org.makekit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.makekit.loss.ArlLoss;
import org.makekit.model.ArlModel;
import org.makekit.model.Features;
import org.makekit.util.Tensors;

/**
 * ARL's four pretext losses on one batch, in the graph: align (uni-modal class tokens against the GAT's entity
 * features), ITM (full text, half the images swapped), MLM (whole-entity masked text, full image, the masked
 * entities out of the knowledge input) and MIM (full text, 25% of the patches, the image stream at the input of
 * fusion layer {@code mimLayer} decoded to pixels). ARL runs four separate forward passes; here the full-text and
 * full-image tower outputs are computed once and shared by the passes that read them (the towers have no dropout,
 * so the losses and gradients are those of four passes), and the GAT runs once per step (ARL: once per call, which
 * only changes the dropout noise).
 */
public final class ArlStep {
    private ArlStep() {}

    /** The weighted total and the four parts (unweighted), in the graph. */
    public record Losses(NDArray total, NDArray itm, NDArray mlm, NDArray mim, NDArray align) {
        public static final List<String> PARTS = List.of("itm", "mlm", "mim", "align");

        /** The parts as host numbers, for the log. */
        public Map<String, Double> parts() {
            Map<String, Double> m = new LinkedHashMap<>();
            m.put("itm", value(itm));
            m.put("mlm", value(mlm));
            m.put("mim", value(mim));
            m.put("align", value(align));
            return m;
        }

        private static double value(NDArray x) {
            return x.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        }
    }

    /** Pixels (B x 3 x S x S, CHW floats) as an array of the model's type and device. */
    public static NDArray images(ArlModel model, float[] pixels, int batch) {
        int s = model.towers().config().vision().imageSize();
        return Tensors.of(model.manager(), pixels, new Shape(batch, 3, s, s)).toType(model.dataType(), false);
    }

    /** The four losses; {@code gatDropout} null computes the GAT without dropout (evaluation, gradient checks). */
    public static Losses compute(ArlModel model, NDArray images, ArlInputs.Batch in, SplittableRandom gatDropout) {
        NDArray entities = model.gat(gatDropout);
        NDArray text = model.encodeText(in.ids(), null);
        NDArray textMask = model.keyMask(in.ids());
        NDArray image = model.encodeImage(images, null);

        NDArray align = ArlLoss.bceWithLogits(model.alignLogits(image.get(":, 0, :"), entities, "image"), in.imageLabels())
                .add(ArlLoss.bceWithLogits(model.alignLogits(text.get(":, 0, :"), entities, "text"), in.textLabels()));

        ArlModel.Knowledge full = model.knowledge(entities, in.entityIds(), in.positions());
        NDArray swapped = rows(image, in.itmImage());
        ArlModel.Fused itmPass = model.fuse(text, textMask, swapped, full, -1);
        NDArray itm = ArlLoss.crossEntropy(model.itmLogits(itmPass.pooled()), in.itmLabels());

        NDArray maskedText = model.encodeText(in.mlmIds(), in.mlmMaskToken());
        ArlModel.Knowledge mlmKnowledge = model.knowledge(entities, in.mlmEntityIds(), in.mlmPositions());
        ArlModel.Fused mlmPass = model.fuse(maskedText, textMask, image, mlmKnowledge, -1);
        NDArray mlm = ArlLoss.crossEntropy(model.mlmLogits(mlmPass.text(), in.mlmFlatPositions()), in.mlmTargets());

        NDArray kept = model.encodeImage(images, in.keep());
        ArlModel.Fused mimPass = model.fuse(text, textMask, kept, full, model.config().mimLayer());
        NDArray mim = ArlLoss.mim(model.mimPredict(mimPass.captured(), in.keep()), images,
                model.towers().config().vision().patchSize(), in.keep());

        NDArray total = itm.mul(Tensors.scalar(itm, ArlLoss.ITM_WEIGHT)).add(mlm.mul(Tensors.scalar(mlm, ArlLoss.MLM_WEIGHT)))
                .add(mim.mul(Tensors.scalar(mim, ArlLoss.MIM_WEIGHT))).add(align.mul(Tensors.scalar(align, ArlLoss.ALIGN_WEIGHT)));
        return new Losses(total, itm, mlm, mim, align);
    }

    /** Rows {@code which} of a (B, L, d) token array (image i reads image which[i]). */
    public static NDArray rows(NDArray tokens, int[] which) {
        long b = tokens.getShape().get(0);
        long l = tokens.getShape().get(1);
        long d = tokens.getShape().get(2);
        long[] idx = new long[which.length * (int) l];
        for (int i = 0; i < which.length; i++) {
            for (int j = 0; j < l; j++) idx[(int) (i * l + j)] = which[i] * l + j;
        }
        return Features.gatherRows(tokens.reshape(b * l, d), idx).reshape(which.length, l, d);
    }
}
