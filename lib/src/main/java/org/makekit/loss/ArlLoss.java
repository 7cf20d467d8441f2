package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * ARL's pretext losses (seed 002; {@code objectives.py} as related-methods.md section 2 reads it): the align
 * loss's binary cross-entropy with logits averaged over B x N entities, cross-entropy for ITM and MLM, and MIM's
 * mean squared error on per-patch normalised pixels averaged over the dropped patches only. Weights of the
 * released pretraining config: ITM 0.1, MLM 1, MIM 1, align 1.
 */
public final class ArlLoss {
    public static final double ITM_WEIGHT = 0.1;
    public static final double MLM_WEIGHT = 1.0;
    public static final double MIM_WEIGHT = 1.0;
    public static final double ALIGN_WEIGHT = 1.0;

    private ArlLoss() {}

    /** torch's BCEWithLogitsLoss (mean): max(x, 0) - x y + log(1 + exp(-|x|)), averaged over every entry. */
    public static NDArray bceWithLogits(NDArray logits, double[][] labels) {
        int b = labels.length;
        int n = labels[0].length;
        if (logits.getShape().get(0) != b || logits.getShape().get(1) != n) {
            throw new KitException("align loss: logits " + logits.getShape() + " for labels (" + b + ", " + n + ")");
        }
        double[] flat = new double[b * n];
        for (int i = 0; i < b; i++) System.arraycopy(labels[i], 0, flat, i * n, n);
        NDArray y = Tensors.of(logits.getManager(), flat, new Shape(b, n), logits.getDataType());
        NDArray e = logits.abs().neg().exp();
        NDArray soft = e.add(Tensors.scalar(e, 1)).log();
        return Activation.relu(logits).sub(logits.mul(y)).add(soft).mean();
    }

    /** Mean cross-entropy of logits (M, C) against class labels (M). */
    public static NDArray crossEntropy(NDArray logits, long[] labels) {
        return CocaLoss.captionLoss(logits, labels);
    }

    /**
     * MIM's loss: images (B, 3, H, W) cut into the ViT's patches (B, P, 3 p p, channel-major as the patch
     * embedding reads them), each normalised by its mean and unbiased variance (eps 1e-6), against predictions
     * (B, P, 3 p p); the squared error averaged over a patch's values, then over the dropped patches (those not
     * in {@code keep}).
     */
    public static NDArray mim(NDArray predictions, NDArray images, int patch, int[][] keep) {
        long b = images.getShape().get(0);
        int g = (int) (images.getShape().get(2) / patch);
        int np = g * g;
        NDArray target = images.reshape(b, 3, g, patch, g, patch).transpose(0, 2, 4, 1, 3, 5).reshape(b, np, 3L * patch * patch);
        long n = target.getShape().get(2);
        NDArray mean = target.mean(new int[] {-1}, true);
        NDArray centred = target.sub(mean);
        NDArray var = centred.square().sum(new int[] {-1}, true).div(Tensors.scalar(target, n - 1.0));
        target = centred.div(var.add(Tensors.scalar(var, 1e-6)).sqrt());
        double[] dropped = new double[(int) b * np];
        java.util.Arrays.fill(dropped, 1);
        for (int i = 0; i < b; i++) for (int k : keep[i]) dropped[i * np + k] = 0;
        NDArray m = Tensors.of(images.getManager(), dropped, new Shape(b, np), predictions.getDataType());
        NDArray perPatch = predictions.sub(target).square().mean(new int[] {-1});
        return perPatch.mul(m).sum().div(m.sum());
    }
}
