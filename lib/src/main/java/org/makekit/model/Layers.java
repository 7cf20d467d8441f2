package org.makekit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Map;
import org.makekit.util.Tensors;

/**
 * The transformer pieces every tower shares, over parameters named as open_clip names them:
 * LayerNorm, pre-LN residual blocks (self-attention or cross-attention, then the MLP) and
 * multi-head attention with packed ({@code in_proj_weight}) or separate ({@code q_proj_weight},
 * {@code k_proj_weight}, {@code v_proj_weight}, as {@code nn.MultiheadAttention} stores them when
 * the key width differs) projections.
 */
final class Layers {
    private final Map<String, NDArray> params;
    private final double lnEps;
    private final boolean quickGelu;

    Layers(Map<String, NDArray> params, double lnEps, boolean quickGelu) {
        this.params = params;
        this.lnEps = lnEps;
        this.quickGelu = quickGelu;
    }

    NDArray param(String name) {
        NDArray p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name);
        return p;
    }

    NDArray layerNorm(NDArray x, String prefix) {
        long w = x.getShape().getLastDimension();
        if (x.getDataType() == DataType.FLOAT64) {
            // DJL's layerNorm takes eps as a float (1e-5f != 1e-5): compute it exactly in double.
            NDArray mu = x.mean(new int[] {-1}, true);
            NDArray xc = x.sub(mu);
            NDArray var = xc.square().mean(new int[] {-1}, true);
            return xc.div(Tensors.add(var, lnEps).sqrt()).mul(param(prefix + ".weight")).add(param(prefix + ".bias"));
        }
        return LayerNorm.layerNorm(x, new Shape(w), param(prefix + ".weight"), param(prefix + ".bias"),
                (float) lnEps).singletonOrThrow();
    }

    /** x + attn(ln_1(x)), then + mlp(ln_2(x)); intermediates freed on return. */
    NDArray block(NDArray x, String prefix, int heads, NDArray mask) {
        return Features.scoped(() -> {
            NDArray y = x.add(attention(layerNorm(x, prefix + "ln_1"), null, prefix + "attn.", heads, mask));
            return y.add(mlp(layerNorm(y, prefix + "ln_2"), prefix));
        });
    }

    /** A cross-attention block (open_clip's is_cross_attention): x + attn(ln_1(x), ln_1_kv(kv)), then the MLP. */
    NDArray crossBlock(NDArray x, NDArray kv, String prefix, int heads) {
        return Features.scoped(() -> {
            NDArray y = x.add(attention(layerNorm(x, prefix + "ln_1"), layerNorm(kv, prefix + "ln_1_kv"), prefix + "attn.",
                    heads, null));
            return y.add(mlp(layerNorm(y, prefix + "ln_2"), prefix));
        });
    }

    private NDArray mlp(NDArray x, String prefix) {
        NDArray h = Linear.linear(x, param(prefix + "mlp.c_fc.weight"), param(prefix + "mlp.c_fc.bias")).singletonOrThrow();
        h = quickGelu ? h.mul(Activation.sigmoid(h.mul(Tensors.scalar(h, 1.702)))) : Activation.gelu(h);
        return Linear.linear(h, param(prefix + "mlp.c_proj.weight"), param(prefix + "mlp.c_proj.bias")).singletonOrThrow();
    }

    /**
     * Multi-head attention of queries {@code q} (B, Lq, W) over {@code kv} (B, Lk, Wkv); {@code kv}
     * null means self-attention. {@code mask} is additive, (Lq, Lk) or (B, 1, Lq, Lk).
     */
    NDArray attention(NDArray q, NDArray kv, String prefix, int heads, NDArray mask) {
        long b = q.getShape().get(0);
        long lq = q.getShape().get(1);
        long w = q.getShape().get(2);
        long d = w / heads;
        NDArray qp;
        NDArray kp;
        NDArray vp;
        if (params.containsKey(prefix + "in_proj_weight") && kv == null) {
            NDList parts = Linear.linear(q, param(prefix + "in_proj_weight"), param(prefix + "in_proj_bias"))
                    .singletonOrThrow().split(3, 2);
            qp = parts.get(0);
            kp = parts.get(1);
            vp = parts.get(2);
        } else {
            NDArray src = kv == null ? q : kv;
            NDList bias = param(prefix + "in_proj_bias").split(3, 0);
            NDArray wq;
            NDArray wk;
            NDArray wv;
            if (params.containsKey(prefix + "in_proj_weight")) {
                NDList ws = param(prefix + "in_proj_weight").split(3, 0);
                wq = ws.get(0);
                wk = ws.get(1);
                wv = ws.get(2);
            } else {
                wq = param(prefix + "q_proj_weight");
                wk = param(prefix + "k_proj_weight");
                wv = param(prefix + "v_proj_weight");
            }
            qp = Linear.linear(q, wq, bias.get(0)).singletonOrThrow();
            kp = Linear.linear(src, wk, bias.get(1)).singletonOrThrow();
            vp = Linear.linear(src, wv, bias.get(2)).singletonOrThrow();
        }
        long lk = kp.getShape().get(1);
        NDArray qh = qp.mul(Tensors.scalar(qp, 1.0 / Math.sqrt(d))).reshape(b, lq, heads, d).transpose(0, 2, 1, 3);
        NDArray kh = kp.reshape(b, lk, heads, d).transpose(0, 2, 3, 1);
        NDArray vh = vp.reshape(b, lk, heads, d).transpose(0, 2, 1, 3);
        NDArray scores = qh.matMul(kh);
        if (mask != null) scores = scores.add(mask);
        NDArray out = scores.softmax(-1).matMul(vh).transpose(0, 2, 1, 3).reshape(b, lq, w);
        return Linear.linear(out, param(prefix + "out_proj.weight"), param(prefix + "out_proj.bias")).singletonOrThrow();
    }
}
