package org.makekit.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.augment.MedCutMix;
import org.makekit.data.TrainingRow;
import org.makekit.loss.Objective;
import org.makekit.model.ClipModel;
import org.makekit.model.Features;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * Loss and gradients of one training step.
 *
 * <p>Direct path (one replica, float32, no micro-batching): one graph over the whole batch.
 *
 * <p>Cached path (micro-batches, several devices, or fp16): exact large batches with bounded memory
 * (gradient caching): (1) embed every image and text without a graph, micro-batch by micro-batch,
 * on every replica; (2) gather the embeddings on the master device, compute the loss there with
 * the embeddings as leaves, and take its gradient with respect to them; (3) re-embed each
 * micro-batch with a graph and back-propagate those gradients into the replica's weights; (4) sum
 * the replicas' gradients into float32 master gradients. Negatives span the whole batch on every
 * device, and the gradients equal the direct path's.
 *
 * <p>The loss is multiplied by {@code lossScale} before backward (fp16); the returned gradients are
 * divided by it again.
 */
public final class StepComputer {
    private final Map<String, NDArray> master;
    private final List<ClipModel> replicas;
    private final boolean shared;
    private final Method method;
    private final Objective objective;
    private final Tokenizer tokenizer;
    private final int microBatch;
    private final int textChunk;
    private MedCutMix medCutMix;

    /** Result: loss and parts (host values), whether every gradient is finite, and master gradients. */
    public record Result(double loss, Map<String, Double> parts, boolean finite, Map<String, NDArray> grads,
                         String firstNonFinite) {}

    /**
     * @param master     float32 master weights (the optimizer's), by OpenCLIP name
     * @param replicas   models that compute; a single float32 replica on the master's arrays is shared
     * @param microBatch images per forward pass with graph (0: whole batch at once)
     * @param textChunk  texts per forward pass
     */
    public StepComputer(Map<String, NDArray> master, List<ClipModel> replicas, Method method, Method.Settings settings,
                        Tokenizer tokenizer, int microBatch, int textChunk) {
        this.master = master;
        this.replicas = replicas;
        this.shared = replicas.size() == 1 && replicas.get(0).parameters().get("logit_scale") == master.get("logit_scale");
        this.method = method;
        this.objective = method.objective().create(settings);
        this.tokenizer = tokenizer;
        this.microBatch = microBatch;
        this.textChunk = Math.max(1, textChunk);
        if (method.needs(Method.Output.CAPTION)) {
            if (!replicas.get(0).config().isCoca()) {
                throw new KitException("method '" + method.id() + "' trains a captioning decoder and needs a CoCa model config "
                        + "(coca-tiny, coca_ViT-B-32 or a JSON with multimodal_cfg); '" + replicas.get(0).config().name()
                        + "' is CLIP");
            }
            if (!direct()) {
                throw new KitException("method '" + method.id() + "' runs on the direct path only (one device, float32, no "
                        + "--micro-batch): gradient caching of the caption loss is not built");
            }
        }
    }

    public boolean direct() {
        return shared && (microBatch <= 0);
    }

    static void zeroGrads(Map<String, NDArray> params) {
        for (NDArray p : params.values()) {
            if (p.hasGradient()) p.getGradient().set(new NDIndex("..."), 0f);
        }
    }

    public Method method() {
        return method;
    }

    /** The objective this step computes (its part names head the metrics log's loss columns). */
    public Objective objective() {
        return objective;
    }

    /** Turns MedCutMix on for this step computer's steps (null: off); see {@link #planMix}. */
    public StepComputer withMedCutMix(MedCutMix m) {
        if (m != null && method.needs(Method.Output.CAPTION)) {
            throw new KitException("--medcutmix with method '" + method.id() + "': mixing inside a captioning model's image "
                    + "tower is not built (CoCa's pooled tokens feed its decoder)");
        }
        this.medCutMix = m;
        return this;
    }

    public MedCutMix medCutMix() {
        return medCutMix;
    }

    /**
     * The batch after MedCutMix for this step (null when it is off): its rows (texts swapped) and how
     * each row's image tokens mix. The attention runs on the first replica, outside every graph.
     */
    public MedCutMix.Plan planMix(float[] pixels, List<TrainingRow> rows, long step) {
        if (medCutMix == null) return null;
        ClipModel m = replicas.get(0);
        int g = m.config().vision().grid();
        return medCutMix.plan(rows, step, m.config().vision().layers(), g * g,
                MedCutMix.attention(m, tokenizer, pixels, medCutMix.options().tau()));
    }

