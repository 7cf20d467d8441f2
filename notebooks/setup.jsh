// MAKE-kit notebook setup, loaded by every notebook with `%load setup.jsh` (one place, d2l-java style).
// The library comes from your local Maven repository, where `./kit setup` (or `./kit demo`) installs it.
%maven org.makekit:make-kit:0.1.0-SNAPSHOT
import java.nio.file.*;
import java.util.*;
import org.makekit.augment.*;
import org.makekit.data.*;
import org.makekit.knowledge.*;
import org.makekit.text.*;
import org.makekit.train.*;
import org.makekit.eval.*;
import org.makekit.experiments.*;
import org.makekit.report.*;
import org.makekit.util.*;
import org.knowm.xchart.*;

// Knobs read from the environment: CI runs the notebooks tiny; unset, you get the full sizes.
int env(String k, int d) { return Integer.parseInt(System.getenv().getOrDefault(k, String.valueOf(d))); }
int STEPS = env("MAKEKIT_NB_STEPS", 150);            // training steps per model (from the shared start)
int SYNTH_TRAIN = env("MAKEKIT_NB_SYNTH_TRAIN", 2400), SYNTH_VAL = env("MAKEKIT_NB_SYNTH_VAL", 300),
    SYNTH_TEST = env("MAKEKIT_NB_SYNTH_TEST", 600);  // SynthDerm sizes
int BATCH = env("MAKEKIT_NB_BATCH", 32);
int MIN_POSITIVES = env("MAKEKIT_NB_MIN_POSITIVES", 10);
int SEEDS = env("MAKEKIT_NB_SEEDS", 3);              // training seeds per table row: cells are mean ± sd
// Weights every model starts from: shared (the kit's generic start, pretrained once on SynthScenes and cached,
// as the paper's rows all start from OpenAI CLIP), none (a fresh model), a released model's name (openai, ...;
// get it with ./kit fetch-data NAME, and use the ViT-B-16 config with it), or a file or folder path.
String INIT = System.getenv().getOrDefault("MAKEKIT_NB_INIT", "shared");
String initOrNull() { return INIT.equals("none") ? null : INIT; }
/** The weights a single run of {@code model} starts from (the shared start is built on first use). */
String initFor(String model) { return INIT.equals("none") ? null : SharedStart.resolve(INIT, model, START); }
// The shared start's size (the table scripts' defaults: 600 steps on 6,000 SynthScenes images).
SharedStart.Spec START = new SharedStart.Spec(new SynthScenes.Config(0, env("MAKEKIT_NB_START_IMAGES", 6000), 64),
        env("MAKEKIT_NB_START_STEPS", 600), Math.min(64, env("MAKEKIT_NB_START_IMAGES", 6000)), 5e-4, 0);
// The paper's evaluation sets, if you have them: one folder per set (pad-ufes-20, fitzpatrick17k, sd-128, snu-134,
// skincon, derm7pt, skincap) in its release layout. Unset: the notebooks say so and score SynthDerm only.
String DATA_ROOT = System.getenv("MAKEKIT_NB_DATA_ROOT");
Path ROOT = Path.of(System.getenv().getOrDefault("MAKEKIT_ROOT", "..")).toAbsolutePath().normalize();
Path RUNS = ROOT.resolve(System.getenv().getOrDefault("MAKEKIT_NB_RUNS", "runs/notebooks"));
System.out.println(String.format("steps %d, SynthDerm %d/%d/%d, batch %d, seeds %d, start %s, outputs in %s", STEPS, SYNTH_TRAIN,
        SYNTH_VAL, SYNTH_TEST, BATCH, SEEDS, INIT.equals("shared") ? "shared (" + START.steps() + " steps)" : INIT, RUNS));

/** The rows of a table: MAKEKIT_NB_ROWS (method ids, comma-separated) when set, else {@code defaults}. */
List<Method> rows(List<Method> defaults) {
    String r = System.getenv("MAKEKIT_NB_ROWS");
    if (r == null || r.isBlank()) return defaults;
    System.out.println("rows from MAKEKIT_NB_ROWS: " + r + " (the table's own rows: "
            + defaults.stream().map(Method::id).collect(java.util.stream.Collectors.joining(",")) + ")");
    return Arrays.stream(r.split(",")).map(Method::parse).toList();
}

/** The table experiments' setup at the notebook's sizes (notebooks 03-05 share one folder: models train once). */
PaperTable.Setup tableSetup() {
    PaperTable.Setup s = new PaperTable.Setup();
    s.out = RUNS.resolve("tables");
    s.synth = new SynthDerm.Config(0, SYNTH_TRAIN, SYNTH_VAL, SYNTH_TEST, 64);
    s.train.steps = STEPS;
    s.train.batchSize = BATCH;
    s.train.warmup = Math.min(50, Math.max(1, STEPS / 6));
    s.train.checkpointEvery = Math.max(1, Math.min(100, STEPS));
    s.minPositives = MIN_POSITIVES;
    s.train.init = initOrNull();
    s.seeds = SEEDS;
    s.start = START;
    return s;
}
