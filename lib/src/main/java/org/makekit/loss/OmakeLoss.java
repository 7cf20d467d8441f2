package org.makekit.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * O-MAKE's loss (seed 000, as the official {@code MKCLLoss} with {@code --OHCL} computes it): MAKE's
 * loss with OHCL, the ontology-based hierarchical contrastive loss. Image-to-text and text-to-image
 * cross-entropies take soft targets (1 - beta) one-hot + beta softmax(S / temp), where S is the
 * disease similarity between the images' labels (the forced 1 on the hard target), DKW-weighted as
 * coded; SLRA keeps its hard targets. With beta = 0 and no DKW it is MAKE's loss.
 *
 * <p>Memory: the official code builds (nB x nB) target matrices. Here the soft targets are never
 * built: S depends on a text row only through its image, so each row's soft cross-entropy is a
 * weighted sum of its log-probability at the hard target and one per-image sum of
 * exp((S - 1)/temp) log p over the row, the same (B, nB) size as the logits.
 * {@link #softTargetsI2t} and {@link #softTargetsT2i} materialise them for checks.
 *
 * <p>Indexing modes as MAKE's. In {@code compat} the text-to-image rows take the DKW weight at flat
 * position b = r / n (the released code's {@code w[labels_t2i]}); in {@code intended} their own.
 * Where the released code gives a NaN weight (an image with a disease text and no sub-text), the
 * kit's DKW weight is 1 (see {@link MakeLoss#dkwWeights}); it differs only when that image is image 0
 * in compat mode, where the released loss is NaN.
 */
public final class OmakeLoss {
    private OmakeLoss() {}

    /** The similarity of two images' labels (-1 = no label: similarity 0 to everything). */
    public interface LabelSimilarity {
        double of(int labelA, int labelB);

        /** From a square matrix over label indices (the official ontology_distance.npy, or {@code Ontology}'s Wu-Palmer). */
        static LabelSimilarity matrix(double[][] m) {
            return (a, b) -> a < 0 || b < 0 ? 0.0 : m[a][b];
        }
    }

    /**
     * @param make MAKE's options (mode, K, SLRA, DKW, lambdas, sigma)
     * @param beta soft-label share (0.5 in the released training; the curriculum lowers it by epoch)
     * @param temp temperature of the similarity softmax (0.07)
     */
    public record Options(MakeLoss.Options make, double beta, double temp) {
        public Options {
            if (beta < 0 || beta > 1) throw new KitException("OHCL beta must be in [0, 1], got " + beta);
            if (!(temp > 0)) throw new KitException("OHCL temperature must be > 0, got " + temp);
        }

        /** The released recipe: MAKE's full loss, beta 0.5, temperature 0.07. */
        public static Options released(MakeLoss.Mode mode) {
            return new Options(MakeLoss.Options.make(mode), 0.5, 0.07);
        }

        public Options withBeta(double b) {
            return new Options(make, b, temp);
        }
    }

    /**
     * The beta of epoch {@code epoch} (0-based) under the official cosine curriculum
     * ({@code MKCLLoss.step()} after every epoch): beta0 * (1 + cos(pi * min(e / E, 1))) / 2, 0 once e > E.
     */
    public static double curriculumBeta(double beta0, int epoch, int epochs) {
        if (epoch > epochs) return 0;
        return beta0 * 0.5 * (1 + Math.cos(Math.PI * Math.min((double) epoch / epochs, 1.0)));
    }

    /** Everything computed; scalars are 0-d arrays on the graph, the rest on the host. Row arrays are NaN on invalid rows. */
    public record Result(NDArray total, NDArray mkclI2t, NDArray mkclT2i, NDArray mkcl, NDArray slra, NDArray pooled,
                         double[] dkwWeights, double[] t2iWeights, NDArray i2tRowLosses, NDArray t2iRowLosses,
                         long[] validRows, NDArray gatesOpen, NDArray pooledNorm) {}

    /**
     * @param image   (B, D) L2-normalised image features
     * @param patches (B, P, D) patch features (for SLRA)
     * @param text    (B*n, D) text features, image-major
     * @param mask    (B, n) which texts exist
     * @param scale   exp(logit_scale)
     * @param labels  per image, its label index (-1 = none)
     * @param sim     the label similarity
     */
    public static Result compute(NDArray image, NDArray patches, NDArray text, boolean[][] mask, NDArray scale, int[] labels,
                                 LabelSimilarity sim, Options o) {
        MakeLoss.Options mo = o.make();
        int b = (int) image.getShape().get(0);
        int n = mo.textsPerImage();
        int t = b * n;
        if (labels.length != b) throw new KitException("O-MAKE loss: " + labels.length + " labels for " + b + " images");
        if (text.getShape().get(0) != t) {
            throw new KitException("O-MAKE loss: " + b + " images with " + n + " texts each need " + t + " text rows, got " + text.getShape());
        }
        NDManager m = image.getManager();
        DataType dt = image.getDataType();
        double[] w = mo.dkw() ? MakeLoss.dkwWeights(text, mask, b, n, mo.mode()) : ones(t);

        long[] i2tTargets = new long[t];
        int valid = 0;
        for (int r = 0; r < t; r++) {
            boolean ok = mask[r / n][r % n];
            i2tTargets[r] = ok ? r : -100;
            if (ok) valid++;
        }
        if (valid == 0) throw new KitException("O-MAKE loss: every text of the batch is masked");
        // Similarities shifted by the forced diagonal's 1 (values in (0, 1]): g[b][b'] = exp((S(b, b') - 1) / temp).
        double[][] g = new double[b][b];
        for (int i = 0; i < b; i++) for (int j = 0; j < b; j++) g[i][j] = Math.exp((sim.of(labels[i], labels[j]) - 1) / o.temp());
        double beta = o.beta();

        long[] rows = new long[valid];
        long[] flat = new long[valid];
        long[] img = new long[valid];
        double[] alphaI2t = new double[valid];
        double[] gammaI2t = new double[valid];
        double[] wI2t = new double[valid];
        double[] wT2i = new double[valid];
        double[] t2iWeights = nans(t);
        int k = 0;
        for (int r = 0; r < t; r++) {
            if (i2tTargets[r] < 0) continue;
            int bi = r / n;
            double rowSum = 0; // sum over all nB columns of exp((S - 1)/temp), before the forced diagonal
            for (int j = 0; j < b; j++) rowSum += n * g[bi][j];
            double z = rowSum - g[bi][bi] + 1; // the diagonal column r gets S = 1, i.e. exp(0) = 1
            rows[k] = r;
            flat[k] = (long) bi * t + r;
            img[k] = bi;
            alphaI2t[k] = (1 - beta) + beta * (1 - g[bi][bi]) / z;
            gammaI2t[k] = beta / z;
            wI2t[k] = w[r];
            wT2i[k] = mo.dkw() ? (mo.mode() == MakeLoss.Mode.COMPAT ? w[bi] : w[r]) : 1.0;
            t2iWeights[r] = wT2i[k];
            k++;
        }
        NDArray logits = image.matMul(text.transpose()).mul(scale); // (B, T)
        NDArray flatIdx = Tensors.of(m, flat);
        NDArray imgIdx = Tensors.of(m, img);

        // i2t: l_r = -alpha_r log p[b, r] - gamma_r sum_c g[b, c / n] log p[b, c]
        NDArray logpI2t = logits.logSoftmax(1);
        NDArray gCols = Tensors.of(m, columnWeights(g, n)).reshape(b, t).toType(dt, false);
        NDArray perImage = logpI2t.mul(gCols).sum(new int[] {1}); // (B,)
        NDArray i2tRows = Tensors.of(m, alphaI2t).toType(dt, false).mul(logpI2t.reshape(-1).get(flatIdx))
                .add(Tensors.of(m, gammaI2t).toType(dt, false).mul(perImage.get(imgIdx))).neg();

        // t2i: l_r = -(1 - beta) log q[b, r] - beta sum_b' softmax_b'(S(b, b')/temp) log q[b', r]
        NDArray logpT2i = logits.logSoftmax(0);
        NDArray soft = Tensors.of(m, rowSoftmaxForcedDiagonal(g)).reshape(b, b).toType(dt, false);
        NDArray mixed = soft.matMul(logpT2i); // (B, T): row b holds sum_b' soft[b, b'] log q[b', c]
        NDArray t2iRows = Tensors.mul(logpT2i.reshape(-1).get(flatIdx), 1 - beta)
                .add(Tensors.mul(mixed.reshape(-1).get(flatIdx), beta)).neg();

        NDArray i2t = MakeLoss.weightedMean(i2tRows, wI2t, m, dt);
        NDArray t2i = MakeLoss.weightedMean(t2iRows, wT2i, m, dt);
        NDArray mkcl = Tensors.div(i2t.add(t2i), 2);
        NDArray total = Tensors.mul(mkcl, mo.lambdaM());
        MakeLoss.Slra sl = mo.slra() ? MakeLoss.slra(patches, text, i2tTargets, w, scale, mo, b) : null;
        if (sl != null) total = total.add(Tensors.mul(sl.loss(), mo.lambdaS()));
        return new Result(total, i2t, t2i, mkcl, sl == null ? null : sl.loss(), sl == null ? null : sl.pooled(), w, t2iWeights,
                i2tRows, t2iRows, rows, sl == null ? null : sl.gatesOpen(), sl == null ? null : sl.pooledNorm());
    }

    /** (B, nB) weights g[b][c / n]: the per-image sum's weight of text column c. */
    private static double[] columnWeights(double[][] g, int n) {
        int b = g.length;
        double[] out = new double[b * b * n];
        for (int i = 0; i < b; i++) for (int c = 0; c < b * n; c++) out[i * b * n + c] = g[i][c / n];
        return out;
    }

    /** softmax over b' of S(b, b')/temp with S(b, b) = 1, from g = exp((S - 1)/temp). */
    private static double[] rowSoftmaxForcedDiagonal(double[][] g) {
        int b = g.length;
        double[] out = new double[b * b];
        for (int i = 0; i < b; i++) {
            double z = 0;
            for (int j = 0; j < b; j++) z += i == j ? 1 : g[i][j];
            for (int j = 0; j < b; j++) out[i * b + j] = (i == j ? 1 : g[i][j]) / z;
        }
        return out;
    }

    /** The image-to-text soft targets (nB x nB) as the official code builds them; rows of masked texts are 0. */
    public static double[][] softTargetsI2t(int[] labels, boolean[][] mask, LabelSimilarity sim, double beta, double temp) {
        int b = labels.length;
        int n = mask[0].length;
        int t = b * n;
        double[][] q = new double[t][t];
        for (int r = 0; r < t; r++) {
            if (!mask[r / n][r % n]) continue;
            double[] s = new double[t];
            for (int c = 0; c < t; c++) s[c] = sim.of(labels[r / n], labels[c / n]);
            s[r] = 1;
            double[] p = softmax(s, temp);
            for (int c = 0; c < t; c++) q[r][c] = (c == r ? 1 - beta : 0) + beta * p[c];
        }
        return q;
    }

    /** The text-to-image soft targets (nB x B); rows of masked texts are 0. */
    public static double[][] softTargetsT2i(int[] labels, boolean[][] mask, LabelSimilarity sim, double beta, double temp) {
        int b = labels.length;
        int n = mask[0].length;
        double[][] q = new double[b * n][b];
        for (int r = 0; r < b * n; r++) {
            if (!mask[r / n][r % n]) continue;
            double[] s = new double[b];
            for (int j = 0; j < b; j++) s[j] = sim.of(labels[r / n], labels[j]);
            s[r / n] = 1;
            double[] p = softmax(s, temp);
            for (int j = 0; j < b; j++) q[r][j] = (j == r / n ? 1 - beta : 0) + beta * p[j];
        }
        return q;
    }

    private static double[] softmax(double[] s, double temp) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : s) max = Math.max(max, v);
        double[] e = new double[s.length];
        double z = 0;
        for (int i = 0; i < s.length; i++) {
            e[i] = Math.exp((s[i] - max) / temp);
            z += e[i];
        }
        for (int i = 0; i < s.length; i++) e[i] /= z;
        return e;
    }

    private static double[] ones(int t) {
        double[] w = new double[t];
        java.util.Arrays.fill(w, 1.0);
        return w;
    }

    private static double[] nans(int t) {
        double[] w = new double[t];
        java.util.Arrays.fill(w, Double.NaN);
        return w;
    }

    /**
     * O-MAKE as a training objective: labels from each row's diagnosis, beta fixed or, with the
     * cosine curriculum, set by the trainer at each epoch ({@link #startEpoch}).
     */
    public static final class OmakeObjective implements Objective {
        private final Options base;
        private final boolean cosine;
        private final java.util.function.ToIntFunction<org.makekit.data.TrainingRow> label;
        private final LabelSimilarity similarity;
        private volatile Options current;

        public OmakeObjective(Options options, boolean cosine, java.util.function.ToIntFunction<org.makekit.data.TrainingRow> label,
                              LabelSimilarity similarity) {
            this.base = options;
            this.cosine = cosine;
            this.label = label;
            this.similarity = similarity;
            this.current = options;
        }

        public Options options() {
            return current;
        }

        @Override
        public void startEpoch(int epoch, int epochs) {
            if (cosine) current = base.withBeta(curriculumBeta(base.beta(), epoch, epochs));
        }

        @Override
        public Value compute(Inputs in) {
            int[] labels = in.rows().stream().mapToInt(label).toArray();
            Result r = OmakeLoss.compute(in.image(), in.patches(), in.text(), in.mask(), in.logitScale().exp(), labels, similarity, current);
            return MakeLoss.value(r.total(), r.mkclI2t(), r.mkclT2i(), r.slra(), r.gatesOpen(), r.pooledNorm());
        }

        @Override
        public List<String> partNames() {
            return MakeLoss.partNames(base.make().slra());
        }

        @Override
        public double collapseLevel(String part, int images) {
            return new MakeLoss.MakeObjective(base.make()).collapseLevel(part, images);
        }
    }
}