    /** One step with a prepared text batch (tests and the benchmark compare layouts and de-duplication). */
    public Result compute(float[] pixels, List<TrainingRow> rows, TextBatch texts, double lossScale) {
        return compute(pixels, rows, texts, lossScale, null);
    }

    /**
     * One step on a mixed batch: {@code rows} and {@code texts} are the plan's, {@code pixels} the
     * loaded batch's images, which the plan's rows mix inside the image tower (null plan: no mixing).
     */
    public Result compute(float[] pixels, List<TrainingRow> rows, TextBatch texts, double lossScale, MedCutMix.Plan plan) {
        zeroGrads(master);
        for (ClipModel r : replicas) if (!shared) zeroGrads(r.parameters());
        this.plan = plan != null && plan.mixes() ? plan : null;
        try {
            int batch = texts.mask().length;
            if (this.plan != null && this.plan.size() != batch) {
                throw new KitException("medcutmix plan has " + this.plan.size() + " rows, the text batch " + batch);
            }
            if (method.needs(Method.Output.CAPTION)) return computeCaptioning(pixels, batch, texts, rows, lossScale);
            return direct() ? computeDirect(pixels, batch, texts, rows, lossScale) : computeCached(pixels, batch, texts, rows, lossScale);
        } finally {
            this.plan = null;
        }
    }

    /** The mix of the step being computed (null: none). */
    private MedCutMix.Plan plan;

    /** Image features of batch rows [from, from + n): the loaded images, or the plan's mixed rows. */
    private ClipModel.ImageFeatures encodeImages(ClipModel m, float[] pixels, int from, int n) {
        if (plan == null) return m.encodeImage(images(m, pixels, from, n), null);
        int[] sources = plan.sources(from, n);
        return m.encodeImage(MedCutMix.images(m, pixels, sources), null, plan.hook(from, n, sources));
    }

    private NDArray images(ClipModel m, float[] pixels, int from, int n) {
        int size = m.config().vision().imageSize();
        int per = 3 * size * size;
        float[] slice = java.util.Arrays.copyOfRange(pixels, from * per, (from + n) * per);
        return Tensors.of(m.manager(), slice, new Shape(n, 3, size, size)).toType(m.dataType(), false);
    }

