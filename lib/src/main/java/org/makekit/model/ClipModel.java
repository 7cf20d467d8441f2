package org.makekit.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * CLIP as OpenAI and OpenCLIP build it, with MAKE's patch tokens: a ViT image tower (patch
 * embedding, class token, learned positions, ln_pre, pre-LN blocks, ln_post on all tokens, one
 * projection for the class token and the patches) and a causal text transformer pooled at the EOT
 * token. Parameters live under their OpenCLIP state-dict names, so weights move both ways.
 *
 * <p>Every method builds its intermediates in the calling thread's current {@code NDScope} (or
 * the inputs' manager): wrap calls in an {@code NDScope} to free them.
 */
public final class ClipModel implements AutoCloseable {
    /** Keys that OpenAI's JIT state dicts carry as buffers: accepted and ignored on load. */
    public static final List<String> IGNORED_KEYS = List.of("input_resolution", "context_length", "vocab_size");
    /** Optional parameters: OpenCLIP stores SigLIP's learnable bias as a scalar 'logit_bias'. */
    public static final String LOGIT_BIAS = "logit_bias";

    private final ModelConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final Map<Long, NDArray> causalMasks = new LinkedHashMap<>();
    private final Layers layers;

    private ClipModel(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
        this.config = config;
        this.manager = manager;
        this.params = params;
        this.layers = new Layers(params, config.lnEps(), config.quickGelu());
    }

    public ModelConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** Parameters by OpenCLIP name, in state-dict order. Live arrays: do not close them. */
    public Map<String, NDArray> parameters() {
        return params;
    }

    public NDArray param(String name) {
        NDArray p = params.get(name);
        if (p == null) throw new IllegalArgumentException("no parameter " + name);
        return p;
    }

    public DataType dataType() {
        return params.get("logit_scale").getDataType();
    }

    // ------------------------------------------------------------------ shapes and creation

