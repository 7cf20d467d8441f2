package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * MAKE's loss (paper section 2, as the official {@code MKCLLoss} and {@code CLIP.forward} compute it):
 * multi-positive knowledge-image contrastive learning (MKCL), sub-text level alignment with
 * knowledge-enhanced visual vectors pooled from the patches (SLRA), and diagnosis-guided weights
 * (DKW). Total = lambda_m * MKCL + lambda_s * SLRA.
 *
 * <p>Texts come image-major: row {@code r = b*n + k} is text k of image b, with n = 3 + K and
 * k = 0 raw caption, 1 disease (ontology) text, 2 concept text, 3.. sub-sentences. Missing texts
 * carry mask 0: they never are targets, but stay in every softmax denominator as negatives, as in
 * the official code.
 *
 * <p>Memory: the largest tensors are the (B, nB) logits and the (B, P) patch similarities; no
 * (nB x nB) matrix and no (B, P, nB) similarity tensor is built. The cross-entropies gather from one
 * log-softmax per direction; text-to-image reuses the image-to-text logits (transposed softmax axis).
 */
public final class MakeLoss {
    private MakeLoss() {}

    /** How SLRA and DKW index the text batch. */
    public enum Mode {
        /** The official code as released (and as the published checkpoint was trained): type-major indexing. */
        COMPAT,
        /** Per image, as the paper describes. */
        INTENDED;

