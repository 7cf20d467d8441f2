package org.makekit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;

/**
 * AdamW as torch.optim.AdamW (decoupled weight decay, bias-corrected moments, eps added to the
 * corrected root), with OpenCLIP's two parameter groups: weight decay for weight matrices, none for
 * parameters with fewer than 2 dimensions or whose names contain bn, ln, bias or logit_scale.
 * Updates run in place outside any gradient collector (autograd off), on float32 master weights.
 */
public final class AdamW {
    /** OpenCLIP's rule (open_clip_train/main.py): which parameters get no weight decay. */
    public static final Predicate<Map.Entry<String, NDArray>> NO_DECAY = e -> e.getValue().getShape().dimension() < 2
            || e.getKey().contains("bn") || e.getKey().contains("ln") || e.getKey().contains("bias")
            || e.getKey().contains("logit_scale");

    private final Map<String, NDArray> params;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private final Map<String, Boolean> decay = new LinkedHashMap<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private long step;

    public AdamW(Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDManager m = e.getValue().getManager();
            expAvg.put(e.getKey(), m.zeros(e.getValue().getShape(), e.getValue().getDataType()));
            expAvgSq.put(e.getKey(), m.zeros(e.getValue().getShape(), e.getValue().getDataType()));
            decay.put(e.getKey(), !NO_DECAY.test(e));
        }
    }

    /** Whether a parameter is in the weight-decay group. */
    public boolean decays(String name) {
        return decay.get(name);
    }

    public long stepCount() {
        return step;
    }

    /** One update with learning rate lr, given gradients by parameter name (same dtype and device as the params). */
    public void step(Map<String, NDArray> grads, double lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double sqrtBc2 = Math.sqrt(bc2);
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            String n = e.getKey();
            NDArray p = e.getValue();
            NDArray g = grads.get(n);
            if (g == null) continue;
            // One scope per parameter: its temporaries are freed before the next parameter's are made,
            // so the update needs a few arrays of the largest parameter, not several copies of the model.
            try (NDScope scope = new NDScope()) {
                if (decay.get(n) && weightDecay != 0) p.muli(1 - lr * weightDecay); // no graph: the optimizer updates in place, outside autograd
                NDArray m = expAvg.get(n);
                NDArray v = expAvgSq.get(n);
                m.muli(beta1).addi(g.mul(1 - beta1)); // no graph
                v.muli(beta2).addi(g.square().muli(1 - beta2)); // no graph
                NDArray denom = v.sqrt().divi(sqrtBc2).addi(eps); // no graph
                p.subi(m.div(denom).muli(stepSize)); // no graph
            }
        }
    }

    /** Optimizer state as named tensors (exp_avg.NAME, exp_avg_sq.NAME) for a checkpoint. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        expAvg.forEach((k, v) -> s.put("exp_avg." + k, v));
        expAvgSq.forEach((k, v) -> s.put("exp_avg_sq." + k, v));
        return s;
    }

    /** Restores moments (copied in place) and the step count. */
    public void load(Map<String, NDArray> state, long stepCount) {
        for (String k : params.keySet()) {
            copyInto(state.get("exp_avg." + k), expAvg.get(k), "exp_avg." + k);
            copyInto(state.get("exp_avg_sq." + k), expAvgSq.get(k), "exp_avg_sq." + k);
        }
        this.step = stepCount;
    }

    static void copyInto(NDArray src, NDArray dst, String name) {
        if (src == null) throw new org.makekit.util.KitException("optimizer state lacks '" + name + "'");
        if (!src.getShape().equals(dst.getShape())) {
            throw new org.makekit.util.KitException("optimizer state '" + name + "' has shape " + src.getShape() + ", needs " + dst.getShape());
        }
        dst.set(new NDIndex("..."), src.toType(dst.getDataType(), false).toDevice(dst.getDevice(), false));
    }

    public DataType dataType() {
        return params.values().iterator().next().getDataType();
    }
}
