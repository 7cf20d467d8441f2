package org.makekit.train;

/**
 * Dynamic loss scaling for fp16 training (as torch.cuda.amp.GradScaler): the loss is multiplied by
 * the scale before backward; a step whose gradients are not finite is skipped and the scale halves;
 * after {@code growthInterval} finite steps in a row the scale doubles.
 */
public final class LossScaler {
    private double scale;
    private final double growth;
    private final double backoff;
    private final int growthInterval;
    private int goodSteps;
    private long skipped;

    public LossScaler(double initScale, double growth, double backoff, int growthInterval) {
        this.scale = initScale;
        this.growth = growth;
        this.backoff = backoff;
        this.growthInterval = growthInterval;
    }

    public static LossScaler defaults() {
        return new LossScaler(65536.0, 2.0, 0.5, 2000);
    }

    /** No scaling (fp32): scale stays 1, but non-finite steps are still skipped. */
    public static LossScaler none() {
        return new LossScaler(1.0, 1.0, 1.0, Integer.MAX_VALUE);
    }

    public double scale() {
        return scale;
    }

    public long skipped() {
        return skipped;
    }

    public int goodSteps() {
        return goodSteps;
    }

    /** Records a step's outcome; returns whether the optimizer may apply it. */
    public boolean update(boolean finite) {
        if (!finite) {
            scale = Math.max(scale * backoff, 1.0 / 65536);
            goodSteps = 0;
            skipped++;
            return false;
        }
        if (++goodSteps >= growthInterval) {
            scale *= growth;
            goodSteps = 0;
        }
        return true;
    }

    /** Restores the scaler from a checkpoint. */
    public void restore(double scale, int goodSteps, long skipped) {
        this.scale = scale;
        this.goodSteps = goodSteps;
        this.skipped = skipped;
    }
}
