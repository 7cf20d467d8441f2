package org.makekit.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.data.BatchLoader;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.TrainingTables;
import org.makekit.loss.MakeLoss;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.model.Safetensors;
import org.makekit.text.Tokenizer;
import org.makekit.train.Method;
import org.makekit.train.TextBatch;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * One benchmark batch, written so that the kit and the PyTorch twin ({@code bench/twin.py}) start
 * from exactly the same state: {@code config.json} (the model config), {@code weights.safetensors}
 * (OpenCLIP names, the kit's seeded initialisation), {@code batch.safetensors} ({@code pixels}
 * (B,3,S,S) float32, {@code text_ids} (B*n, context) int64 in the official row order,
 * {@code text_mask} (B, n) int64) and {@code fixture.json} (method, loss mode, K).
 * The images are SynthDerm's, made for the config's image size.
 */
public record Fixture(Path dir, ModelConfig config, Method method, MakeLoss.Mode mode, int k, int textChunk,
                      List<TrainingRow> rows, float[] pixels) {

    public int batch() {
        return rows.size();
    }

    public Path weights() {
        return dir.resolve("weights.safetensors");
    }

    /** Builds (or rebuilds) the fixture in {@code dir}: data, weights and batch files. */
    public static Fixture build(Path dir, ModelConfig cfg, Method method, MakeLoss.Mode mode, int batch, int textChunk,
                                long seed) {
        Fixture fx = assemble(dir, cfg, method, mode, batch, textChunk, seed);
        try {
            fx.write(seed);
        } catch (IOException e) {
            throw new KitException("cannot write the benchmark fixture in " + dir + ": " + e.getMessage(), e);
        }
        return fx;
    }

    /** Reads a fixture written by {@link #build} (the batch is rebuilt from its SynthDerm folder, deterministically). */
    public static Fixture read(Path dir) {
        try {
            JsonObject meta = org.makekit.util.Json.parse(Files.readString(dir.resolve("fixture.json"))).getAsJsonObject();
            ModelConfig cfg = ModelConfig.load(dir.resolve("config.json").toString());
            return assemble(dir, cfg, Method.parse(meta.get("method").getAsString()),
                    MakeLoss.Mode.parse(meta.get("mode").getAsString()), meta.get("batch").getAsInt(),
                    meta.get("text_chunk").getAsInt(), meta.get("seed").getAsLong());
        } catch (IOException | RuntimeException e) {
            throw new KitException("cannot read the benchmark fixture in " + dir + " (" + e.getMessage()
                    + "): build it again with the bench script", e);
        }
    }

    private static Fixture assemble(Path dir, ModelConfig cfg, Method method, MakeLoss.Mode mode, int batch,
                                    int textChunk, long seed) {
        try {
            Files.createDirectories(dir);
            Path data = dir.resolve("synthderm");
            int size = cfg.vision().imageSize();
            if (!Files.exists(data.resolve("metadata.csv"))) {
                SynthDerm.generate(data, new SynthDerm.Config(seed, batch, 0, 0, size));
            }
            List<TrainingRow> rows = TrainingTables.augment(data.resolve("metadata.csv"), null);
            if (rows.size() < batch) throw new KitException(data + " has " + rows.size() + " rows, the batch needs " + batch);
            rows = new ArrayList<>(rows.subList(0, batch));
            float[] pixels;
            try (BatchLoader l = new BatchLoader(rows, data, batch, size, false, seed, 2, 1)) {
                pixels = l.epoch(0, 0).next().pixels();
            }
            return new Fixture(dir, cfg, method, mode, 8, textChunk, rows, pixels);
        } catch (IOException e) {
            throw new KitException("cannot prepare the benchmark data in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Every row's texts in the official order (no sharing), and their mask. */
    public TextBatch texts() {
        return TextBatch.of(rows, method.layout(), k);
    }

    private void write(long seed) throws IOException {
        Files.writeString(dir.resolve("config.json"), configJson(config));
        JsonObject meta = new JsonObject();
        meta.addProperty("method", method.id());
        meta.addProperty("mode", mode.name().toLowerCase(java.util.Locale.ROOT));
        meta.addProperty("k", k);
        meta.addProperty("text_chunk", textChunk);
        meta.addProperty("batch", batch());
        meta.addProperty("seed", seed);
        Files.writeString(dir.resolve("fixture.json"), new GsonBuilder().setPrettyPrinting().create().toJson(meta));
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipModel.create(config, m, seed, DataType.FLOAT32);
            model.save(weights());
            TextBatch tb = texts().withoutDedup();
            Tokenizer tok = Tokenizer.forConfig(config);
            long[][] ids = tok.encode(tb.unique());
            int ctx = config.text().contextLength();
            long[] flat = new long[ids.length * ctx];
            for (int i = 0; i < ids.length; i++) System.arraycopy(ids[i], 0, flat, i * ctx, ctx);
            boolean[][] mask = tb.mask();
            int n = tb.textsPerImage();
            long[] mk = new long[batch() * n];
            for (int b = 0; b < batch(); b++) for (int j = 0; j < n; j++) mk[b * n + j] = mask[b][j] ? 1 : 0;
            int s = config.vision().imageSize();
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("pixels", Tensors.of(m, pixels, new Shape(batch(), 3, s, s)));
            t.put("text_ids", Tensors.of(m, flat, new Shape(ids.length, ctx)));
            t.put("text_mask", Tensors.of(m, mk, new Shape(batch(), n)));
            Safetensors.write(dir.resolve("batch.safetensors"), t, Map.of("format", "makekit-bench"));
        }
    }

    /** The model config in the JSON layout of the kit's config files (which the twin reads). */
    public static String configJson(ModelConfig c) {
        JsonObject o = new JsonObject();
        o.addProperty("name", c.name());
        o.addProperty("embed_dim", c.embedDim());
        o.addProperty("quick_gelu", c.quickGelu());
        o.addProperty("tokenizer", c.tokenizer());
        o.addProperty("ln_eps", c.lnEps());
        JsonObject v = new JsonObject();
        v.addProperty("image_size", c.vision().imageSize());
        v.addProperty("patch_size", c.vision().patchSize());
        v.addProperty("width", c.vision().width());
        v.addProperty("layers", c.vision().layers());
        v.addProperty("heads", c.vision().heads());
        v.addProperty("mlp_ratio", c.vision().mlpRatio());
        o.add("vision_cfg", v);
        JsonObject t = new JsonObject();
        t.addProperty("context_length", c.text().contextLength());
        t.addProperty("vocab_size", c.text().vocabSize());
        t.addProperty("width", c.text().width());
        t.addProperty("layers", c.text().layers());
        t.addProperty("heads", c.text().heads());
        t.addProperty("mlp_ratio", c.text().mlpRatio());
        o.add("text_cfg", t);
        return new GsonBuilder().setPrettyPrinting().create().toJson(o);
    }
}
