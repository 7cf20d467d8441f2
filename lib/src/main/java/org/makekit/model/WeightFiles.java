package org.makekit.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.makekit.model.torch.TorchFile;
import org.makekit.util.KitException;

/**
 * Model weights from any file a researcher has: the kit's safetensors, OpenCLIP's safetensors or
 * {@code open_clip_pytorch_model.bin}, a training checkpoint ({@code epoch_15.pt}, with the weights
 * under {@code state_dict} and DDP's {@code module.} prefix), OpenAI's TorchScript archive
 * ({@code ViT-B-16.pt}), or a Hugging Face model folder holding one of these and
 * {@code open_clip_config.json}. The result is a flat OpenCLIP-named state dict plus a
 * {@link Report} of what was mapped, converted and left out.
 */
public final class WeightFiles {
    private WeightFiles() {}

    /** Files looked for, in this order, when a folder is given. */
    public static final List<String> FOLDER_FILES = List.of("open_clip_model.safetensors", "open_clip_pytorch_model.bin",
            "model.safetensors", "pytorch_model.bin");

    /** Buffers OpenAI's archives carry that are not weights ({@code build_model_from_openai_state_dict} pops them). */
    public static final List<String> OPENAI_EXTRAS = List.of("input_resolution", "context_length", "vocab_size");