    private Result computeDirect(float[] pixels, int batch, TextBatch texts, List<TrainingRow> rows, double lossScale) {
        ClipModel m = replicas.get(0);
        boolean patches = method.needs(Method.Output.PATCHES);
        Objective.Value v;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ClipModel.ImageFeatures f = encodeImages(m, pixels, 0, batch);
            NDArray img = Features.l2normalize(f.global());
            NDArray pat = patches ? Features.l2normalize(f.patches()) : null;
            NDArray txtU = Features.l2normalize(TextEncoder.encodeAll(m, TextEncoder.plan(texts.unique(), tokenizer, textChunk)));
            v = lossAndBackward(gc, img, pat, Features.gatherRows(txtU, texts.rowToUnique()), texts, rows, lossScale);
        }
        return finish(v, lossScale, null);
    }

    /**
     * CoCa's step (direct path): one pass of the text tower gives the contrastive features and the
     * token embeddings; the decoder reads the image's pooled tokens and predicts each next token;
     * only labelled positions (label not the pad id) are projected to the vocabulary.
     */
    private Result computeCaptioning(float[] pixels, int batch, TextBatch texts, List<TrainingRow> rows, double lossScale) {
        ClipModel m = replicas.get(0);
        if (texts.rowToUnique().length != batch) {
            throw new KitException("method '" + method.id() + "' needs one text per image, got " + texts.rowToUnique().length
                    + " for " + batch + " images");
        }
        List<String> captions = new ArrayList<>();
        for (long u : texts.rowToUnique()) captions.add(texts.unique().get((int) u));
        long[][] ids = tokenizer.encode(captions);
        int len = ids[0].length;
        int pad = m.config().coca().padId();
        List<Long> positions = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < len - 1; t++) {
                if (ids[r][t + 1] != pad) {
                    positions.add((long) r * (len - 1) + t);
                    labels.add(ids[r][t + 1]);
                }
            }
        }
        Objective.Value v;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            ClipModel.ImageFeatures f = m.encodeImage(images(m, pixels, 0, batch), null);
            ClipModel.TextTokens tt = m.encodeTextTokens(ids, null);
            NDArray logits = m.decode(tt.tokens().get(":, 0:" + (len - 1) + ", :"), f.patches(),
                    positions.stream().mapToLong(Long::longValue).toArray(), null);
            v = objective.compute(new Objective.Inputs(Features.l2normalize(f.global()), null,
                    Features.l2normalize(tt.features()), texts.mask(), rows, master.get("logit_scale"),
                    master.get(ClipModel.LOGIT_BIAS), new Objective.Caption(logits,
                    labels.stream().mapToLong(Long::longValue).toArray())));
            gc.backward(lossScale == 1.0 ? v.loss() : Tensors.mul(v.loss(), lossScale));
        }
        return finish(v, lossScale, null);
    }

    /** The objective on the features, and its backward (scaled for fp16) inside the caller's collector. */
    private Objective.Value lossAndBackward(GradientCollector gc, NDArray img, NDArray pat, NDArray txt, TextBatch texts,
                                           List<TrainingRow> rows, double lossScale) {
        Objective.Value v = objective.compute(new Objective.Inputs(img, pat, txt, texts.mask(), rows, master.get("logit_scale"),
                master.get(ClipModel.LOGIT_BIAS)));
        gc.backward(lossScale == 1.0 ? v.loss() : Tensors.mul(v.loss(), lossScale));
        return v;
    }

    /** Embeddings computed without a graph and gathered on the master device, as leaves that will hold their gradients. */
    private record Leaves(NDArray image, NDArray patches, NDArray textSorted, long[] rowToSorted) {}

    private Result computeCached(float[] pixels, int batch, TextBatch texts, List<TrainingRow> rows, double lossScale) {
        boolean patches = method.needs(Method.Output.PATCHES);
        List<int[]> imageParts = imageParts(batch);
        TextEncoder.Plan plan = TextEncoder.plan(texts.unique(), tokenizer,
                microBatch > 0 ? Math.min(textChunk, Math.max(1, microBatch * 4)) : textChunk);
        // (1) embeddings without a graph; (2) the loss on them and its gradient with respect to them.
        Leaves l = embedWithoutGraph(pixels, imageParts, plan, texts, patches);
        Objective.Value v;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            v = lossAndBackward(gc, l.image(), l.patches(), Features.gatherRows(l.textSorted(), l.rowToSorted()), texts, rows,
                    lossScale);
        }
        // (3) re-embed with a graph, back-propagating the cached gradients; (4) sum the replicas' gradients.
        backpropImages(pixels, imageParts, l.image().getGradient(), patches ? l.patches().getGradient() : null);
        backpropTexts(plan, l.textSorted().getGradient());
        return finish(v, lossScale, shared ? null : summedReplicaGradients());
    }

    /** Image shards per replica, then micro-batches within a shard: {replica, from, n}. */
    private List<int[]> imageParts(int batch) {
        int r = replicas.size();
        List<int[]> parts = new ArrayList<>();
        for (int i = 0; i < r; i++) {
            int from = (int) ((long) batch * i / r);
            int to = (int) ((long) batch * (i + 1) / r);
            int mb = microBatch > 0 ? microBatch : Math.max(1, to - from);
            for (int s = from; s < to; s += mb) parts.add(new int[] {i, s, Math.min(mb, to - s)});
        }
        return parts;
    }

    private Leaves embedWithoutGraph(float[] pixels, List<int[]> imageParts, TextEncoder.Plan plan, TextBatch texts,
                                     boolean patches) {
        NDArray masterScale = master.get("logit_scale");
        NDList img = new NDList();
        NDList pat = new NDList();
        for (int[] p : imageParts) {
            ClipModel m = replicas.get(p[0]);
            ClipModel.ImageFeatures f = encodeImages(m, pixels, p[1], p[2]);
            img.add(toMaster(Features.l2normalize(f.global()), masterScale));
            if (patches) pat.add(toMaster(Features.l2normalize(f.patches()), masterScale));
        }
        NDList txtParts = new NDList();
        for (int c = 0; c < plan.chunks().size(); c++) {
            ClipModel m = replicas.get(c % replicas.size());
            txtParts.add(toMaster(Features.l2normalize(TextEncoder.encodeChunk(m, plan, plan.chunks().get(c))), masterScale));
        }
        NDArray imgL = NDArrays.concat(img, 0);
        NDArray patL = patches ? NDArrays.concat(pat, 0) : null;
        NDArray txtSorted = NDArrays.concat(txtParts, 0);
        imgL.setRequiresGradient(true);
        if (patL != null) patL.setRequiresGradient(true);
        txtSorted.setRequiresGradient(true);
        // Rows of txtSorted follow the chunks; map each batch text row to its row there.
        long[] uniqueToSorted = new long[texts.unique().size()];
        int pos = 0;
        for (int[] c : plan.chunks()) for (int i : c) uniqueToSorted[i] = pos++;
        long[] rowToSorted = new long[texts.rowToUnique().length];
        for (int i = 0; i < rowToSorted.length; i++) rowToSorted[i] = uniqueToSorted[(int) texts.rowToUnique()[i]];
        return new Leaves(imgL, patL, txtSorted, rowToSorted);
    }

    private void backpropImages(float[] pixels, List<int[]> imageParts, NDArray dImg, NDArray dPat) {
        int row = 0;
        for (int[] p : imageParts) {
            ClipModel m = replicas.get(p[0]);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ClipModel.ImageFeatures f = encodeImages(m, pixels, p[1], p[2]);
                NDArray g = Features.l2normalize(f.global());
                NDArray s = g.mul(slice(dImg, row, p[2], m)).sum();
                if (dPat != null) s = s.add(Features.l2normalize(f.patches()).mul(slice(dPat, row, p[2], m)).sum());
                gc.backward(s);
            }
            row += p[2];
        }
    }

    private void backpropTexts(TextEncoder.Plan plan, NDArray dTxt) {
        int trow = 0;
        for (int c = 0; c < plan.chunks().size(); c++) {
            ClipModel m = replicas.get(c % replicas.size());
            int[] chunk = plan.chunks().get(c);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray t = Features.l2normalize(TextEncoder.encodeChunk(m, plan, chunk));
                gc.backward(t.mul(slice(dTxt, trow, chunk.length, m)).sum());
            }
            trow += chunk.length;
        }
    }

    /**
     * The replicas' gradients summed into buffers for the master (a master array outside every graph
     * has no .grad of its own: DJL hands out a fresh zero tensor for it).
     */
    private Map<String, NDArray> summedReplicaGradients() {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : master.entrySet()) {
            // (DJL's stand-in zero gradient is float32 whatever the parameter's type)
            NDArray acc = e.getValue().getGradient().toType(e.getValue().getDataType(), false).duplicate();
            for (ClipModel m : replicas) {
                NDArray p = m.parameters().get(e.getKey());
                if (p == null || !p.hasGradient()) continue;
                acc.addi(p.getGradient().toDevice(acc.getDevice(), false).toType(acc.getDataType(), false));
            }
            grads.put(e.getKey(), acc);
        }
        return grads;
    }

    private NDArray toMaster(NDArray x, NDArray like) {
        return x.toDevice(like.getDevice(), false).toType(like.getDataType(), false);
    }

    private static NDArray slice(NDArray g, int from, int n, ClipModel m) {
        return g.get(from + ":" + (from + n)).toDevice(m.manager().getDevice(), false).toType(m.dataType(), false);
    }

    private Result finish(Objective.Value v, double lossScale, Map<String, NDArray> summed) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        NDList all = new NDList();
        for (Map.Entry<String, NDArray> e : master.entrySet()) {
            NDArray g = summed != null ? summed.get(e.getKey()) : e.getValue().getGradient();
            if (lossScale != 1.0) g = Tensors.div(g, lossScale);
            grads.put(e.getKey(), g);
            NDArray g0 = g;
            // Scoped: the two masks are the size of the parameter and are dropped at once.
            all.add(Features.scoped(() -> g0.isNaN().logicalOr(g0.isInfinite()).any().toType(DataType.INT32, false).reshape(1)));
        }
        boolean finite = NDArrays.concat(all).sum().toType(DataType.INT64, false).getLong() == 0;
        String bad = null;
        if (!finite) {
            int i = 0;
            for (String k : grads.keySet()) {
                if (all.get(i++).toType(DataType.INT64, false).getLong() != 0) {
                    bad = k;
                    break;
                }
            }
        }
        double loss = v.loss().toType(DataType.FLOAT64, false).getDouble();
        if (!Double.isFinite(loss)) bad = "the loss";
        finite &= Double.isFinite(loss);
        Map<String, Double> parts = new LinkedHashMap<>();
        v.parts().forEach((k, x) -> parts.put(k, x.toType(DataType.FLOAT64, false).getDouble()));
        return new Result(loss, parts, finite, grads, bad);
    }
}
