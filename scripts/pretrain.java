///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION Pretrain CLIP, SigLIP or MAKE (Table 3 rows) on a training table, with checkpoints and exact resume.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.data.ImageTextPairs;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingTable;
import org.makekit.knowledge.Augmenter;
import org.makekit.knowledge.OntologyExtractor;
import org.makekit.train.TrainConfig;
import org.makekit.train.Trainer;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pretrains a CLIP-style model: --method clip | clip-augmented | siglip | siglip-augmented |",
                "mkcl-knowledge | mkcl | mkcl+slra | make (Table 3's rows), --mode compat | intended (MAKE's indexing).",
                "Without --table it trains on the embedded SynthDerm (generated and augmented on the fly).",
                "Writes metrics.csv, loss.png, checkpoints/ (resume with --resume), model.safetensors, zero-shot.json."})
public class pretrain implements Callable<Integer> {
    @Option(names = "--method", description = "what to train (default: ${DEFAULT-VALUE})") String method = "make";
    @Option(names = "--mode", description = "MAKE indexing: compat (released code) or intended (paper) (default: ${DEFAULT-VALUE})") String mode = "compat";
    @Option(names = "--model", description = "model config (default: ${DEFAULT-VALUE})") String model = "tiny";
    @Option(names = "--init", description = "OpenCLIP-named safetensors to start from") Path init;
    @Option(names = "--table", description = "training table (official columns; see augment)") Path table;
    @Option(names = "--image-root", description = "folder the table's filenames are relative to (default: the table's folder)") Path imageRoot;
    @Option(names = "--train-split", description = "rows used for training (default: ${DEFAULT-VALUE})") String trainSplit = "train";
    @Option(names = "--eval-split", description = "rows for the final zero-shot check, '' to skip (default: ${DEFAULT-VALUE})") String evalSplit = "test";
    @Option(names = "--out", description = "run folder (default: ${DEFAULT-VALUE})") Path out = Path.of("runs/pretrain");
    @Option(names = "--resume", description = "continue from the latest checkpoint in --out") boolean resume;
    @Option(names = "--preset", description = "demo (small CPU defaults) or paper (the official recipe) (default: ${DEFAULT-VALUE})") String preset = "demo";
    @Option(names = "--epochs") Integer epochs;
    @Option(names = "--steps", description = "total steps (overrides --epochs)") Long steps;
    @Option(names = "--batch-size") Integer batchSize;
    @Option(names = "--micro-batch", description = "images per forward pass; smaller than the batch = exact gradient caching") Integer microBatch;
    @Option(names = "--lr") Double lr;
    @Option(names = "--weight-decay") Double weightDecay;
    @Option(names = "--warmup") Long warmup;
    @Option(names = "--seed") Long seed;
    @Option(names = "--workers", description = "image loading threads") Integer workers;
    @Option(names = "--checkpoint-every", description = "steps between checkpoints") Integer checkpointEvery;
    @Option(names = "--device", description = "cpu, gpu, or gpu:0,1,... (default: ${DEFAULT-VALUE})") String device = "cpu";
    @Option(names = "--precision", description = "fp32 or fp16 (GPU) (default: from the preset)") String precision;
    @Option(names = "--synth-train", description = "SynthDerm sizes when no --table") int synthTrain = 2400;
    @Option(names = "--synth-val") int synthVal = 300;
    @Option(names = "--synth-test") int synthTest = 600;

    public static void main(String... args) {
        Cli.main(new pretrain(), args);
    }

    @Override
    public Integer call() throws Exception {
        TrainConfig c = switch (preset) {
            case "demo" -> new TrainConfig();
            case "paper" -> TrainConfig.paper();
            default -> throw new org.makekit.util.KitException("--preset '" + preset + "': expected demo or paper");
        };
        c.method = method;
        c.mode = mode;
        if (!preset.equals("paper") || !model.equals("tiny")) c.model = model;
        c.init = init == null ? null : init.toString();
        c.out = out.toString();
        c.device = device;
        c.trainSplit = trainSplit;
        c.evalSplit = evalSplit;
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
        if (precision != null) c.precision = precision;
        if (table == null) {
            Path data = out.resolve("synthderm");
            Path tbl = data.resolve("train-table.csv");
            if (!Files.exists(tbl)) {
                Datasets.ensureSynthDerm(data, new SynthDerm.Config(0, synthTrain, synthVal, synthTest, 64));
                var pairs = ImageTextPairs.read(data.resolve("metadata.csv"), ImageTextPairs.Columns.defaults(), null, null, false);
                TrainingTable.write(tbl, new Augmenter(OntologyExtractor.builtin()).augment(pairs.pairs(), 0).rows());
            }
            table = tbl;
        }
        c.table = table.toString();
        c.imageRoot = imageRoot == null ? null : imageRoot.toString();
        System.out.println("pretraining " + c.method + " (" + c.mode + ") on " + c.table + ", model " + c.model + ", batch "
                + c.batchSize + (c.microBatch > 0 ? " (micro-batches of " + c.microBatch + ")" : "") + ", device " + c.device);
        Trainer.Outcome o = new Trainer(c, true).run(resume);
        System.out.printf(Locale.ROOT, "done: %d steps in %.1f s (%.1f images/s); loss %.4f -> %.4f%n", o.steps(), o.seconds(),
                o.imagesPerSecond(), o.firstLoss(), o.lastLoss());
        if (o.zeroShot() != null) {
            var z = o.zeroShot();
            System.out.printf(Locale.ROOT, "zero-shot on '%s' (%d images, %d classes): top-1 %.3f (chance %.3f), top-5 %.3f, "
                    + "macro AUROC %.3f, balanced accuracy %.3f%n", c.evalSplit, z.n(), z.classes().size(), z.top1(), z.chance(),
                    z.top5(), z.macroAuroc(), z.balancedAccuracy());
        }
        System.out.println("outputs in " + out + ": metrics.csv, loss.png, checkpoints/, model.safetensors");
        return 0;
    }
}
