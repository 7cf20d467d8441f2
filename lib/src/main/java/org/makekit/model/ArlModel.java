package org.makekit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * ARL (seed 002, {@code zhjohnchan/ARL}) at any size: CLIP's towers (the image tower as is, the text tower
 * bidirectional with a padding mask), projections to the fusion width with a modality-type embedding, a
 * two-layer graph attention network over the entity graph, the align heads, co-attention fusion layers
 * whose text side carries the knowledge stream, the pooler and the MLM, MIM and ITM heads. The layer
 * maths follow {@code ../shared/notes/related-methods.md} section 2.3 (post-LN BERT sub-layers; the
 * knowledge fusion is {@code LN(Dense(C + P^T K) + C)} with C the text-to-image cross-attention output).
 *
 * <p>Parameters: the towers under their OpenCLIP names (so a CLIP checkpoint or the shared start can seed
 * them), everything ARL adds under {@code arl.}. No dropout outside the GAT (ARL's BERT layers use 0.1).
 */
public final class ArlModel implements AutoCloseable {
    /** A finite "minus infinity" for masks: a row with every key masked stays uniform, never NaN (as ARL's -10000). */
    public static final double MASKED = -10000.0;

    private final ArlConfig config;
    private final ClipModel towers;
    private final Map<String, NDArray> params;
    private final Layers towerLayers;
    private final Layers layers;
    private final int numEntities;
    private final NDArray adjacency;
    private final NDArray decoderPositions;

    private ArlModel(ArlConfig config, ClipModel towers, Map<String, NDArray> own, int numEntities, int[][] edges) {
        this.config = config;
        this.towers = towers;
        this.params = new LinkedHashMap<>(towers.parameters());
        this.params.putAll(own);
        ModelConfig tc = towers.config();
        this.towerLayers = new Layers(towers.parameters(), tc.lnEps(), tc.quickGelu());
        this.layers = new Layers(params, 1e-12, false);
        this.numEntities = numEntities;
        NDManager m = towers.manager();
        double[] adj = new double[numEntities * numEntities];
        java.util.Arrays.fill(adj, MASKED);
        for (int i = 0; i < numEntities; i++) adj[i * numEntities + i] = 0; // GATConv's self-loops
        for (int[] e : edges) adj[e[1] * numEntities + e[0]] = 0;          // edge h -> t: t attends to h
        this.adjacency = Tensors.of(m, adj, new Shape(numEntities, numEntities), towers.dataType());
        this.decoderPositions = Tensors.of(m, sinCos(config.decoderWidth(), tc.vision().grid()),
                new Shape(1 + (long) tc.vision().numPatches(), config.decoderWidth()), towers.dataType());
    }

    public ArlConfig config() {
        return config;
    }

    public ClipModel towers() {
        return towers;
    }

    /** Every parameter (towers first), live arrays. */
    public Map<String, NDArray> parameters() {
        return params;
    }

    public NDManager manager() {
        return towers.manager();
    }

    public DataType dataType() {
        return towers.dataType();
    }

    public int numEntities() {
        return numEntities;
    }

    public NDArray param(String name) {
        NDArray p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name);
        return p;
    }

    // ------------------------------------------------------------------ creation and files

    /** Names and shapes of ARL's own parameters (those under {@code arl.}). */
    public static Map<String, long[]> ownShapes(ArlConfig c, ModelConfig tc, int entities) {
        Map<String, long[]> m = new LinkedHashMap<>();
        int d = c.width();
        int e = tc.embedDim();
        int k = c.knowledgeWidth();
        int hg = c.gatHidden() * c.gatHeads();
        linear(m, "arl.text_proj", d, e);
        linear(m, "arl.image_proj", d, e);
        m.put("arl.type_embedding", new long[] {2, d});
        m.put("arl.mask_token", new long[] {tc.text().width()});
        m.put("arl.entity_embedding", new long[] {entities, k});
        norm(m, "arl.gat.norm", k);
        m.put("arl.gat.0.weight", new long[] {hg, k});
        m.put("arl.gat.0.att_src", new long[] {c.gatHeads(), c.gatHidden()});
        m.put("arl.gat.0.att_dst", new long[] {c.gatHeads(), c.gatHidden()});
        m.put("arl.gat.0.bias", new long[] {hg});
        m.put("arl.gat.1.weight", new long[] {k, hg});
        m.put("arl.gat.1.att_src", new long[] {1, k});
        m.put("arl.gat.1.att_dst", new long[] {1, k});
        m.put("arl.gat.1.bias", new long[] {k});
        for (String side : List.of("image", "text")) {
            linear(m, "arl.align." + side + ".fc1", d, d);
            linear(m, "arl.align." + side + ".fc2", k, d);
        }
        for (int i = 0; i < c.fusionLayers(); i++) {
            String t = "arl.fusion.text." + i + ".";
            attention(m, t + "attn.", d);
            norm(m, t + "ln_attn", d);
            attention(m, t + "cross.", d);
            norm(m, t + "ln_cross", d);
            attention(m, t + "k_attn.", k);
            norm(m, t + "ln_k_attn", k);
            attention(m, t + "k_cross.", k);
            norm(m, t + "ln_k_cross", k);
            linear(m, t + "image2k", k, d);
            linear(m, t + "k2text", d, k);
            linear(m, t + "fuse", d, d);
            norm(m, t + "ln_fuse", d);
            linear(m, t + "ffn.c_fc", 4L * d, d);
            linear(m, t + "ffn.c_proj", d, 4L * d);
            norm(m, t + "ln_ffn", d);
            linear(m, t + "k_ffn.c_fc", c.knowledgeFfn(), k);
            linear(m, t + "k_ffn.c_proj", k, c.knowledgeFfn());
            norm(m, t + "ln_k_ffn", k);
            String v = "arl.fusion.image." + i + ".";
            attention(m, v + "attn.", d);
            norm(m, v + "ln_attn", d);
            attention(m, v + "cross.", d);
            norm(m, v + "ln_cross", d);
            linear(m, v + "ffn.c_fc", 4L * d, d);
            linear(m, v + "ffn.c_proj", d, 4L * d);
            norm(m, v + "ln_ffn", d);
        }
        linear(m, "arl.pool.text", d, d);
        linear(m, "arl.pool.image", d, d);
        linear(m, "arl.itm", 2, 2L * d);
        linear(m, "arl.mlm.transform", d, d);
        norm(m, "arl.mlm.ln", d);
        linear(m, "arl.mlm.decoder", tc.text().vocabSize(), d);
        int dd = c.decoderWidth();
        int pp = tc.vision().patchSize();
        linear(m, "arl.mim.embed", dd, d);
        m.put("arl.mim.mask_token", new long[] {dd});
        for (int i = 0; i < c.decoderLayers(); i++) {
            String p = "arl.mim.blocks." + i + ".";
            attention(m, p + "attn.", dd);
            norm(m, p + "ln_1", dd);
            norm(m, p + "ln_2", dd);
            linear(m, p + "mlp.c_fc", 4L * dd, dd);
            linear(m, p + "mlp.c_proj", dd, 4L * dd);
        }
        norm(m, "arl.mim.ln", dd);
        linear(m, "arl.mim.pred", 3L * pp * pp, dd);
        return m;
    }

    private static void linear(Map<String, long[]> m, String n, long out, long in) {
        m.put(n + ".weight", new long[] {out, in});
        m.put(n + ".bias", new long[] {out});
    }

    private static void norm(Map<String, long[]> m, String n, long w) {
        m.put(n + ".weight", new long[] {w});
        m.put(n + ".bias", new long[] {w});
    }

    private static void attention(Map<String, long[]> m, String p, long w) {
        m.put(p + "in_proj_weight", new long[] {3 * w, w});
        m.put(p + "in_proj_bias", new long[] {3 * w});
        m.put(p + "out_proj.weight", new long[] {w, w});
        m.put(p + "out_proj.bias", new long[] {w});
    }

    /**
     * A new model: towers as given (fresh or loaded CLIP weights), ARL's parameters drawn in Java from {@code seed}
     * (BERT's init: normal(0, 0.02) weights, zero biases, unit LayerNorm gains; the GAT's with Glorot's std), the
     * entity table from {@code entityInit} (TransE, N x k).
     *
     * @param edges directed edges (head, tail) of the entity graph; the GAT adds self-loops
     */
    public static ArlModel create(ArlConfig c, ClipModel towers, double[][] entityInit, int[][] edges, long seed) {
        ModelConfig tc = towers.config();
        int n = entityInit.length;
        if (n == 0 || entityInit[0].length != c.knowledgeWidth()) {
            throw new KitException("ARL config " + c.name() + " needs entity embeddings of width " + c.knowledgeWidth() + ", got "
                    + (n == 0 ? "none" : "width " + entityInit[0].length));
        }
        SplittableRandom rng = new SplittableRandom(seed ^ 0x41524CL);
        Map<String, NDArray> own = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : ownShapes(c, tc, n).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            int size = 1;
            for (long s : shape) size *= (int) s;
            double[] v = new double[size];
            if (name.equals("arl.entity_embedding")) {
                for (int i = 0; i < n; i++) System.arraycopy(entityInit[i], 0, v, i * c.knowledgeWidth(), c.knowledgeWidth());
            } else if (name.endsWith(".bias")) {
                java.util.Arrays.fill(v, 0);
            } else if (isNormWeight(name)) {
                java.util.Arrays.fill(v, 1);
            } else {
                double std = name.startsWith("arl.gat.") ? Math.sqrt(2.0 / (shape[0] + shape[shape.length - 1])) : 0.02;
                for (int i = 0; i < size; i++) v[i] = std * gaussian(rng);
            }
            own.put(name, Tensors.of(towers.manager(), v, new Shape(shape), towers.dataType()));
        }
        return new ArlModel(c, towers, own, n, edges);
    }

    private static boolean isNormWeight(String n) {
        return n.endsWith(".weight") && (n.contains(".ln_") || n.endsWith("ln.weight") || n.endsWith("norm.weight")
                || n.matches(".*\\.ln_[12]\\.weight"));
    }

    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-300))) * Math.cos(2 * Math.PI * u2);
    }

    /** Writes every parameter (towers and ARL) to one safetensors file, with the config name as metadata. */
    public void save(Path file) {
        Safetensors.write(file, params, Map.of("arl_config", config.name(), "towers", config.towers()));
    }

    /** Overwrites the parameters with a file written by {@link #save} (names and shapes must match). */
    public void load(Path file) {
        Safetensors.withTensors(file, t -> {
            for (Map.Entry<String, NDArray> e : params.entrySet()) {
                Safetensors.Tensor s = t.get(e.getKey());
                if (s == null) {
                    throw new KitException(file + " lacks ARL weights '" + e.getKey() + "' (not an ARL checkpoint of " + config.name() + "?)");
                }
                try (NDArray src = s.toNDArray(manager())) {
                    if (src.size() != e.getValue().size()) {
                        throw new KitException(file + ": weights '" + e.getKey() + "' have shape " + src.getShape()
                                + ", the model needs " + e.getValue().getShape());
                    }
                    e.getValue().set(new ai.djl.ndarray.index.NDIndex("..."),
                            src.reshape(e.getValue().getShape()).toType(dataType(), false));
                }
            }
            return null;
        });
    }

    public void requireGradients() {
        for (NDArray p : params.values()) p.setRequiresGradient(true);
    }

    @Override
    public void close() {
        towers.close();
    }

    // ------------------------------------------------------------------ uni-modal encoders

    /**
     * The text tower, bidirectional: token embeddings (rows flagged in {@code maskToken} replaced by the learned
     * mask embedding: CLIP's vocabulary has no mask token), positions, the tower's blocks with keys after each
     * row's EOT masked, ln_final, the text projection, then ARL's projection to d and type embedding 0. (B, T, d).
     */
    public NDArray encodeText(long[][] ids, boolean[][] maskToken) {
        ModelConfig tc = towers.config();
        int b = ids.length;
        int len = ids[0].length;
        if (len > tc.text().contextLength()) {
            throw new KitException("ARL text of " + len + " ids: the tower " + tc.name() + " has " + tc.text().contextLength() + " positions");
        }
        long[] flat = new long[b * len];
        for (int i = 0; i < b; i++) {
            if (ids[i].length != len) throw new KitException("ARL text " + i + " has " + ids[i].length + " ids, row 0 has " + len);
            for (long id : ids[i]) {
                if (id < 0 || id >= tc.text().vocabSize()) throw new KitException("ARL text " + i + ": token id " + id + " outside the vocabulary");
            }
            System.arraycopy(ids[i], 0, flat, i * len, len);
        }
        NDManager m = manager();
        NDArray x = ai.djl.nn.core.Embedding.embedding(Tensors.of(m, flat, new Shape((long) b * len)), param("token_embedding.weight"),
                ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow().reshape(b, len, tc.text().width());
        if (maskToken != null) {
            double[] mk = new double[b * len];
            boolean any = false;
            for (int i = 0; i < b; i++) {
                for (int j = 0; j < len; j++) {
                    if (maskToken[i][j]) {
                        mk[i * len + j] = 1;
                        any = true;
                    }
                }
            }
            if (any) {
                NDArray sel = Tensors.of(m, mk, new Shape(b, len, 1), dataType());
                NDArray keep = Tensors.scalar(sel, 1).sub(sel);
                x = x.mul(keep).add(sel.mul(param("arl.mask_token")));
            }
        }
        NDArray pos = param("positional_embedding");
        x = x.add(len == tc.text().contextLength() ? pos : pos.get("0:" + len));
        NDArray mask = keyMask(ids);
        for (int i = 0; i < tc.text().layers(); i++) x = towerLayers.block(x, "transformer.resblocks." + i + ".", tc.text().heads(), mask);
        x = towerLayers.layerNorm(x, "ln_final").matMul(param("text_projection"));
        return linear(x, "arl.text_proj").add(param("arl.type_embedding").get(0));
    }

    /** Additive key mask (B, 1, 1, T): 0 up to each row's EOT (the largest id), {@link #MASKED} after it. */
    public NDArray keyMask(long[][] ids) {
        int b = ids.length;
        int len = ids[0].length;
        double[] mk = new double[b * len];
        for (int i = 0; i < b; i++) {
            int eot = ClipModel.poolPosition(ids[i]);
            for (int j = eot + 1; j < len; j++) mk[i * len + j] = MASKED;
        }
        return Tensors.of(manager(), mk, new Shape(b, 1, 1, len), dataType());
    }

    /**
     * The image tower: all tokens (class token first) projected by the tower, then ARL's projection to d and type
     * embedding 1. With {@code keep} (B, K patch indices) only the class token and those patches pass through the
     * tower (MIM's masking after the position embedding; ln_pre is per token, so dropping after it is the same).
     */
    public NDArray encodeImage(NDArray images, int[][] keep) {
        ClipModel.TokenHook hook = keep == null ? null : new ClipModel.TokenHook(0, x -> keepTokens(x, keep));
        ClipModel.ImageFeatures f = towers.encodeImage(images, null, hook);
        NDArray tokens = f.global().expandDims(1).concat(f.patches(), 1);
        return linear(tokens, "arl.image_proj").add(param("arl.type_embedding").get(1));
    }

    private static NDArray keepTokens(NDArray x, int[][] keep) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long w = x.getShape().get(2);
        int k = keep[0].length;
        long[] rows = new long[(int) b * (k + 1)];
        for (int i = 0; i < b; i++) {
            if (keep[i].length != k) throw new KitException("MIM keeps " + keep[i].length + " patches in image " + i + ", " + k + " in image 0");
            rows[i * (k + 1)] = i * n;
            for (int j = 0; j < k; j++) rows[i * (k + 1) + 1 + j] = i * n + 1 + keep[i][j];
        }
        return Features.gatherRows(x.reshape(b * n, w), rows).reshape(b, k + 1, w);
    }

    // ------------------------------------------------------------------ knowledge: GAT and align heads

    /**
     * The entity features the align heads and the knowledge stream read (N, k): LayerNorm of the entity table,
     * GATConv (k -> hidden x heads, concatenated; LeakyReLU 0.2 scores, softmax over each node's in-edges and its
     * self-loop), ELU, GATConv (-> k, one head). {@code dropout} (null: none) supplies the training dropout masks.
     */
    public NDArray gat(SplittableRandom dropout) {
        double p = dropout == null ? 0 : config.gatDropout();
        NDArray x = layers.layerNorm(param("arl.entity_embedding"), "arl.gat.norm");
        x = drop(x, p, dropout);
        x = gatLayer(x, "arl.gat.0.", config.gatHeads(), config.gatHidden(), p, dropout);
        x = Activation.elu(x, 1.0f);
        x = drop(x, p, dropout);
        return gatLayer(x, "arl.gat.1.", 1, config.knowledgeWidth(), p, dropout);
    }

    private NDArray gatLayer(NDArray x, String prefix, int heads, int hidden, double p, SplittableRandom rng) {
        long n = x.getShape().get(0);
        NDArray h = x.matMul(param(prefix + "weight").transpose()).reshape(n, heads, hidden).transpose(1, 0, 2); // (H, N, h)
        NDArray src = h.mul(param(prefix + "att_src").expandDims(1)).sum(new int[] {-1});                    // (H, N)
        NDArray dst = h.mul(param(prefix + "att_dst").expandDims(1)).sum(new int[] {-1});
        NDArray scores = dst.expandDims(2).add(src.expandDims(1));                                             // (H, i, j)
        scores = Activation.leakyRelu(scores, 0.2f).add(adjacency);
        NDArray alpha = drop(scores.softmax(-1), p, rng);
        NDArray out = alpha.matMul(h).transpose(1, 0, 2).reshape(n, (long) heads * hidden);
        return out.add(param(prefix + "bias"));
    }

    private NDArray drop(NDArray x, double p, SplittableRandom rng) {
        if (rng == null || p <= 0) return x;
        int size = (int) x.size();
        double[] keep = new double[size];
        double scale = 1 / (1 - p);
        for (int i = 0; i < size; i++) keep[i] = rng.nextDouble() < p ? 0 : scale;
        return x.mul(Tensors.of(manager(), keep, x.getShape(), x.getDataType()));
    }

    /** Align logits (B, N): ReLU(fc2(ReLU(fc1(cls)))) against the entity features, one per entity. */
    public NDArray alignLogits(NDArray cls, NDArray entities, String side) {
        String p = "arl.align." + side + ".";
        NDArray h = Activation.relu(linear(Activation.relu(linear(cls, p + "fc1")), p + "fc2"));
        return h.matMul(entities.transpose());
    }

    /** Entity inputs of the knowledge stream (B, E, k): rows of {@code entities} by id, zeros for -1. */
    public NDArray entityInputs(NDArray entities, int[][] ids) {
        int b = ids.length;
        int e = ids[0].length;
        long n = entities.getShape().get(0);
        NDArray padded = entities.concat(entities.get("0:1").zerosLike(), 0); // row n = zeros
        long[] rows = new long[b * e];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < e; j++) rows[i * e + j] = ids[i][j] < 0 ? n : ids[i][j];
        }
        return Features.gatherRows(padded, rows).reshape(b, e, entities.getShape().get(1));
    }

    /** Additive entity mask (B, 1, 1, E): 0 for entities, {@link #MASKED} for padding (-1). */
    public NDArray entityMask(int[][] ids) {
        int b = ids.length;
        int e = ids[0].length;
        double[] mk = new double[b * e];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < e; j++) mk[i * e + j] = ids[i][j] < 0 ? MASKED : 0;
        }
        return Tensors.of(manager(), mk, new Shape(b, 1, 1, e), dataType());
    }

    // ------------------------------------------------------------------ fusion

    /**
     * The knowledge input of one fusion pass: entity features (B, E, k), their mask and the entity-position
     * matrix P (B, E, T) with ones where an entity covers a token.
     */
    public record Knowledge(NDArray entities, NDArray mask, NDArray positions) {}

    public Knowledge knowledge(NDArray entityFeatures, int[][] ids, double[][][] positions) {
        int b = positions.length;
        int e = positions[0].length;
        int t = positions[0][0].length;
        double[] flat = new double[b * e * t];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < e; j++) System.arraycopy(positions[i][j], 0, flat, (i * e + j) * t, t);
        }
        return new Knowledge(entityInputs(entityFeatures, ids), entityMask(ids),
                Tensors.of(manager(), flat, new Shape(b, e, t), dataType()));
    }

    /**
     * What a fusion pass gives: the text and image streams after the last layer, the pooled [text; image] feature
     * (B, 2d), and the image stream at the input of layer {@code capture}. A pass with a capture layer stops there
     * (MIM reads nothing after it): its text, image and pooled are null.
     */
    public record Fused(NDArray text, NDArray image, NDArray pooled, NDArray captured) {}

    /**
     * The co-attention fusion layers. Text layer: self-attention; the knowledge stream (self-attention over the
     * entities, cross-attention to the image stream entering the layer); text-to-image cross-attention C;
     * {@code LN(Dense(C + P^T Linear(K)) + C)}; FFN. Image layer: self-attention, cross-attention to the text
     * stream entering the layer, FFN. {@code knowledge} null runs without the knowledge stream (S = 0).
     */
    public Fused fuse(NDArray text, NDArray textMask, NDArray image, Knowledge knowledge, int capture) {
        NDArray x = text;
        NDArray y = image;
        NDArray z = knowledge == null ? null : knowledge.entities();
        int d = config.width();
        for (int l = 0; l < config.fusionLayers(); l++) {
            if (l == capture) return new Fused(null, null, null, y);
            String t = "arl.fusion.text." + l + ".";
            NDArray a = post(x, layers.attention(x, null, t + "attn.", config.heads(), textMask), t + "ln_attn");
            NDArray c = post(a, layers.attention(a, y, t + "cross.", config.heads(), null), t + "ln_cross");
            NDArray fusedIn = c;
            if (z != null) {
                NDArray k1 = post(z, layers.attention(z, null, t + "k_attn.", config.knowledgeHeads(), knowledge.mask()), t + "ln_k_attn");
                NDArray yk = linear(y, t + "image2k");
                NDArray k2 = post(k1, layers.attention(k1, yk, t + "k_cross.", config.knowledgeHeads(), null), t + "ln_k_cross");
                NDArray s = knowledge.positions().transpose(0, 2, 1).matMul(linear(k2, t + "k2text"));
                fusedIn = c.add(s);
                z = post(k2, ffn(k2, t + "k_ffn."), t + "ln_k_ffn");
            }
            NDArray cf = post(c, linear(fusedIn, t + "fuse"), t + "ln_fuse");
            NDArray xNext = post(cf, ffn(cf, t + "ffn."), t + "ln_ffn");
            String v = "arl.fusion.image." + l + ".";
            NDArray b1 = post(y, layers.attention(y, null, v + "attn.", config.heads(), null), v + "ln_attn");
            NDArray b2 = post(b1, layers.attention(b1, x, v + "cross.", config.heads(), textMask), v + "ln_cross");
            y = post(b2, ffn(b2, v + "ffn."), v + "ln_ffn");
            x = xNext;
        }
        NDArray pt = linear(x.get(":, 0, :"), "arl.pool.text").tanh();
        NDArray pi = linear(y.get(":, 0, :"), "arl.pool.image").tanh();
        if (d != x.getShape().get(2)) throw new IllegalStateException("fusion width");
        return new Fused(x, y, pt.concat(pi, 1), null);
    }

    private NDArray post(NDArray residual, NDArray update, String ln) {
        return layers.layerNorm(residual.add(update), ln);
    }

    private NDArray ffn(NDArray x, String prefix) {
        return linear(Activation.gelu(linear(x, prefix + "c_fc")), prefix + "c_proj");
    }

    private NDArray linear(NDArray x, String prefix) {
        return Linear.linear(x, param(prefix + ".weight"), param(prefix + ".bias")).singletonOrThrow();
    }

    // ------------------------------------------------------------------ heads

    /** ITM logits (B, 2) from the pooled feature: column 1 = "matched". */
    public NDArray itmLogits(NDArray pooled) {
        return linear(pooled, "arl.itm");
    }

    /** MLM logits (M, V) at flat positions (row * T + token) of the fused text stream. */
    public NDArray mlmLogits(NDArray fusedText, long[] positions) {
        long b = fusedText.getShape().get(0);
        long t = fusedText.getShape().get(1);
        NDArray h = Features.gatherRows(fusedText.reshape(b * t, config.width()), positions);
        h = layers.layerNorm(Activation.gelu(linear(h, "arl.mlm.transform")), "arl.mlm.ln");
        return linear(h, "arl.mlm.decoder");
    }

    /**
     * MIM's decoder: the captured image stream (B, 1 + K, d) of kept patches {@code keep} (B, K) to pixel
     * predictions (B, P, p*p*3) for every patch: embed, mask tokens in the dropped places, fixed 2-D sin-cos
     * positions, pre-LN blocks, LayerNorm, linear; the class token's row is dropped.
     */
    public NDArray mimPredict(NDArray captured, int[][] keep) {
        ModelConfig.Vision v = towers.config().vision();
        int np = v.numPatches();
        int b = keep.length;
        int k = keep[0].length;
        int dd = config.decoderWidth();
        NDArray h = linear(captured, "arl.mim.embed");                       // (B, 1+K, dd)
        NDArray cls = h.get(":, 0:1, :");
        NDArray kept = h.get(":, 1:, :");
        NDArray fill = param("arl.mim.mask_token").reshape(1, 1, dd).repeat(0, b).repeat(1, np - k);
        NDArray all = kept.concat(fill, 1).reshape((long) b * np, dd);    // per image: kept, then mask tokens
        long[] rows = new long[b * np];
        for (int i = 0; i < b; i++) {
            int[] slot = new int[np];
            java.util.Arrays.fill(slot, -1);
            for (int j = 0; j < k; j++) slot[keep[i][j]] = j;
            int next = k;
            for (int q = 0; q < np; q++) rows[i * np + q] = (long) i * np + (slot[q] >= 0 ? slot[q] : next++);
        }
        NDArray x = cls.concat(Features.gatherRows(all, rows).reshape(b, np, dd), 1).add(decoderPositions);
        for (int i = 0; i < config.decoderLayers(); i++) x = layers.block(x, "arl.mim.blocks." + i + ".", config.decoderHeads(), null);
        x = layers.layerNorm(x, "arl.mim.ln");
        return linear(x, "arl.mim.pred").get(":, 1:, :");
    }

    /** MAE's fixed 2-D sin-cos table (1 + P, D), class row zeros: first half from the column, second from the row. */
    static double[] sinCos(int dim, int grid) {
        double[] out = new double[(1 + grid * grid) * dim];
        int quarter = dim / 4;
        for (int r = 0; r < grid; r++) {
            for (int c = 0; c < grid; c++) {
                int base = (1 + r * grid + c) * dim;
                for (int half = 0; half < 2; half++) {
                    double pos = half == 0 ? c : r;
                    for (int i = 0; i < quarter; i++) {
                        double omega = 1.0 / Math.pow(10000, i / (double) quarter);
                        out[base + half * dim / 2 + i] = Math.sin(pos * omega);
                        out[base + half * dim / 2 + quarter + i] = Math.cos(pos * omega);
                    }
                }
            }
        }
        return out;
    }
}
