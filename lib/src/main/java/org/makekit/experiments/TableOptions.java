package org.makekit.experiments;

import java.nio.file.Path;
import java.util.Locale;
import org.makekit.data.SynthDerm;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.loss.MakeLoss;
import picocli.CommandLine.Option;

/**
 * Options shared by the table scripts and the demo (a picocli mixin). Sizes that a script chooses
 * ({@code --out}, {@code --steps}) are null unless given, so {@code demo --steps 300} trains 300
 * steps although 300 is also table1's default.
 */
public class TableOptions {
    @Option(names = "--out", description = "folder for models and tables, shared by table1-3 (default: runs/tables; demo: runs/demo)")
    Path out;
    @Option(names = "--table", description = "a training table with label/split columns instead of SynthDerm")
    Path table;
    @Option(names = "--dataset", description = "a dataset by manifest instead of SynthDerm, e.g. ham10000 (with --local-dir), or synthcxr (the generated chest-radiograph domain)")
    String dataset;
    @Option(names = "--local-dir", description = "the --dataset's folder on disk")
    Path localDir;
    @Option(names = "--concepts", description = "concept labels CSV (image + 0/1 columns)")
    Path concepts;
    @Option(names = "--concept-terms", description = "concept lexicon JSON {concept: [terms]} (default: the built-in dermatology one)")
    Path conceptTerms;
    @Option(names = "--data-name", description = "name of the data in the tables (default: SynthDerm, or the --dataset)")
    String dataName;
    @Option(names = "--model", description = "model config (default: ${DEFAULT-VALUE})")
    String model = "tiny";
    @Option(names = "--init", description = {"weights every row starts from: shared (the kit's generic start, pretrained once on",
            "SynthScenes and cached), a released model by name (openai, ...), a file or folder, or none (default: shared)"})
    String init;
    @Option(names = "--start-steps", description = "training steps of the shared start (default: 600; demo: 120)")
    Long startSteps;
    @Option(names = "--start-images", description = "SynthScenes images of the shared start (default: 6000; demo: 3000)")
    Integer startImages;
    @Option(names = "--seeds", description = "training seeds per row (seed, seed+1, ...): cells are mean ± sd (default: 3; demo: 1)")
    Integer seeds;
    @Option(names = "--methods", split = ",", description = {"only these rows, by method id (e.g. clip,siglip,make; see pretrain",
            "--list-methods); default: the table's rows"})
    java.util.List<String> methods;
    @Option(names = "--bootstrap", description = "test-image resamples for the paired intervals (default: ${DEFAULT-VALUE})")
    int bootstrap = 2000;
    @Option(names = "--mode", description = "MAKE indexing, compat or intended (default: ${DEFAULT-VALUE})")
    String mode = "compat";
    @Option(names = "--slra-pool", description = "SLRA's pooling: official (the released code) or paper (Eq. 5-6: a weighted mean of the "
            + "patches, cosine similarity) (default: official)")
    String slraPool;
    @Option(names = "--medcutmix", description = "train every row with MedCutMix: on, off or key=value,... (see pretrain --help) (default: off)")
    String medcutmix;
    @Option(names = "--steps", description = "training steps per model (default: 150; demo: 150)")
    Long steps;
    @Option(names = "--batch-size", description = "(default: ${DEFAULT-VALUE})")
    int batchSize = 32;
    @Option(names = "--lr", description = "(default: ${DEFAULT-VALUE})")
    double lr = 5e-4;
    @Option(names = "--seed", description = "(default: ${DEFAULT-VALUE})")
    long seed = 0;
    @Option(names = "--synth-train", description = "SynthDerm sizes (default: 2400/300/600)")
    int synthTrain = 2400;
    @Option(names = "--synth-val") int synthVal = 300;
    @Option(names = "--synth-test") int synthTest = 600;
    @Option(names = "--min-positives", description = "concepts with fewer positives are reported and left out (default: ${DEFAULT-VALUE})")
    int minPositives = 10;
    @Option(names = "--retrain", description = "train again even if a model exists in --out")
    boolean retrain;
    @Option(names = "--data-root", description = {"score on the paper's evaluation sets found here, one folder per dataset",
            "(pad-ufes-20, fitzpatrick17k, sd-128, snu-134, skincon, derm7pt, skincap) in their release layouts"})
    public Path dataRoot;
    @Option(names = "--weights", description = {"with --data-root: score these models instead of training, LABEL=WEIGHTS",
            "(a released model's name, a file or folder); repeatable, e.g. --weights MAKE=make --weights DermLIP=dermlip"})
    public java.util.List<String> weights = new java.util.ArrayList<>();