    /** What a load did: the file and format, and one line per decision. */
    public record Report(Path file, String format, List<String> lines, JsonObject openClipConfig) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("weights " + file + " (" + format + ")");
            for (String l : lines) sb.append("\n  ").append(l);
            return sb.toString();
        }
    }

    /** A flat state dict (valid only inside {@link #withWeights}) and its report. */
    public record Loaded(Map<String, Safetensors.Tensor> tensors, Report report) {}

    /** Reads the weights at {@code path} (a file or a model folder) and passes them to {@code use}. */
    public static <T> T withWeights(Path path, Function<Loaded, T> use) {
        Path file = resolveFile(path);
        JsonObject cfg = openClipConfig(Files.isDirectory(path) ? path : file.toAbsolutePath().getParent());
        List<String> lines = new ArrayList<>();
        if (Files.isDirectory(path)) lines.add("folder " + path + ": using " + file.getFileName());
        if (cfg != null) lines.add("open_clip_config.json found beside the weights");
        if (TorchFile.looksLikeTorch(file)) {
            try (TorchFile tf = TorchFile.open(file)) {
                Map<String, Safetensors.Tensor> flat = fromTorch(tf, lines);
                String format = switch (tf.format()) {
                    case ZIP -> "torch.save zip";
                    case LEGACY -> "legacy torch.save";
                    case TORCHSCRIPT -> "TorchScript archive";
                };
                return use.apply(new Loaded(normalise(flat, lines), new Report(file, format, lines, cfg)));
            }
        }
        return Safetensors.withTensors(file, t -> use.apply(new Loaded(normalise(new LinkedHashMap<>(t), lines),
                new Report(file, "safetensors", lines, cfg))));
    }

    /** The weights file a path stands for: itself, or the first of {@link #FOLDER_FILES} (or the one *.pt) in a folder. */
    public static Path resolveFile(Path path) {
        if (!Files.exists(path)) throw new KitException("weights not found: " + path);
        if (!Files.isDirectory(path)) return path;
        for (String f : FOLDER_FILES) {
            if (Files.isRegularFile(path.resolve(f))) return path.resolve(f);
        }
        try (Stream<Path> s = Files.list(path)) {
            List<Path> pts = s.filter(p -> p.toString().endsWith(".pt") || p.toString().endsWith(".pth")).sorted().toList();
            if (pts.size() == 1) return pts.get(0);
            throw new KitException("weights folder " + path + " holds none of " + FOLDER_FILES + (pts.isEmpty() ? ""
                    : " and " + pts.size() + " .pt files (name one: " + pts.get(0).getFileName() + ", ...)"));
        } catch (IOException e) {
            throw new KitException("cannot list weights folder " + path, e);
        }
    }

    /** {@code open_clip_config.json} in {@code dir}, or null. */
    public static JsonObject openClipConfig(Path dir) {
        if (dir == null) return null;
        Path f = dir.resolve("open_clip_config.json");
        if (!Files.isRegularFile(f)) return null;
        try {
            JsonElement e = org.makekit.util.Json.parse(Files.readString(f));
            if (!e.isJsonObject()) throw new KitException(f + ": expected a JSON object");
            return e.getAsJsonObject();
        } catch (IOException e) {
            throw new KitException("cannot read " + f, e);
        } catch (RuntimeException e) {
            throw new KitException(f + ": not valid JSON (" + e.getMessage() + ")");
        }
    }

    /** The state dict inside whatever the torch file holds. */
    static Map<String, Safetensors.Tensor> fromTorch(TorchFile tf, List<String> lines) {
        Object root = tf.root();
        Map<String, TorchFile.TensorRef> refs = new LinkedHashMap<>();
        if (root instanceof TorchFile.ScriptObject so) {
            walk(so, "", refs);
            lines.add("TorchScript module " + so.className() + ": " + refs.size() + " tensors found in its attribute tree");
        } else if (root instanceof Map<?, ?> m) {
            Map<?, ?> sd = m;
            if (!isStateDict(m)) {
                String key = null;
                for (String k : List.of("state_dict", "model", "module", "model_state_dict", "state_dict_ema")) {
                    if (m.get(k) instanceof Map<?, ?> inner && isStateDict(inner)) {
                        key = k;
                        break;
                    }
                }
                if (key == null) {
                    throw new KitException("weights file " + tf.file() + " holds a dict with keys " + keysOf(m)
                            + " and none of them is a state dict (tried state_dict, model, module, model_state_dict)");
                }
                sd = (Map<?, ?>) m.get(key);
                List<String> other = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!e.getKey().equals(key)) other.add(e.getKey() + describe(e.getValue()));
                }
                lines.add("training checkpoint: weights taken from '" + key + "'; left out: " + String.join(", ", other));
            }
            List<String> skipped = new ArrayList<>();
            for (Map.Entry<?, ?> e : sd.entrySet()) {
                if (e.getValue() instanceof TorchFile.TensorRef t) refs.put(String.valueOf(e.getKey()), t);
                else skipped.add(e.getKey() + describe(e.getValue()));
            }
            if (!skipped.isEmpty()) lines.add("left out " + skipped.size() + " non-tensor entries: " + String.join(", ", skipped));
        } else {
            throw new KitException("weights file " + tf.file() + " holds a " + (root == null ? "None"
                    : root.getClass().getSimpleName()) + ", not a state dict");
        }
        Map<String, Safetensors.Tensor> out = new LinkedHashMap<>();
        Map<String, Integer> stored = new TreeMap<>();
        int upcast = 0;
        for (Map.Entry<String, TorchFile.TensorRef> e : refs.entrySet()) {
            String dt = TorchFile.storedDtype(e.getValue().storage());
            stored.merge(dt, 1, Integer::sum);
            if (dt.equals("BF16")) upcast++;
            out.put(e.getKey(), tf.tensor(e.getValue(), e.getKey()));
        }
        lines.add("dtypes as stored: " + stored);
        if (upcast > 0) lines.add("converted: " + upcast + " bfloat16 tensors upcast to float32 (exact; DJL has no bfloat16)");
        return out;
    }

    private static void walk(TorchFile.ScriptObject o, String prefix, Map<String, TorchFile.TensorRef> out) {
        for (Map.Entry<Object, Object> e : o.attributes().entrySet()) {
            String name = prefix + e.getKey();
            if (e.getValue() instanceof TorchFile.TensorRef t) out.put(name, t);
            else if (e.getValue() instanceof TorchFile.ScriptObject child) walk(child, name + ".", out);
        }
    }

    private static boolean isStateDict(Map<?, ?> m) {
        if (m.isEmpty()) return false;
        long tensors = m.values().stream().filter(v -> v instanceof TorchFile.TensorRef).count();
        return tensors * 2 > m.size();
    }

    private static String keysOf(Map<?, ?> m) {
        List<String> ks = new ArrayList<>();
        for (Object k : m.keySet()) {
            if (ks.size() == 8) {
                ks.add("...");
                break;
            }
            ks.add(String.valueOf(k));
        }
        return ks.toString();
    }

    private static String describe(Object v) {
        if (v instanceof Map<?, ?> m) return " (dict of " + m.size() + ")";
        if (v instanceof List<?> l) return " (list of " + l.size() + ")";
        if (v instanceof TorchFile.TensorRef) return " (tensor)";
        if (v instanceof String s) return " ('" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "')";
        return v == null ? " (None)" : " (" + v + ")";
    }

    /** Strips a prefix every name shares ({@code module.} of DDP, {@code _orig_mod.} of torch.compile) and OpenAI's extras. */
    static Map<String, Safetensors.Tensor> normalise(Map<String, Safetensors.Tensor> in, List<String> lines) {
        Map<String, Safetensors.Tensor> cur = in;
        for (String p : List.of("module.", "_orig_mod.")) {
            if (!cur.isEmpty() && cur.keySet().stream().allMatch(k -> k.startsWith(p))) {
                Map<String, Safetensors.Tensor> next = new LinkedHashMap<>();
                cur.forEach((k, v) -> next.put(k.substring(p.length()), v));
                cur = next;
                lines.add("mapped: prefix '" + p + "' stripped from all " + next.size() + " names");
            }
        }
        List<String> dropped = new ArrayList<>();
        for (String x : OPENAI_EXTRAS) {
            Safetensors.Tensor t = cur.get(x);
            if (t != null && t.shape().length == 0 && t.dtype().startsWith("I")) {
                dropped.add(x + "=" + t.toLongArray()[0]);
            }
        }
        if (!dropped.isEmpty()) {
            Map<String, Safetensors.Tensor> next = new LinkedHashMap<>(cur);
            for (String d : dropped) next.remove(d.substring(0, d.indexOf('=')));
            cur = next;
            lines.add("left out OpenAI's int buffers (not weights): " + String.join(", ", dropped));
        }
        lines.add(cur.size() + " tensors, OpenCLIP names kept as they are");
        return cur;
    }

    /**
     * Differences between the kit's config and an {@code open_clip_config.json} that matter for
     * these weights (QuickGELU above all: OpenAI-initialised weights need it). Empty if they agree.
     */
    public static List<String> compare(ModelConfig kit, JsonObject openClip) {
        List<String> out = new ArrayList<>();
        if (openClip == null) return out;
        JsonObject m = openClip.has("model_cfg") ? openClip.getAsJsonObject("model_cfg") : openClip;
        boolean qg = m.has("quick_gelu") && m.get("quick_gelu").getAsBoolean();
        if (qg != kit.quickGelu()) {
            out.add("open_clip_config.json has quick_gelu=" + qg + " but config '" + kit.name() + "' has quick_gelu="
                    + kit.quickGelu() + ": the activations differ in every MLP and the features will be wrong. "
                    + (qg ? "Use a config with \"quick_gelu\": true (the built-in ViT-B-16 has it)."
                    : "Use a config with \"quick_gelu\": false."));
        }
        check(out, m, "embed_dim", kit.embedDim(), "embed_dim");
        if (m.has("vision_cfg")) {
            JsonObject v = m.getAsJsonObject("vision_cfg");
            check(out, v, "image_size", kit.vision().imageSize(), "vision_cfg.image_size");
            check(out, v, "patch_size", kit.vision().patchSize(), "vision_cfg.patch_size");
            check(out, v, "width", kit.vision().width(), "vision_cfg.width");
            check(out, v, "layers", kit.vision().layers(), "vision_cfg.layers");
            if (v.has("width")) {
                int hw = v.has("head_width") ? v.get("head_width").getAsInt() : 64;
                int heads = v.get("width").getAsInt() / hw;
                if (heads != kit.vision().heads()) {
                    out.add("vision heads: open_clip_config.json implies " + heads + " (width/head_width), config '"
                            + kit.name() + "' has " + kit.vision().heads());
                }
            }
        }
        if (m.has("text_cfg")) {
            JsonObject t = m.getAsJsonObject("text_cfg");
            check(out, t, "context_length", kit.text().contextLength(), "text_cfg.context_length");
            check(out, t, "vocab_size", kit.text().vocabSize(), "text_cfg.vocab_size");
            check(out, t, "width", kit.text().width(), "text_cfg.width");
            check(out, t, "layers", kit.text().layers(), "text_cfg.layers");
            check(out, t, "heads", kit.text().heads(), "text_cfg.heads");
        }
        return out;
    }

    private static void check(List<String> out, JsonObject o, String key, int kit, String label) {
        if (o.has(key) && o.get(key).isJsonPrimitive() && o.get(key).getAsInt() != kit) {
            out.add(label + ": open_clip_config.json has " + o.get(key).getAsInt() + ", the kit's config " + kit);
        }
    }
}
