package org.makekit.train;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.makekit.util.Json;
import org.makekit.util.KitException;

/**
 * Everything a training run needs, saved with every checkpoint (so --resume continues the same run).
 * Defaults are the small-data CPU demo; {@link #paper()} is the official recipe (MAKE pretrain.sh).
 */
public final class TrainConfig {
    public String method = "make";
    public String mode = "compat";
    public String model = "tiny";
    public String init;                 // weights to start from: a released model's name, a file or folder (null: fresh init)
    public String table;                // training table CSV (official columns)
    public String imageRoot;            // default: the table's folder
    public String trainSplit = "train"; // rows with this split (all rows if the table has no split values)
    public String evalSplit = "test";   // zero-shot check at the end ("" to skip)
    public String out = "runs/pretrain";
    public int epochs = 8;
    public long steps;                  // > 0 overrides epochs
    public int batchSize = 32;
    public int microBatch;              // > 0: gradient caching with this many images per pass
    public int textChunk = 128;
    public double lr = 5e-4;
    public double beta1 = 0.9;
    public double beta2 = 0.98;
    public double eps = 1e-6;
    public double weightDecay = 0.1;
    public long warmup = 50;
    public long seed = 0;
    public int workers = 2;
    public int prefetch = 4;
    public int checkpointEvery = 100;
    public int keepCheckpoints = 2;
    public String device = "cpu";
    public String precision = "fp32";   // fp32 or fp16 (GPU: fp16 compute, fp32 master weights, loss scaling)
    public int k = 8;
    public double slraSigma = 0.0;      // SLRA's patch-similarity gate (0.0 in the official training)
    public int maxNonFinite = 5;        // consecutive non-finite fp32 steps before the run stops
    // O-MAKE (boxed: null is the default and stays out of the saved config, so older runs and starts keep their keys)
    public Double ohclBeta;             // OHCL soft-label share (null: 0.5, the released training)
    public String ohclSchedule;         // constant (null) or cosine: the official curriculum over the epochs
    public String ontology;             // disease ontology JSON for OHCL's similarity (null: the built-in Derm1M tree)
    public String slraPool;             // SLRA's pooling: official (null, the released code) or paper (Eq. 5-6: weighted mean, cosine)
    public String sampler;              // batch order: random (null) or ontology (O-MAKE's connectivity sampler, full batches)
    public String medcutmix;            // MedCutMix settings (null: off; "on" or key=value,...: see augment.MedCutMix.Options)
    public String concepts;             // concept lexicon JSON whose terms are findings, not diagnoses (null: the built-in one)

    /** The official recipe for the paper's model (used with Derm1M on a GPU). */
    public static TrainConfig paper() {
        TrainConfig c = new TrainConfig();
        c.model = "ViT-B-16";
        c.init = "openai"; // --pretrained OPENAI in the official script
        c.epochs = 15;
        c.batchSize = 2048;
        c.lr = 1e-4;
        c.warmup = 1500;
        c.precision = "fp16";
        c.workers = 16;
        c.checkpointEvery = 200;
        return c;
    }

    public String toJson() {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(this);
    }

    /** Parses a config; an unknown field is an error naming it (a typo must not silently train the defaults). */
    public static TrainConfig fromJson(String json) {
        JsonElement e;
        try {
            e = Json.parse(json);
        } catch (RuntimeException ex) {
            throw new KitException("training config is not valid JSON: " + ex.getMessage(), ex);
        }
        if (!e.isJsonObject()) throw new KitException("training config must be a JSON object");
        java.util.Set<String> known = new java.util.TreeSet<>();
        for (Field f : TrainConfig.class.getFields()) if (!Modifier.isStatic(f.getModifiers())) known.add(f.getName());
        for (String key : e.getAsJsonObject().keySet()) {
            if (!known.contains(key)) {
                throw new KitException("training config: unknown field '" + key + "' (known: " + String.join(", ", known) + ")");
            }
        }
        try {
            return new Gson().fromJson(e, TrainConfig.class);
        } catch (RuntimeException ex) {
            throw new KitException("training config: " + ex.getMessage(), ex);
        }
    }

    /** The objective settings of this run. */
    public Method.Settings settings() {
        boolean cosine = ohclSchedule != null && !ohclSchedule.equals("constant");
        if (cosine && !ohclSchedule.equals("cosine")) throw new KitException("--ohcl-schedule '" + ohclSchedule + "': expected constant or cosine");
        return new Method.Settings(org.makekit.loss.MakeLoss.Mode.parse(mode), k, slraSigma, ohclBeta == null ? 0.5 : ohclBeta, cosine,
                ontology, org.makekit.loss.MakeLoss.SlraPool.parse(slraPool));
    }

    public TrainConfig copy() {
        return fromJson(toJson());
    }
}