        public static Mode parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new KitException("loss mode '" + s + "': expected compat or intended");
            }
        }
    }

    /** How SLRA pools the patches into one vector per image. */
    public enum SlraPool {
        /**
         * The released code: gated similarities L2-normalised over the patches, the weighted sum not
         * re-normalised, so its norm reaches sqrt(open patches) and SLRA's logits grow with it.
         */
        OFFICIAL,
        /**
         * The paper's Eq. 5-6 as written: the gated similarities divided by their sum (a weighted mean of
         * the patches), and the cosine similarity to the texts (the pooled vector L2-normalised).
         */
        PAPER;

        public static SlraPool parse(String s) {
            if (s == null) return OFFICIAL;
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new KitException("SLRA pooling '" + s + "': expected official or paper");
            }
        }

        /** An option's value as a run config stores it: null for the default (kept out of saved configs), else "paper". */
        public static String configValue(String s) {
            return parse(s) == OFFICIAL ? null : "paper";
        }
    }

    /**
     * @param mode        compat or intended indexing
     * @param numSubtexts K, sub-sentences per image (0: the knowledge set only, Table 3 row "#")
     * @param slra        add the SLRA term
     * @param dkw         weight image-to-text terms with diagnosis-guided weights
     * @param lambdaM     MKCL weight (1.0)
     * @param lambdaS     SLRA weight (0.7)
     * @param sigma       patch-similarity threshold of SLRA (0.0 in official training)
     * @param pool        SLRA's pooling: official (the released code) or paper (Eq. 5-6)
     */
    public record Options(Mode mode, int numSubtexts, boolean slra, boolean dkw, double lambdaM, double lambdaS,
                          double sigma, SlraPool pool) {
        /** The released code's pooling. */
        public Options(Mode mode, int numSubtexts, boolean slra, boolean dkw, double lambdaM, double lambdaS, double sigma) {
            this(mode, numSubtexts, slra, dkw, lambdaM, lambdaS, sigma, SlraPool.OFFICIAL);
        }

        public Options {
            if (numSubtexts < 0) throw new KitException("number of sub-texts must be >= 0, got " + numSubtexts);
            if ((slra || dkw) && numSubtexts == 0) {
                throw new KitException("SLRA and DKW need sub-texts (K > 0)");
            }
            if (pool == null) pool = SlraPool.OFFICIAL;
        }

        /** The full MAKE loss as the paper trains it. */
        public static Options make(Mode mode) {
            return new Options(mode, 8, true, true, 1.0, 0.7, 0.0);
        }

        public int textsPerImage() {
            return 3 + numSubtexts;
        }

        public Options withMode(Mode m) {
            return new Options(m, numSubtexts, slra, dkw, lambdaM, lambdaS, sigma, pool);
        }
    }

    /** The objective: MKCL, plus SLRA and DKW as the options say. Parts: mkcl_i2t, mkcl_t2i (and slra). */
    public static Objective objective(Options o) {
        return new MakeObjective(o);
    }

    /** The parts MAKE's and O-MAKE's objectives log, then SLRA's diagnostics: the share of open gates and the mean pooled-vector norm. */
    static List<String> partNames(boolean slra) {
        return slra ? List.of("mkcl_i2t", "mkcl_t2i", "slra", "slra_gates_open", "slra_pooled_norm") : List.of("mkcl_i2t", "mkcl_t2i");
    }

    /** The objective value with its parts in {@link #partNames} order (slra null: no SLRA). */
    static Objective.Value value(NDArray total, NDArray i2t, NDArray t2i, NDArray slra, NDArray gatesOpen, NDArray pooledNorm) {
        Map<String, NDArray> parts = new LinkedHashMap<>();
        parts.put("mkcl_i2t", i2t);
        parts.put("mkcl_t2i", t2i);
        if (slra != null) {
            parts.put("slra", slra);
            parts.put("slra_gates_open", gatesOpen);
            parts.put("slra_pooled_norm", pooledNorm);
        }
        return new Objective.Value(total, parts);
    }

    /** MAKE's loss as a training objective, with the options it was built with. */
    public record MakeObjective(Options options) implements Objective {
        @Override
        public Value compute(Inputs in) {
            Result r = MakeLoss.compute(in.image(), in.patches(), in.text(), in.mask(), in.logitScale().exp(), options);
            return value(r.total(), r.mkclI2t(), r.mkclT2i(), r.slra(), r.gatesOpen(), r.pooledNorm());
        }

        @Override
        public List<String> partNames() {
            return MakeLoss.partNames(options.slra());
        }

        /** SLRA has collapsed when every gate is shut: the pooled vectors are zero and the loss is ln(nB), the uniform softmax. */
        @Override
        public double collapseLevel(String part, int images) {
            return options.slra() && part.equals("slra") ? Math.log((double) images * options.textsPerImage()) : Double.NaN;
        }
    }

    /**
     * Everything the loss computed. Scalars are 0-d arrays on the graph; the rest is on the host.
     * Targets use -100 for ignored rows, as PyTorch's ignore_index.
     */
    public record Result(NDArray total, NDArray mkclI2t, NDArray mkclT2i, NDArray mkcl, NDArray slra, NDArray pooled,
                         double[] dkwWeights, long[] i2tTargets, long[] t2iTargets, long[] slraTargets,
                         NDArray gatesOpen, NDArray pooledNorm) {}

    /**
     * @param image   (B, D) L2-normalised global image features
     * @param patches (B, P, D) projected patch features, each L2-normalised
     * @param text    (nB, D) L2-normalised text features, image-major
     * @param mask    (B, n): true where the text exists
     * @param scale   exp(logit_scale), a scalar array
     */
    public static Result compute(NDArray image, NDArray patches, NDArray text, boolean[][] mask, NDArray scale,
                                 Options o) {
        int b = (int) image.getShape().get(0);
        int n = o.textsPerImage();
        int t = b * n;
        checkShapes(image, patches, text, mask, b, n, o);
        NDManager m = image.getManager();
        DataType dt = image.getDataType();

        // Rows that are targets, and their weights.
        double[] w = o.dkw() ? dkwWeights(text, mask, b, n, o.mode()) : ones(t);
        long[] i2tTargets = new long[t];
        long[] t2iTargets = new long[t];
        int valid = 0;
        for (int r = 0; r < t; r++) {
            boolean ok = mask[r / n][r % n];
            i2tTargets[r] = ok ? r : -100;
            t2iTargets[r] = ok ? r / n : -100;
            if (ok) valid++;
        }
        if (valid == 0) throw new KitException("MAKE loss: every text of the batch is masked");
        long[] flat = new long[valid];
        double[] wv = new double[valid];
        int i = 0;
        for (int r = 0; r < t; r++) {
            if (i2tTargets[r] >= 0) {
                flat[i] = (long) (r / n) * t + r; // element (image r/n, text r) of a (B, T) matrix
                wv[i++] = w[r];
            }
        }
        NDArray idx = Tensors.of(m, flat);
        NDArray logits = image.matMul(text.transpose()).mul(scale); // (B, T)
        NDArray ceI2t = logits.logSoftmax(1).reshape(-1).get(idx).neg();
        NDArray ceT2i = logits.logSoftmax(0).reshape(-1).get(idx).neg(); // log-softmax over images = t2i
        NDArray i2t = weightedMean(ceI2t, wv, m, dt);
        NDArray t2i = ceT2i.mean();
        NDArray mkcl = Tensors.div(i2t.add(t2i), 2);

        NDArray total = Tensors.mul(mkcl, o.lambdaM());
        Slra sl = o.slra() ? slra(patches, text, i2tTargets, w, scale, o, b) : null;
        if (sl != null) total = total.add(Tensors.mul(sl.loss(), o.lambdaS()));
        long[] slraTargets = sl != null ? sl.targets() : minus100(t);
        return sl == null ? new Result(total, i2t, t2i, mkcl, null, null, w, i2tTargets, t2iTargets, slraTargets, null, null)
                : new Result(total, i2t, t2i, mkcl, sl.loss(), sl.pooled(), w, i2tTargets, t2iTargets, slraTargets, sl.gatesOpen(),
                sl.pooledNorm());
    }

    /** SLRA's loss, its pooled vectors and diagnostics, and its hard target per text row (-100 = none). */
    record Slra(NDArray loss, NDArray pooled, NDArray gatesOpen, NDArray pooledNorm, long[] targets) {}

    /**
     * SLRA (shared with O-MAKE, which keeps its hard targets): pool the patches against each image's
     * caption row, then a DKW-weighted cross-entropy of every valid text row that is not ignored.
     */
    static Slra slra(NDArray patches, NDArray text, long[] i2tTargets, double[] w, NDArray scale, Options o, int b) {
        NDManager m = text.getManager();
        int n = o.textsPerImage();
        int t = b * n;
        long[] sel = new long[b];
        for (int j = 0; j < b; j++) sel[j] = o.mode() == Mode.COMPAT ? j : (long) j * n;
        Pool pool = pool(patches, text.get(Tensors.of(m, sel)), o.sigma(), o.pool());
        NDArray pooledNorm = pool.pooled().stopGradient().norm(new int[] {1}).mean();
        long[] targets = minus100(t);
        int count = 0;
        for (int r = 0; r < t; r++) {
            boolean ignored = o.mode() == Mode.COMPAT ? r < b : r % n == 0;
            if (i2tTargets[r] >= 0 && !ignored) {
                targets[r] = r;
                count++;
            }
        }
        if (count == 0) { // no SLRA target in this batch: a zero that keeps the graph
            return new Slra(Tensors.mul(scale, 0), pool.pooled(), pool.gatesOpen(), pooledNorm, targets);
        }
        long[] sflat = new long[count];
        double[] sw = new double[count];
        int k = 0;
        for (int r = 0; r < t; r++) {
            if (targets[r] >= 0) {
                sflat[k] = (long) (r / n) * t + r;
                sw[k++] = w[r];
            }
        }
        NDArray vlogits = pool.pooled().matMul(text.transpose()).mul(scale);
        NDArray ce = vlogits.logSoftmax(1).reshape(-1).get(Tensors.of(m, sflat)).neg();
        return new Slra(weightedMean(ce, sw, m, text.getDataType()), pool.pooled(), pool.gatesOpen(), pooledNorm, targets);
    }

    static long[] minus100(int t) {
        long[] a = new long[t];
        java.util.Arrays.fill(a, -100);
        return a;
    }

    /**
     * SLRA pooling: s_p = patch_p . text_b, weights ReLU-like (s_p if s_p >= sigma else 0, the gate
     * constant), L2-normalised over patches (denominator max(norm, 1e-12)), then the weighted sum of
     * the patches. Gradients flow into the patches and the text; the result is not normalised.
     */
    public static NDArray slraPool(NDArray patches, NDArray textPerImage, double sigma) {
        return pool(patches, textPerImage, sigma, SlraPool.OFFICIAL).pooled();
    }

    /** SLRA's pooled vectors (B, D) and, detached, the share of open gates over all B x P patch similarities. */
    record Pool(NDArray pooled, NDArray gatesOpen) {}

    static Pool pool(NDArray patches, NDArray textPerImage, double sigma, SlraPool kind) {
        NDArray sim = patches.batchMatMul(textPerImage.expandDims(2)).squeeze(2); // (B, P)
        NDArray gate = sim.stopGradient().gte(sigma).toType(sim.getDataType(), false);
        NDArray wts = sim.mul(gate);
        NDArray n = kind == SlraPool.PAPER ? wts.sum(new int[] {1}, true) : wts.norm(new int[] {1}, true);
        NDArray norm = Tensors.maximum(n, 1e-12);
        NDArray wn = wts.div(norm);
        NDArray pooled = wn.expandDims(1).batchMatMul(patches).squeeze(1); // (B, D)
        if (kind == SlraPool.PAPER) pooled = pooled.div(Tensors.maximum(pooled.norm(new int[] {1}, true), 1e-12));
        return new Pool(pooled, gate.mean());
    }

    /**
     * Diagnosis-guided weights, detached, indexed by text row r = b*n + k: 1 for k < 3; for
     * sub-text j, softmax over the image's valid sub-texts of their similarity to the disease text,
     * divided by the row maximum (0 for a missing sub-text). A row is all ones when the disease text
     * is missing, and also when every sub-text is missing (the official code gives NaN there; those
     * weights are never used since such rows are never targets).
     */
    public static double[] dkwWeights(NDArray text, boolean[][] mask, int b, int n, Mode mode) {
        int k = n - 3;
        long[] ontRows = new long[b];
        long[] subRows = new long[b * k];
        for (int i = 0; i < b; i++) {
            ontRows[i] = mode == Mode.COMPAT ? b + i : (long) i * n + 1;
            for (int j = 0; j < k; j++) {
                subRows[i * k + j] = mode == Mode.COMPAT ? (long) (3 + j) * b + i : (long) i * n + 3 + j;
            }
        }
        NDManager m = text.getManager();
        NDArray tt = text.stopGradient();
        NDArray ont = tt.get(Tensors.of(m, ontRows));
        NDArray subs = tt.get(Tensors.of(m, subRows)).reshape(b, k, text.getShape().get(1));
        double[] sims = subs.batchMatMul(ont.expandDims(2)).squeeze(2).toType(DataType.FLOAT64, false).toDoubleArray();
        double[] w = ones(b * n);
        for (int i = 0; i < b; i++) {
            if (!mask[i][1]) continue; // no disease text: the row stays all ones
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) if (mask[i][3 + j]) max = Math.max(max, sims[i * k + j]);
            if (max == Double.NEGATIVE_INFINITY) continue; // no sub-text at all: defined as ones (never used)
            double[] e = new double[k];
            double sum = 0;
            for (int j = 0; j < k; j++) {
                e[j] = mask[i][3 + j] ? Math.exp(sims[i * k + j] - max) : 0;
                sum += e[j];
            }
            double top = 0;
            for (int j = 0; j < k; j++) {
                e[j] /= sum;
                top = Math.max(top, e[j]);
            }
            for (int j = 0; j < k; j++) w[i * n + 3 + j] = e[j] / top;
        }
        return w;
    }

    static NDArray weightedMean(NDArray values, double[] weights, NDManager m, DataType dt) {
        double sum = 0;
        boolean allOnes = true;
        for (double x : weights) {
            sum += x;
            allOnes &= x == 1.0;
        }
        if (allOnes) return values.mean();
        NDArray wa = Tensors.of(m, weights).toType(dt, false);
        return Tensors.div(values.mul(wa).sum(), sum);
    }

    private static double[] ones(int n) {
        double[] w = new double[n];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }

    private static void checkShapes(NDArray image, NDArray patches, NDArray text, boolean[][] mask, int b, int n,
                                    Options o) {
        long d = image.getShape().get(1);
        if (text.getShape().get(0) != (long) b * n || text.getShape().get(1) != d) {
            throw new KitException("MAKE loss: " + b + " images with " + n + " texts each (3 + K=" + o.numSubtexts()
                    + ") need text features of shape (" + (long) b * n + ", " + d + "), got " + text.getShape());
        }
        if (o.slra() && (patches == null || patches.getShape().dimension() != 3 || patches.getShape().get(0) != b
                || patches.getShape().get(2) != d)) {
            throw new KitException("MAKE loss: SLRA needs patch features of shape (" + b + ", P, " + d + "), got "
                    + (patches == null ? "none" : patches.getShape()));
        }
        if (mask.length != b) throw new KitException("MAKE loss: caption mask has " + mask.length + " rows, batch has " + b);
        for (int i = 0; i < b; i++) {
            if (mask[i].length != n) {
                throw new KitException("MAKE loss: caption mask row " + i + " has " + mask[i].length + " entries, need " + n);
            }
        }
    }
}