    /** The table's rows: {@code defaults}, or the --methods given (the CLIP baseline, when listed, is the row others are compared with). */
    public java.util.List<org.makekit.train.Method> rows(java.util.List<org.makekit.train.Method> defaults) {
        if (methods == null || methods.isEmpty()) return defaults;
        return methods.stream().map(org.makekit.train.Method::parse).toList();
    }

    /** The rows of a table on real data: the --weights given, else the methods trained on this setup's data. */
    public java.util.List<RealTables.Model> models(PaperTable t, java.util.List<org.makekit.train.Method> methods) {
        java.util.List<RealTables.Model> out = new java.util.ArrayList<>();
        for (String w : weights) {
            int eq = w.indexOf('=');
            if (eq <= 0 || eq == w.length() - 1) throw new org.makekit.util.KitException("--weights " + w + ": expected LABEL=WEIGHTS");
            String spec = w.substring(eq + 1);
            org.makekit.data.Weights named = org.makekit.data.Weights.find(spec);
            out.add(new RealTables.Model(w.substring(0, eq), named != null ? "released (" + spec + ")" : "weights " + spec,
                    named != null ? named.config() : model, org.makekit.data.Weights.require(spec)));
        }
        if (out.isEmpty()) for (org.makekit.train.Method m : methods) out.add(t.trained(m));
        return out;
    }

    /** The experiment setup, with the calling script's own defaults for what the user did not give. */
    public PaperTable.Setup setup(Path defaultOut, long defaultSteps) {
        return setup(defaultOut, defaultSteps, 3, SharedStart.Spec.defaults());
    }

    /** As {@link #setup(Path, long)}, with the script's own seed count and shared start. */
    public PaperTable.Setup setup(Path defaultOut, long defaultSteps, int defaultSeeds, SharedStart.Spec defaultStart) {
        long n = steps != null ? steps : defaultSteps;
        PaperTable.Setup s = new PaperTable.Setup();
        s.out = out != null ? out : defaultOut;
        s.table = table;
        s.dataset = dataset;
        s.localDir = localDir;
        s.concepts = concepts;
        s.dataName = dataName != null ? dataName : dataset != null ? dataset.toUpperCase(Locale.ROOT) : "SynthDerm";
        s.synth = new SynthDerm.Config(seed, synthTrain, synthVal, synthTest, 64);
        s.train.model = model;
        s.train.mode = mode;
        if (slraPool != null) s.train.slraPool = MakeLoss.SlraPool.configValue(slraPool);
        if (medcutmix != null) s.train.medcutmix = org.makekit.augment.MedCutMix.Options.configValue(medcutmix);
        s.train.init = init == null ? SharedStart.NAME : init.equals("none") ? null : init;
        s.seeds = seeds != null ? seeds : defaultSeeds;
        int images = startImages != null ? startImages : defaultStart.corpus().images();
        s.start = new SharedStart.Spec(new org.makekit.data.SynthScenes.Config(0, images, 64),
                startSteps != null ? startSteps : defaultStart.steps(), Math.min(defaultStart.batchSize(), images), defaultStart.lr(),
                defaultStart.seed());
        s.bootstrapReps = bootstrap;
        s.train.steps = n;
        s.train.batchSize = batchSize;
        s.train.lr = lr;
        s.train.seed = seed;
        s.train.warmup = Math.min(50, Math.max(1, n / 6));
        s.train.checkpointEvery = (int) Math.max(1, Math.min(100, n));
        s.reuse = !retrain;
        s.minPositives = minPositives;
        if (conceptTerms != null) s.lexicon = ConceptLexicon.load(conceptTerms);
        return s;
    }

    /** The table scripts' setup: runs/tables, 150 steps per model from the shared start, 3 seeds. */
    public PaperTable.Setup setup() {
        return setup(Path.of("runs/tables"), 150);
    }
}
