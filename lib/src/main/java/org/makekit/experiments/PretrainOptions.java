package org.makekit.experiments;

import java.nio.file.Path;
import org.makekit.data.SynthDerm;
import org.makekit.train.Method;
import org.makekit.train.TrainConfig;
import org.makekit.util.KitException;
import picocli.CommandLine.Option;

/**
 * The {@code pretrain} script's options (a picocli mixin). Every training option is null unless
 * given, so a preset keeps its values unless the user overrides them: {@code --preset paper --model
 * tiny} trains tiny, and giving an option its default value is still an override.
 */
public class PretrainOptions {
    @Option(names = "--method", description = "what to train (default: make)") public String method;
    @Option(names = "--list-methods", description = "list the registered methods and exit") public boolean listMethods;
    @Option(names = "--mode", description = "MAKE indexing: compat (released code) or intended (paper) (default: compat)") public String mode;
    @Option(names = "--model", description = "model config (default: tiny; ViT-B-16 with --preset paper)") public String model;
    @Option(names = "--init", description = "weights to start from: a released model by name (openai, make, ...; see datasets), "
            + "a file (safetensors, torch .pt/.bin, TorchScript) or folder, shared for the kit's generic start (the tables' "
            + "default; built once on SynthScenes and cached), or none for a fresh model "
            + "(default: none; openai with --preset paper)") public String init;
    @Option(names = "--table", description = "training table (official columns; see augment)") public Path table;
    @Option(names = "--image-root", description = "folder the table's filenames are relative to (default: the table's folder)") public Path imageRoot;
    @Option(names = "--train-split", description = "rows used for training (default: train)") public String trainSplit;
    @Option(names = "--eval-split", description = "rows for the final zero-shot check, '' to skip (default: test)") public String evalSplit;
    @Option(names = "--out", description = "run folder (default: ${DEFAULT-VALUE})") public Path out = Path.of("runs/pretrain");
    @Option(names = "--resume", description = "continue from the latest checkpoint in --out") public boolean resume;
    @Option(names = "--preset", description = "demo (small CPU defaults) or paper (the official recipe) (default: ${DEFAULT-VALUE})") public String preset = "demo";
    @Option(names = "--epochs") public Integer epochs;
    @Option(names = "--steps", description = "total steps (overrides --epochs)") public Long steps;
    @Option(names = "--batch-size") public Integer batchSize;
    @Option(names = "--micro-batch", description = "images per forward pass; smaller than the batch = exact gradient caching") public Integer microBatch;
    @Option(names = "--lr") public Double lr;
    @Option(names = "--weight-decay") public Double weightDecay;
    @Option(names = "--warmup") public Long warmup;
    @Option(names = "--seed") public Long seed;
    @Option(names = "--workers", description = "image loading threads") public Integer workers;
    @Option(names = "--checkpoint-every", description = "steps between checkpoints") public Integer checkpointEvery;
    @Option(names = "--slra-sigma", description = "SLRA's patch-similarity gate (default: 0.0, as the official training)") public Double slraSigma;
    @Option(names = "--slra-pool", description = "SLRA's pooling: official (the released code) or paper (Eq. 5-6: a weighted mean of the patches, cosine similarity) (default: official)") public String slraPool;
    @Option(names = "--ohcl-beta", description = "omake: OHCL's soft-label share (default: 0.5, as the released training)") public Double ohclBeta;
    @Option(names = "--ohcl-schedule", description = "omake: constant beta, or cosine (the official --OHCL_curriculum over the epochs) (default: constant)") public String ohclSchedule;
    @Option(names = "--sampler", description = "batch order: random, or ontology (O-MAKE's connectivity sampler, full batches) (default: random)") public String sampler;
    @Option(names = "--ontology", description = "omake: the disease ontology JSON whose Wu-Palmer similarity gives the soft labels (default: the built-in Derm1M tree)") public Path ontology;
    @Option(names = "--medcutmix", description = "MedCutMix augmentation (the kit's interpretation of seed 003): on, off, or "
            + "key=value,... of p, sentences=one|all, lambda=lo:hi, layer=auto|N, mix=hard|soft, targets=replace|append, tau "
            + "(default: off; on = p=0.5,sentences=one,lambda=0.1:0.5,layer=auto,mix=hard,targets=replace,tau=0.07)") public String medcutmix;
    @Option(names = "--concepts", description = "concept lexicon JSON {concept: [terms]}: findings, which MedCutMix does not take for diagnoses (default: the built-in dermatology one)") public Path concepts;
    @Option(names = "--device", description = "cpu, gpu, or gpu:0,1,... (default: cpu)") public String device;
    @Option(names = "--precision", description = "fp32 or fp16 (GPU) (default: from the preset)") public String precision;
    @Option(names = "--synth-train", description = "SynthDerm sizes when no --table") public int synthTrain = 2400;
    @Option(names = "--synth-val") public int synthVal = 300;
    @Option(names = "--synth-test") public int synthTest = 600;

    /** The preset's config with every option the user gave on top (an option not given is null and changes nothing). */
    public TrainConfig config() {
        TrainConfig c = switch (preset) {
            case "demo" -> new TrainConfig();
            case "paper" -> TrainConfig.paper();
            default -> throw new KitException("--preset '" + preset + "': expected demo or paper");
        };
        if (method != null) c.method = Method.parse(method).id();
        if (mode != null) c.mode = mode;
        if (model != null) c.model = model;
        if (init != null) c.init = init.equals("none") ? null : SharedStart.resolve(init, c.model, SharedStart.Spec.defaults());
        if (imageRoot != null) c.imageRoot = imageRoot.toString();
        if (trainSplit != null) c.trainSplit = trainSplit;
        if (evalSplit != null) c.evalSplit = evalSplit;
        if (device != null) c.device = device;
        if (epochs != null) c.epochs = epochs;
        if (steps != null) c.steps = steps;
        if (batchSize != null) c.batchSize = batchSize;
        if (microBatch != null) c.microBatch = microBatch;
        if (lr != null) c.lr = lr;
        if (weightDecay != null) c.weightDecay = weightDecay;
        if (warmup != null) c.warmup = warmup;
        if (seed != null) c.seed = seed;
        if (workers != null) c.workers = workers;
        if (checkpointEvery != null) c.checkpointEvery = checkpointEvery;
        if (slraSigma != null) c.slraSigma = slraSigma;
        if (ohclBeta != null) c.ohclBeta = ohclBeta;
        if (ohclSchedule != null) c.ohclSchedule = ohclSchedule;
        if (ontology != null) c.ontology = ontology.toString();
        if (sampler != null) c.sampler = sampler;
        if (slraPool != null) c.slraPool = org.makekit.loss.MakeLoss.SlraPool.configValue(slraPool);
        if (precision != null) c.precision = precision;
        if (medcutmix != null) c.medcutmix = org.makekit.augment.MedCutMix.Options.configValue(medcutmix);
        if (concepts != null) c.concepts = concepts.toString();
        c.out = out.toString();
        return c;
    }

    /** The SynthDerm sizes used when no --table is given. */
    public SynthDerm.Config synth() {
        return new SynthDerm.Config(0, synthTrain, synthVal, synthTest, 64);
    }
}