    /** Every parameter name and its shape, in OpenCLIP's state-dict order. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        if (c.isCoca()) return cocaShapes(c);
        Map<String, long[]> m = new LinkedHashMap<>();
        ModelConfig.Vision v = c.vision();
        ModelConfig.Text t = c.text();
        m.put("positional_embedding", new long[] {t.contextLength(), t.width()});
        m.put("text_projection", new long[] {t.width(), c.embedDim()});
        m.put("logit_scale", new long[] {});
        m.put("visual.class_embedding", new long[] {v.width()});
        m.put("visual.positional_embedding", new long[] {v.numPatches() + 1, v.width()});
        m.put("visual.proj", new long[] {v.width(), c.embedDim()});
        m.put("visual.conv1.weight", new long[] {v.width(), 3, v.patchSize(), v.patchSize()});
        m.put("visual.ln_pre.weight", new long[] {v.width()});
        m.put("visual.ln_pre.bias", new long[] {v.width()});
        blockShapes(m, "visual.transformer.resblocks.", v.layers(), v.width(), v.mlpWidth());
        m.put("visual.ln_post.weight", new long[] {v.width()});
        m.put("visual.ln_post.bias", new long[] {v.width()});
        blockShapes(m, "transformer.resblocks.", t.layers(), t.width(), t.mlpWidth());
        m.put("token_embedding.weight", new long[] {t.vocabSize(), t.width()});
        m.put("ln_final.weight", new long[] {t.width()});
        m.put("ln_final.bias", new long[] {t.width()});
        return m;
    }

    /** CoCa's parameters as open_clip's CoCa.state_dict() names them (text., visual. with attn_pool, text_decoder.). */
    private static Map<String, long[]> cocaShapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        ModelConfig.Vision v = c.vision();
        ModelConfig.Text t = c.text();
        ModelConfig.Coca k = c.coca();
        int e = c.embedDim();
        m.put("logit_scale", new long[] {});
        m.put("text.token_embedding.weight", new long[] {t.vocabSize(), t.width()});
        m.put("text.positional_embedding", new long[] {c.textPositions(), t.width()});
        m.put("text.cls_emb", new long[] {t.width()});
        blockShapes(m, "text.transformer.resblocks.", t.layers(), t.width(), t.mlpWidth());
        m.put("text.ln_final.weight", new long[] {t.width()});
        m.put("text.ln_final.bias", new long[] {t.width()});
        m.put("text.text_projection", new long[] {t.width(), e});
        m.put("visual.class_embedding", new long[] {v.width()});
        m.put("visual.positional_embedding", new long[] {v.numPatches() + 1, v.width()});
        m.put("visual.conv1.weight", new long[] {v.width(), 3, v.patchSize(), v.patchSize()});
        m.put("visual.ln_pre.weight", new long[] {v.width()});
        m.put("visual.ln_pre.bias", new long[] {v.width()});
        blockShapes(m, "visual.transformer.resblocks.", v.layers(), v.width(), v.mlpWidth());
        m.put("visual.attn_pool.query", new long[] {k.poolerQueries(), e});
        m.put("visual.attn_pool.attn.q_proj_weight", new long[] {e, e});
        m.put("visual.attn_pool.attn.k_proj_weight", new long[] {e, v.width()});
        m.put("visual.attn_pool.attn.v_proj_weight", new long[] {e, v.width()});
        m.put("visual.attn_pool.attn.in_proj_bias", new long[] {3L * e});
        m.put("visual.attn_pool.attn.out_proj.weight", new long[] {e, e});
        m.put("visual.attn_pool.attn.out_proj.bias", new long[] {e});
        m.put("visual.attn_pool.ln_q.weight", new long[] {e});
        m.put("visual.attn_pool.ln_q.bias", new long[] {e});
        m.put("visual.attn_pool.ln_k.weight", new long[] {v.width()});
        m.put("visual.attn_pool.ln_k.bias", new long[] {v.width()});
        m.put("visual.ln_post.weight", new long[] {e});
        m.put("visual.ln_post.bias", new long[] {e});
        m.put("visual.proj", new long[] {e, e});
        int dw = k.decoderWidth();
        blockShapes(m, "text_decoder.resblocks.", k.decoderLayers(), dw, k.decoderMlpWidth());
        blockShapes(m, "text_decoder.cross_attn.", k.decoderLayers(), dw, k.decoderMlpWidth());
        for (int i = 0; i < k.decoderLayers(); i++) {
            m.put("text_decoder.cross_attn." + i + ".ln_1_kv.weight", new long[] {dw});
            m.put("text_decoder.cross_attn." + i + ".ln_1_kv.bias", new long[] {dw});
        }
        m.put("text_decoder.ln_final.weight", new long[] {dw});
        m.put("text_decoder.ln_final.bias", new long[] {dw});
        m.put("text_decoder.text_projection", new long[] {dw, k.vocabSize()});
        return m;
    }

    private static void blockShapes(Map<String, long[]> m, String prefix, int layers, int w, int mlp) {
        for (int i = 0; i < layers; i++) {
            String p = prefix + i + ".";
            m.put(p + "attn.in_proj_weight", new long[] {3L * w, w});
            m.put(p + "attn.in_proj_bias", new long[] {3L * w});
            m.put(p + "attn.out_proj.weight", new long[] {w, w});
            m.put(p + "attn.out_proj.bias", new long[] {w});
            m.put(p + "ln_1.weight", new long[] {w});
            m.put(p + "ln_1.bias", new long[] {w});
            m.put(p + "mlp.c_fc.weight", new long[] {mlp, w});
            m.put(p + "mlp.c_fc.bias", new long[] {mlp});
            m.put(p + "mlp.c_proj.weight", new long[] {w, mlp});
            m.put(p + "mlp.c_proj.bias", new long[] {w});
            m.put(p + "ln_2.weight", new long[] {w});
            m.put(p + "ln_2.bias", new long[] {w});
        }
    }

    /**
     * A freshly initialised model, following OpenCLIP's initialisation (normal with the tower's
     * width-dependent std, LayerNorm gains 1 and biases 0, logit scale ln(1/0.07)). The values are
     * drawn in Java from {@code seed}, so they are identical on every engine and device.
     */
    public static ClipModel create(ModelConfig c, NDManager manager, long seed, DataType dtype) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, NDArray> params = new LinkedHashMap<>();
        int vw = c.vision().width();
        int tw = c.text().width();
        for (Map.Entry<String, long[]> e : expectedShapes(c).entrySet()) {
            String full = e.getKey();
            String n = full.startsWith("text.") ? full.substring(5) : full; // CoCa's text tower: the same rules
            long[] shape = e.getValue();
            boolean visual = n.startsWith("visual.");
            boolean decoder = n.startsWith("text_decoder.");
            int width = visual ? vw : decoder ? c.coca().decoderWidth() : tw;
            int layers = visual ? c.vision().layers() : decoder ? c.coca().decoderLayers() : c.text().layers();
            double attnStd = Math.pow(width, -0.5);
            double projStd = attnStd * Math.pow(2.0 * layers, -0.5);
            double fcStd = Math.pow(2.0 * width, -0.5);
            double std;
            double constant = Double.NaN;
            if (n.equals("logit_scale")) {
                constant = Math.log(1 / 0.07);
                std = 0;
            } else if (n.endsWith("ln_1.weight") || n.endsWith("ln_2.weight") || n.matches(".*ln_(pre|post|final|1_kv|q|k)\\.weight")) {
                constant = 1;
                std = 0;
            } else if (n.endsWith(".bias")) {
                constant = 0;
                std = 0;
            } else if (n.equals("token_embedding.weight")) {
                std = 0.02;
            } else if (n.equals("positional_embedding") || n.equals("cls_emb")) {
                std = 0.01;
            } else if (n.equals("visual.attn_pool.query")) {
                std = 1; // torch.randn, as open_clip's AttentionalPooler
            } else if (n.endsWith("_proj_weight")) {
                std = Math.pow(shape[1], -0.5); // q/k/v of the pooler: unit-variance outputs
            } else if (n.equals("text_decoder.text_projection")) {
                std = Math.pow(width, -0.5); // open_clip leaves it uninitialised (torch.empty); this is the init it intends
            } else if (n.endsWith("attn.in_proj_weight")) {
                std = attnStd;
            } else if (n.endsWith("attn.out_proj.weight") || n.endsWith("mlp.c_proj.weight")) {
                std = projStd;
            } else if (n.endsWith("mlp.c_fc.weight")) {
                std = fcStd;
            } else if (n.equals("text_projection")) {
                std = attnStd;
            } else if (n.equals("visual.conv1.weight")) {
                std = Math.pow(3.0 * c.vision().patchSize() * c.vision().patchSize(), -0.5);
            } else {
                std = Math.pow(vw, -0.5); // class embedding, visual positions, visual.proj
            }
            long numel = 1;
            for (long s : shape) numel *= s;
            float[] data = new float[(int) numel];
            for (int i = 0; i < data.length; i++) {
                data[i] = Double.isNaN(constant) ? (float) (rng.nextGaussian() * std) : (float) constant;
            }
            params.put(full, Tensors.of(manager, data, new Shape(shape)).toType(dtype, false));
        }
        return new ClipModel(c, manager, params);
    }

    /**
     * Loads OpenCLIP-named weights from any file {@link WeightFiles} reads (safetensors, torch.save,
     * legacy, TorchScript, a training checkpoint or a model folder). Every expected name must be
     * present with its shape; unknown names are errors (except OpenAI's bookkeeping buffers). Values
     * are converted to {@code dtype}.
     */
    public static ClipModel load(ModelConfig c, Path weights, NDManager manager, DataType dtype) {
        return loadWithReport(c, weights, manager, dtype).model();
    }

    /** A loaded model, what the loader did, and where the kit's config differs from the folder's open_clip_config.json. */
    public record Loaded(ClipModel model, WeightFiles.Report report, List<String> configWarnings) {}

    public static Loaded loadWithReport(ModelConfig c, Path weights, NDManager manager, DataType dtype) {
        return WeightFiles.withWeights(weights, l -> new Loaded(fromTensors(c, l.report().file(), l.tensors(), manager,
                dtype), l.report(), WeightFiles.compare(c, l.report().openClipConfig())));
    }

    /**
     * Checks that {@code file} holds every tensor config {@code c} needs, with its shape, and nothing
     * it does not use (OpenAI's int buffers and SigLIP's logit_bias aside); errors name the file.
     */
    public static void check(ModelConfig c, Path weights, Map<String, Safetensors.Tensor> file) {
        Map<String, long[]> expected = expectedShapes(c);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Safetensors.Tensor t = file.get(e.getKey());
            if (t == null) {
                missing.add(e.getKey());
                continue;
            }
            long[] got = t.shape();
            boolean scalarOk = e.getValue().length == 0 && (got.length == 0 || (got.length == 1 && got[0] == 1));
            if (!scalarOk && !Arrays.equals(got, e.getValue())) {
                throw new KitException("weights file " + weights + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(got) + " but config '" + c.name() + "' needs " + Arrays.toString(e.getValue()));
            }
        }
        if (!missing.isEmpty()) {
            String first = file.isEmpty() ? "" : file.keySet().iterator().next();
            String hint = first.startsWith("vision_model.") || first.startsWith("text_model.")
                    ? " (its names, e.g. '" + first + "', are Hugging Face transformers' CLIPModel names; use the "
                    + "open_clip files of the model, open_clip_pytorch_model.bin or open_clip_model.safetensors)"
                    : first.startsWith("blocks.") || first.startsWith("patch_embed.")
                    ? " (its names, e.g. '" + first + "', are timm's; use the open_clip files of the model)" : "";
            throw new KitException("weights file " + weights + " lacks " + missing.size() + " tensor(s) that config '"
                    + c.name() + "' needs, e.g. '" + missing.get(0) + "'" + (missing.size() > 1 ? " and '"
                    + missing.get(missing.size() - 1) + "'" : "") + hint);
        }
        TreeSet<String> unknown = new TreeSet<>(file.keySet());
        unknown.removeAll(expected.keySet());
        unknown.removeAll(IGNORED_KEYS);
        unknown.remove(LOGIT_BIAS);
        if (!unknown.isEmpty()) {
            throw new KitException("weights file " + weights + " has " + unknown.size() + " tensor(s) that config '"
                    + c.name() + "' does not use, e.g. '" + unknown.first() + "' (wrong config for these weights?)");
        }
    }

    private static ClipModel fromTensors(ModelConfig c, Path weights, Map<String, Safetensors.Tensor> file,
                                         NDManager manager, DataType dtype) {
        check(c, weights, file);
        Map<String, long[]> expected = expectedShapes(c);
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            Safetensors.Tensor t = file.get(e.getKey());
            NDArray a = t.toNDArray(manager);
            if (e.getValue().length == 0 && a.getShape().dimension() > 0) a = a.reshape(new Shape());
            if (a.getDataType() != dtype) {
                NDArray b = a.toType(dtype, false);
                a.close();
                a = b;
            }
            if (!a.getDevice().equals(manager.getDevice())) a = a.toDevice(manager.getDevice(), false);
            params.put(e.getKey(), a);
        }
        if (file.containsKey(LOGIT_BIAS)) {
            NDArray bias = file.get(LOGIT_BIAS).toNDArray(manager).reshape(new Shape()).toType(dtype, false);
            params.put(LOGIT_BIAS, bias.toDevice(manager.getDevice(), false));
        }
        return new ClipModel(c, manager, params);
    }

    /** Adds SigLIP's learnable logit bias (scalar) if the model has none; returns it. */
    public NDArray ensureLogitBias(double init) {
        return params.computeIfAbsent(LOGIT_BIAS, k -> Tensors.scalar(manager, init, dataType()));
    }

    /** A copy of this model on another manager (device) and data type: a replica for multi-device or fp16 compute. */
    public ClipModel replica(NDManager target, DataType dtype) {
        Map<String, NDArray> copy = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            // duplicate() first: toDevice/toType return the same tensor when nothing changes, copy flag or not.
            NDArray a = e.getValue().duplicate().toDevice(target.getDevice(), false).toType(dtype, false);
            a.attach(target);
            copy.put(e.getKey(), a);
        }
        return new ClipModel(config, target, copy);
    }

    /** Saves the weights under OpenCLIP names (atomically), with the config name as metadata. */
    public void save(Path weights) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("makekit_config", config.name());
        Safetensors.write(weights, params, meta);
    }

    /** Makes every parameter trainable (autograd on). */
    public void requireGradients() {
        for (NDArray p : params.values()) p.setRequiresGradient(true);
    }

    @Override
    public void close() {
        for (NDArray p : params.values()) p.close();
        for (NDArray m : causalMasks.values()) m.close();
    }

    // ------------------------------------------------------------------ forward

    /** Raw projected image outputs: the class token (B, E) and the patch tokens (B, P, E), not normalised. */
    public record ImageFeatures(NDArray global, NDArray patches) {}

    /**
     * Encodes normalised images (B, 3, H, W). When {@code trace} is not null, intermediate
     * activations are stored there (ln_pre_out, block{i}_out, ln_post_out).
     */
    public ImageFeatures encodeImage(NDArray images, Map<String, NDArray> trace) {
        return encodeImage(images, trace, null);
    }

    /**
     * A change to the image tower's token sequence (N, 1 + P, W) before block {@code layer} (0: the
     * embedded tokens after ln_pre; {@code layers}: after the last block), in the graph: Manifold-Mixup
     * style augmentations such as MedCutMix's attentive mix. It may return another number of rows.
     */
    public record TokenHook(int layer, java.util.function.UnaryOperator<NDArray> apply) {}

    /** {@link #encodeImage(NDArray, Map)} with a token hook (null: none). */
    public ImageFeatures encodeImage(NDArray images, Map<String, NDArray> trace, TokenHook hook) {
        ModelConfig.Vision v = config.vision();
        if (hook != null && (hook.layer() < 0 || hook.layer() > v.layers())) {
            throw new KitException("token hook at block " + hook.layer() + ": config '" + config.name() + "' has blocks 0.."
                    + v.layers());
        }
        long b = images.getShape().get(0);
        int p = v.patchSize();
        int g = v.grid();
        if (images.getShape().dimension() != 4 || images.getShape().get(1) != 3 || images.getShape().get(2) != v.imageSize()
                || images.getShape().get(3) != v.imageSize()) {
            throw new KitException("images have shape " + images.getShape() + " but config '" + config.name()
                    + "' needs (B, 3, " + v.imageSize() + ", " + v.imageSize() + ")");
        }
        // Patch embedding as one matmul: (B,3,g,p,g,p) -> (B,g,g,3,p,p) -> (B, g*g, 3*p*p) @ W^T.
        NDArray patches = images.reshape(b, 3, g, p, g, p).transpose(0, 2, 4, 1, 3, 5).reshape(b, (long) g * g, 3L * p * p);
        NDArray w = param("visual.conv1.weight").reshape(v.width(), 3L * p * p);
        NDArray x = patches.matMul(w.transpose());
        NDArray cls = param("visual.class_embedding").reshape(1, 1, v.width()).repeat(0, b);
        x = cls.concat(x, 1).add(param("visual.positional_embedding"));
        x = layerNorm(x, "visual.ln_pre");
        put(trace, "ln_pre_out", x);
        for (int i = 0; i < v.layers(); i++) {
            if (hook != null && hook.layer() == i) x = hook.apply().apply(x);
            x = block(x, "visual.transformer.resblocks." + i + ".", v.heads(), null);
            put(trace, "block" + i + "_out", x);
        }
        if (hook != null && hook.layer() == v.layers()) x = hook.apply().apply(x);
        b = x.getShape().get(0);
        if (config.isCoca()) return cocaPool(x, b, trace);
        x = layerNorm(x, "visual.ln_post");
        put(trace, "ln_post_out", x);
        NDArray tokens = x.matMul(param("visual.proj"));
        NDArray global = tokens.get(":, 0, :");
        NDArray patchTokens = tokens.get(":, 1:, :");
        return new ImageFeatures(global, patchTokens);
    }

    /**
     * CoCa's attentional pooler ("the original OpenCLIP CoCa setup"): its queries attend to ln_k of
     * every image token; ln_post goes over all pooled tokens; token 0 times {@code visual.proj} is
     * the contrastive embedding, tokens 1.. (not projected) are what the decoder reads.
     */
    private ImageFeatures cocaPool(NDArray x, long b, Map<String, NDArray> trace) {
        put(trace, "transformer_out", x);
        ModelConfig.Coca k = config.coca();
        NDArray kv = layerNorm(x, "visual.attn_pool.ln_k");
        NDArray q = layerNorm(param("visual.attn_pool.query"), "visual.attn_pool.ln_q");
        q = q.reshape(1, k.poolerQueries(), config.embedDim()).repeat(0, b);
        NDArray pooled = layers.attention(q, kv, "visual.attn_pool.attn.", k.poolerHeads(), null);
        put(trace, "attn_pool_out", pooled);
        pooled = layerNorm(pooled, "visual.ln_post");
        put(trace, "ln_post_out", pooled);
        return new ImageFeatures(pooled.get(":, 0, :").matMul(param("visual.proj")), pooled.get(":, 1:, :"));
    }

    /** CoCa's text tower output: the contrastive features (B, E) and the token embeddings (B, L, W) the decoder reads. */
    public record TextTokens(NDArray features, NDArray tokens) {}

    /**
     * CoCa's text tower (open_clip {@code TextTransformer} with {@code embed_cls}, v2.29.0) on ids
     * (B, L), L up to the context length: a cls token is appended at position L; the mask is causal,
     * and the cls row also masks pads, shifted by one as open_clip does (column j &gt; 0 is seen iff
     * ids[j-1] is not the pad id). Features: ln_final(cls) @ text_projection. Tokens: rows 0..L-1,
     * without ln_final.
     */
    public TextTokens encodeTextTokens(long[][] ids, Map<String, NDArray> trace) {
        if (!config.isCoca()) throw new KitException("encodeTextTokens needs a CoCa config; '" + config.name() + "' is CLIP");
        ModelConfig.Text t = config.text();
        int b = ids.length;
        int len = ids[0].length;
        for (int i = 0; i < b; i++) {
            if (ids[i].length != len || len > t.contextLength()) {
                throw new KitException("text " + i + " has " + ids[i].length + " token ids; config '" + config.name()
                        + "' takes rows of one length up to " + t.contextLength());
            }
            for (long id : ids[i]) {
                if (id < 0 || id >= t.vocabSize()) {
                    throw new KitException("text " + i + " has token id " + id + " outside the vocabulary of " + t.vocabSize()
                            + " (tokenizer does not match config '" + config.name() + "'?)");
                }
            }
        }
        long[] flat = new long[b * len];
        for (int i = 0; i < b; i++) System.arraycopy(ids[i], 0, flat, i * len, len);
        NDArray idArr = Tensors.of(manager, flat, new Shape((long) b * len));
        NDArray x = ai.djl.nn.core.Embedding.embedding(idArr, param("text.token_embedding.weight"),
                ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow().reshape(b, len, t.width());
        NDArray cls = param("text.cls_emb").reshape(1, 1, t.width()).repeat(0, b);
        x = x.concat(cls, 1);
        NDArray pos = param("text.positional_embedding");
        x = x.add(len + 1 == config.textPositions() ? pos : pos.get("0:" + (len + 1)));
        NDArray mask = clsMask(ids, len + 1);
        for (int i = 0; i < t.layers(); i++) x = block(x, "text.transformer.resblocks." + i + ".", t.heads(), mask);
        put(trace, "transformer_out", x);
        NDArray pooled = layerNorm(x.get(":, " + len + ", :"), "text.ln_final");
        return new TextTokens(pooled.matMul(param("text.text_projection")), x.get(":, 0:" + len + ", :"));
    }

    /** The causal mask plus the cls row's shifted pad mask, (B, 1, n, n). */
    private NDArray clsMask(long[][] ids, int n) {
        int b = ids.length;
        int pad = config.coca().padId();
        float[] mk = new float[b * n * n];
        for (int r = 0; r < b; r++) {
            int base = r * n * n;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) mk[base + i * n + j] = Float.NEGATIVE_INFINITY;
            }
            for (int j = 1; j < n; j++) {
                if (ids[r][j - 1] == pad) mk[base + (n - 1) * n + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return Tensors.of(manager, mk, new Shape(b, 1, n, n)).toType(dataType(), false);
    }

    /**
     * CoCa's multimodal decoder: per layer a causal self-attention block over {@code textTokens}
     * (B, L, W), then a cross-attention block to {@code imageTokens} (B, Q-1, E); ln_final and
     * {@code text_decoder.text_projection} give next-token logits (B, L, vocab). With
     * {@code positions} (flat indices into B*L) only those rows are projected: the caption loss
     * needs the labelled positions only.
     */
    public NDArray decode(NDArray textTokens, NDArray imageTokens, long[] positions, Map<String, NDArray> trace) {
        if (!config.isCoca()) throw new KitException("decode needs a CoCa config; '" + config.name() + "' is CLIP");
        ModelConfig.Coca k = config.coca();
        long b = textTokens.getShape().get(0);
        long len = textTokens.getShape().get(1);
        NDArray x = textTokens;
        NDArray mask = causalMask(len);
        for (int i = 0; i < k.decoderLayers(); i++) {
            x = block(x, "text_decoder.resblocks." + i + ".", k.decoderHeads(), mask);
            x = layers.crossBlock(x, imageTokens, "text_decoder.cross_attn." + i + ".", k.decoderHeads());
        }
        x = layerNorm(x, "text_decoder.ln_final");
        put(trace, "ln_final_out", x);
        if (positions != null) {
            x = x.reshape(b * len, k.decoderWidth()).get(Tensors.of(manager, positions));
        }
        return x.matMul(param("text_decoder.text_projection"));
    }

    /** The position the text tower pools at: argmax of the ids (the first EOT, as the official code). */
    public static int poolPosition(long[] ids) {
        int best = 0;
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] > ids[best]) best = i;
        }
        return best;
    }

    /**
     * Encodes token ids (B, context) to raw projected text features (B, E), not normalised.
     * Positions after the last pooled position of the batch cannot influence any pooled token
     * (the mask is causal), so they are not computed unless a trace is asked for.
     */
    public NDArray encodeText(long[][] ids, Map<String, NDArray> trace) {
        if (config.isCoca()) return encodeTextTokens(ids, trace).features();
        ModelConfig.Text t = config.text();
        int b = ids.length;
        int[] pool = new int[b];
        int len = 0;
        for (int i = 0; i < b; i++) {
            if (ids[i].length != t.contextLength()) {
                throw new KitException("text " + i + " has " + ids[i].length + " token ids, config '" + config.name()
                        + "' needs " + t.contextLength());
            }
            for (long id : ids[i]) {
                if (id < 0 || id >= t.vocabSize()) {
                    throw new KitException("text " + i + " has token id " + id + " outside the vocabulary of "
                            + t.vocabSize() + " (tokenizer does not match config '" + config.name() + "'?)");
                }
            }
            pool[i] = poolPosition(ids[i]);
            len = Math.max(len, pool[i] + 1);
        }
        if (trace != null) len = t.contextLength();
        long[] flat = new long[b * len];
        for (int i = 0; i < b; i++) System.arraycopy(ids[i], 0, flat, i * len, len);
        NDManager m = manager;
        NDArray idArr = Tensors.of(m, flat, new Shape((long) b * len));
        // torch.embedding, not advanced indexing: its CPU backward accumulates repeated tokens in a
        // fixed order, so training on CPU is bit-reproducible (index_put's accumulation is not).
        NDArray x = ai.djl.nn.core.Embedding.embedding(idArr, param("token_embedding.weight"),
                ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow().reshape(b, len, t.width());
        // Index arrays stay open until the caller's NDScope closes: a DJL array made from Java data
        // wraps Java-owned memory, and the autograd graph reads it again in backward.
        NDArray pos = len == t.contextLength() ? param("positional_embedding") : param("positional_embedding").get("0:" + len);
        x = x.add(pos);
        put(trace, "embed_out", x);
        NDArray mask = causalMask(len);
        for (int i = 0; i < t.layers(); i++) {
            x = block(x, "transformer.resblocks." + i + ".", t.heads(), mask);
            put(trace, "block" + i + "_out", x);
        }
        x = layerNorm(x, "ln_final");
        put(trace, "ln_final_out", x);
        long[] rows = new long[b];
        for (int i = 0; i < b; i++) rows[i] = (long) i * len + pool[i];
        NDArray rowIdx = Tensors.of(m, rows);
        NDArray pooled = x.reshape((long) b * len, t.width()).get(rowIdx);
        put(trace, "pooled_pre_proj", pooled);
        return pooled.matMul(param("text_projection"));
    }

    /** exp(logit_scale), the multiplier of cosine similarities. */
    public NDArray logitScaleExp() {
        return param("logit_scale").exp();
    }

    /** Clamps the logit scale parameter to [0, ln 100] in place, as the official trainer does after each step. */
    public void clampLogitScale() {
        NDArray ls = param("logit_scale");
        float v = ls.toType(DataType.FLOAT32, false).getFloat();
        float c = (float) Math.max(0, Math.min(Math.log(100), v));
        if (c != v) setScalar(ls, c);
    }

    /** Overwrites a scalar parameter's value in place (its data buffer; autograd is not involved). */
    public static void setScalar(NDArray scalar, double value) {
        // An in-place index_put_ that copies the value: NDArray.set(float[]) would make the tensor's
        // storage a Java buffer.
        if (scalar.getDataType() == DataType.FLOAT64 || scalar.getDataType() == DataType.FLOAT32
                || scalar.getDataType() == DataType.FLOAT16) {
            scalar.set(new ai.djl.ndarray.index.NDIndex("..."), value);
        } else {
            throw new IllegalArgumentException("setScalar on " + scalar.getDataType());
        }
    }

    private NDArray causalMask(long len) {
        return causalMasks.computeIfAbsent(len * 16 + dataType().ordinal(), k -> {
            float[] mk = new float[(int) (len * len)];
            for (int i = 0; i < len; i++) {
                for (int j = i + 1; j < len; j++) mk[(int) (i * len + j)] = Float.NEGATIVE_INFINITY;
            }
            NDArray a = Tensors.of(manager, mk, new Shape(len, len)).toType(dataType(), false);
            ai.djl.ndarray.NDScope.unregister(a);
            return a;
        });
    }

    private NDArray layerNorm(NDArray x, String prefix) {
        return layers.layerNorm(x, prefix);
    }

    private NDArray block(NDArray x, String prefix, int heads, NDArray mask) {
        return layers.block(x, prefix, heads, mask);
    }

    private static void put(Map<String, NDArray> trace, String key, NDArray x) {
        if (trace != null) trace.put(key, x);
    }

    /** Device of the parameters. */
    public Device device() {
        return manager.getDevice();
    }
}
