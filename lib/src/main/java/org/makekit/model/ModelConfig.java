package org.makekit.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.makekit.util.KitException;

/**
 * A CLIP model configuration, in OpenCLIP's JSON shape ({@code embed_dim}, {@code quick_gelu},
 * {@code vision_cfg}, {@code text_cfg}) plus the tokenizer to use. Unknown fields are errors, so a
 * typo never silently falls back to a default.
 *
 * @param name          config name (file name without .json, or the "name" field)
 * @param embedDim      shared embedding width
 * @param quickGelu     QuickGELU x*sigmoid(1.702x) (OpenAI weights) or exact GELU
 * @param vision        the image tower
 * @param text          the text tower
 * @param tokenizer     "clip-bpe" (OpenAI's 49,408-token BPE) or "gpt2-r50k" (GPT-2 BPE via JTokkit)
 * @param lnEps         LayerNorm epsilon
 * @param coca          CoCa's parts (open_clip's {@code multimodal_cfg} with the attentional pooler and the
 *                      text cls token), or null for CLIP
 */
public record ModelConfig(String name, int embedDim, boolean quickGelu, Vision vision, Text text, String tokenizer,
                          double lnEps, Coca coca) {

    /** Image tower: square images of {@code imageSize} px cut into {@code patchSize} px patches. */
    public record Vision(int imageSize, int patchSize, int width, int layers, int heads, double mlpRatio) {
        public int grid() {
            return imageSize / patchSize;
        }

        public int numPatches() {
            return grid() * grid();
        }

        public int mlpWidth() {
            return (int) Math.round(width * mlpRatio);
        }
    }

    /**
     * CoCa (open_clip {@code coca_model.py}): an attentional pooler of {@code poolerQueries} queries
     * over the image tokens (query 0 is the contrastive embedding, the rest feed the decoder), a cls
     * token appended to the text, and a multimodal decoder (causal self-attention, then cross-attention
     * to the image tokens) predicting the next token over {@code vocabSize} ids.
     */
    public record Coca(int poolerQueries, int poolerHeads, int decoderWidth, int decoderLayers, int decoderHeads,
                       double decoderMlpRatio, int vocabSize, int padId) {
        public int decoderMlpWidth() {
            return (int) Math.round(decoderWidth * decoderMlpRatio);
        }
    }

    /** Causal text tower. */
    public record Text(int contextLength, int vocabSize, int width, int layers, int heads, double mlpRatio) {
        public int mlpWidth() {
            return (int) Math.round(width * mlpRatio);
        }
    }

    private static final Set<String> TOP = Set.of("name", "description", "embed_dim", "quick_gelu", "vision_cfg",
            "text_cfg", "tokenizer", "ln_eps", "multimodal_cfg", "custom_text");
    private static final Set<String> VISION = Set.of("image_size", "patch_size", "width", "layers", "heads",
            "head_width", "mlp_ratio", "attentional_pool", "attn_pooler_queries", "attn_pooler_heads", "output_tokens");
    private static final Set<String> TEXT = Set.of("context_length", "vocab_size", "width", "layers", "heads",
            "head_width", "mlp_ratio", "embed_cls", "output_tokens", "pad_id");
    private static final Set<String> MULTIMODAL = Set.of("context_length", "vocab_size", "width", "layers", "heads",
            "head_width", "mlp_ratio", "attn_pooler_heads");
    public static final Set<String> TOKENIZERS = Set.of("clip-bpe", "gpt2-r50k");

    /** The configs shipped with the kit. */
    public static final Set<String> BUILTIN = Set.of("tiny", "small", "ViT-B-16", "coca-tiny", "coca_ViT-B-32");

    /** A built-in config by name ("tiny", "small", "ViT-B-16"), or a JSON file path. */
    public static ModelConfig load(String nameOrPath) {
        if (BUILTIN.contains(nameOrPath)) {
            String res = "configs/" + nameOrPath + ".json";
            try (InputStream in = ModelConfig.class.getResourceAsStream(res)) {
                if (in == null) throw new KitException("built-in model config missing from the jar: " + res);
                return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in config " + nameOrPath,
                        nameOrPath);
            } catch (IOException e) {
                throw new KitException("cannot read built-in config " + nameOrPath, e);
            }
        }
        Path p = Path.of(nameOrPath);
        try {
            String fallback = p.getFileName().toString().replaceFirst("\\.json$", "");
            return parse(Files.readString(p), "model config " + p, fallback);
        } catch (NoSuchFileException e) {
            throw new KitException("model config not found: " + nameOrPath + " (built-in configs: " + BUILTIN + ")");
        } catch (IOException e) {
            throw new KitException("cannot read model config " + nameOrPath, e);
        }
    }

    /** Parses a config's JSON text; {@code where} names the source in error messages. */
    public static ModelConfig parse(String json, String where, String fallbackName) {
        JsonObject o;
        try {
            JsonElement e = org.makekit.util.Json.parse(json);
            if (!e.isJsonObject()) throw new KitException(where + ": expected a JSON object");
            o = e.getAsJsonObject();
        } catch (KitException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new KitException(where + ": not valid JSON", e);
        }
        checkKeys(o, TOP, where, "");
        JsonObject v = object(o, "vision_cfg", where);
        JsonObject t = object(o, "text_cfg", where);
        checkKeys(v, VISION, where, "vision_cfg.");
        checkKeys(t, TEXT, where, "text_cfg.");
        int vWidth = positive(v, "width", where, "vision_cfg.");
        int tWidth = positive(t, "width", where, "text_cfg.");
        Vision vision = new Vision(positive(v, "image_size", where, "vision_cfg."),
                positive(v, "patch_size", where, "vision_cfg."), vWidth, positive(v, "layers", where, "vision_cfg."),
                heads(v, vWidth, where, "vision_cfg."), ratio(v, where, "vision_cfg."));
        Text text = new Text(positive(t, "context_length", where, "text_cfg."),
                positive(t, "vocab_size", where, "text_cfg."), tWidth, positive(t, "layers", where, "text_cfg."),
                heads(t, tWidth, where, "text_cfg."), ratio(t, where, "text_cfg."));
        if (vision.imageSize() % vision.patchSize() != 0) {
            throw new KitException(where + ": vision_cfg.image_size " + vision.imageSize()
                    + " is not a multiple of vision_cfg.patch_size " + vision.patchSize());
        }
        String tok = o.has("tokenizer") ? o.get("tokenizer").getAsString() : "clip-bpe";
        if (!TOKENIZERS.contains(tok)) {
            throw new KitException(where + ": field 'tokenizer' is '" + tok + "', expected one of " + TOKENIZERS);
        }
        String name = o.has("name") ? o.get("name").getAsString() : fallbackName;
        Coca coca = null;
        boolean pool = v.has("attentional_pool") && v.get("attentional_pool").getAsBoolean();
        boolean cls = t.has("embed_cls") && t.get("embed_cls").getAsBoolean();
        if (o.has("multimodal_cfg")) {
            JsonObject mm = object(o, "multimodal_cfg", where);
            checkKeys(mm, MULTIMODAL, where, "multimodal_cfg.");
            if (!pool || !cls) {
                throw new KitException(where + ": a CoCa config (multimodal_cfg) needs vision_cfg.attentional_pool and "
                        + "text_cfg.embed_cls true, as open_clip's coca configs have");
            }
            int mw = positive(mm, "width", where, "multimodal_cfg.");
            if (mw != tWidth) {
                throw new KitException(where + ": multimodal_cfg.width " + mw + " must equal text_cfg.width " + tWidth
                        + " (the decoder reads the text tower's token embeddings)");
            }
            if (mw != positive(o, "embed_dim", where, "")) {
                throw new KitException(where + ": multimodal_cfg.width " + mw + " must equal embed_dim (the decoder "
                        + "cross-attends to the attentional pooler's tokens, which have embed_dim)");
            }
            int queries = v.has("attn_pooler_queries") ? positive(v, "attn_pooler_queries", where, "vision_cfg.") : 256;
            if (queries < 2) throw new KitException(where + ": vision_cfg.attn_pooler_queries must be at least 2");
            int poolHeads = v.has("attn_pooler_heads") ? positive(v, "attn_pooler_heads", where, "vision_cfg.") : 8;
            int embed = positive(o, "embed_dim", where, "");
            if (embed % poolHeads != 0) {
                throw new KitException(where + ": vision_cfg.attn_pooler_heads " + poolHeads + " does not divide embed_dim " + embed);
            }
            int padId = t.has("pad_id") ? t.get("pad_id").getAsInt() : 0;
            coca = new Coca(queries, poolHeads, mw, positive(mm, "layers", where, "multimodal_cfg."),
                    heads(mm, mw, where, "multimodal_cfg."), ratio(mm, where, "multimodal_cfg."),
                    positive(mm, "vocab_size", where, "multimodal_cfg."), padId);
        } else if (pool || cls) {
            throw new KitException(where + ": attentional_pool / embed_cls without multimodal_cfg: only the CoCa "
                    + "structure of these options is built (add multimodal_cfg)");
        }
        return new ModelConfig(name, positive(o, "embed_dim", where, ""),
                o.has("quick_gelu") && o.get("quick_gelu").getAsBoolean(), vision, text, tok,
                o.has("ln_eps") ? o.get("ln_eps").getAsDouble() : 1e-5, coca);
    }

    private static void checkKeys(JsonObject o, Set<String> allowed, String where, String prefix) {
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (!allowed.contains(e.getKey())) {
                throw new KitException(where + ": unknown field '" + prefix + e.getKey() + "' (allowed: "
                        + new java.util.TreeSet<>(allowed) + ")");
            }
        }
    }

    private static JsonObject object(JsonObject o, String key, String where) {
        if (!o.has(key) || !o.get(key).isJsonObject()) {
            throw new KitException(where + ": missing object field '" + key + "'");
        }
        return o.getAsJsonObject(key);
    }

    private static int positive(JsonObject o, String key, String where, String prefix) {
        if (!o.has(key)) throw new KitException(where + ": missing field '" + prefix + key + "'");
        try {
            int v = o.get(key).getAsInt();
            if (v <= 0 || o.get(key).getAsDouble() != v) throw new NumberFormatException();
            return v;
        } catch (RuntimeException e) {
            throw new KitException(where + ": field '" + prefix + key + "' must be a positive integer, got "
                    + o.get(key));
        }
    }

    private static int heads(JsonObject o, int width, String where, String prefix) {
        int heads;
        if (o.has("heads")) {
            heads = positive(o, "heads", where, prefix);
        } else {
            int hw = o.has("head_width") ? positive(o, "head_width", where, prefix) : 64;
            heads = Math.max(1, width / hw);
        }
        if (width % heads != 0) {
            throw new KitException(where + ": field '" + prefix + "heads' = " + heads + " does not divide width "
                    + width);
        }
        return heads;
    }

    private static double ratio(JsonObject o, String where, String prefix) {
        if (!o.has("mlp_ratio")) return 4.0;
        double r = o.get("mlp_ratio").getAsDouble();
        if (!(r > 0)) throw new KitException(where + ": field '" + prefix + "mlp_ratio' must be > 0");
        return r;
    }

    /** The same config with other head counts (OpenAI weights imply heads = width / 64). */
    public ModelConfig withHeads(int visionHeads, int textHeads) {
        return new ModelConfig(name, embedDim, quickGelu,
                new Vision(vision.imageSize, vision.patchSize, vision.width, vision.layers, visionHeads, vision.mlpRatio),
                new Text(text.contextLength, text.vocabSize, text.width, text.layers, textHeads, text.mlpRatio),
                tokenizer, lnEps, coca);
    }

    /**
     * The CoCa config that stands beside a CLIP config in the tables: tiny -> coca-tiny, ViT-B-16 ->
     * coca_ViT-B-32 (the paper's CoCa baseline is open_clip's coca_ViT-B-32); a CoCa config is itself.
     */
    public static String captioningCounterpart(String nameOrPath) {
        if (nameOrPath.equals("tiny")) return "coca-tiny";
        if (nameOrPath.equals("ViT-B-16")) return "coca_ViT-B-32";
        if (load(nameOrPath).isCoca()) return nameOrPath;
        throw new KitException("no CoCa counterpart of model config '" + nameOrPath + "': CoCa rows need a CoCa config "
                + "(coca-tiny, coca_ViT-B-32, or a JSON with multimodal_cfg)");
    }

    /** True for a CoCa config (attentional pooler, text cls token, multimodal decoder). */
    public boolean isCoca() {
        return coca != null;
    }

    /** Positions of the text tower: the context, plus CoCa's cls token. */
    public int textPositions() {
        return text.contextLength + (coca != null ? 1 : 0);
    }
}
