package org.makekit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.makekit.data.TrainingRow;
import org.makekit.model.ClipModel;

/**
 * One optimisation step, exactly as the trainer takes it: loss and gradients (gradient caching,
 * replicas, fp16 as the {@link StepComputer} is set up), the loss scaler's verdict, AdamW on the
 * float32 master weights, the logit-scale clamp, and the copy back into the replicas. A step with a
 * non-finite gradient or loss changes nothing. The trainer and the benchmark both call this.
 */
public record TrainStep(ClipModel master, List<ClipModel> replicas, StepComputer computer, AdamW optimizer, LossScaler scaler,
                        Consumer<Map<String, NDArray>> gradientHook) {

    /** What a step did: the computed result, whether it was applied, and exp(logit_scale) after it. */
    public record Outcome(StepComputer.Result result, boolean applied, double logitScale) {
        public double loss() {
            return result.loss();
        }
    }

    public TrainStep(ClipModel master, List<ClipModel> replicas, StepComputer computer, AdamW optimizer, LossScaler scaler) {
        this(master, replicas, computer, optimizer, scaler, null);
    }

    /**
     * The same step with a hook that sees (and may change) the master gradients of every finite step
     * before the optimizer applies them: fault injection for the benchmark's sentinel, later clipping.
     */
    public TrainStep withGradientHook(Consumer<Map<String, NDArray>> hook) {
        return new TrainStep(master, replicas, computer, optimizer, scaler, hook);
    }

    /** A step on a batch of rows, their texts laid out as the method says (K sub-sentences). */
    public Outcome run(float[] pixels, List<TrainingRow> rows, int k, double lr) {
        // MedCutMix (when on) first: its rows carry the swapped texts. Steps taken so far, applied or
        // skipped, number the step, so a resumed run mixes as an uninterrupted one.
        org.makekit.augment.MedCutMix.Plan plan = computer.planMix(pixels, rows, optimizer.stepCount() + scaler.skipped());
        List<TrainingRow> batch = plan == null ? rows : plan.rows();
        return run(pixels, batch, TextBatch.of(batch, computer.method().layout(), k), lr, plan);
    }

    /** A step with a prepared text batch. Host values only leave the step's scope. */
    public Outcome run(float[] pixels, List<TrainingRow> rows, TextBatch texts, double lr) {
        return run(pixels, rows, texts, lr, null);
    }

    private Outcome run(float[] pixels, List<TrainingRow> rows, TextBatch texts, double lr, org.makekit.augment.MedCutMix.Plan plan) {
        try (NDScope scope = new NDScope()) {
            StepComputer.Result r = computer.compute(pixels, rows, texts, scaler.scale(), plan);
            boolean applied = scaler.update(r.finite());
            if (applied) {
                if (gradientHook != null) gradientHook.accept(r.grads());
                optimizer.step(r.grads(), lr);
                master.clampLogitScale();
                syncReplicas();
            }
            double logitScale = master.param("logit_scale").exp().toType(DataType.FLOAT64, false).getDouble();
            return new Outcome(r, applied, logitScale);
        }
    }

    /** Copies the master weights into every replica that does not share them (after an update or a restore). */
    public void syncReplicas() {
        for (ClipModel r : replicas) {
            if (r == master) continue;
            for (Map.Entry<String, NDArray> e : master.parameters().entrySet()) {
                NDArray dst = r.parameters().get(e.getKey());
                dst.set(new NDIndex("..."), e.getValue().toDevice(dst.getDevice(), false).toType(dst.getDataType(), false));
            }
        }
    }
}
