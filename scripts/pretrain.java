///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION Pretrain CLIP, SigLIP or MAKE (Table 3 rows) on a training table, with checkpoints and exact resume.

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.experiments.PretrainOptions;
import org.makekit.experiments.Pretraining;
import org.makekit.knowledge.TrainingTables;
import org.makekit.train.Method;
import org.makekit.train.TrainConfig;
import org.makekit.train.Trainer;
import org.makekit.util.Cli;
import org.makekit.util.KitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "pretrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Pretrains a CLIP-style model with any registered method (--list-methods): the baselines clip,",
                "clip-augmented, siglip, siglip-augmented and MAKE's Table 3 rows mkcl-knowledge, mkcl, mkcl+slra, make;",
                "arl (a fusion model: with --model arl-tiny or arl-base; no zero-shot check, see the arl script);",
                "--mode compat | intended (MAKE's indexing). Without --table it trains on the embedded SynthDerm.",
                "Writes metrics.csv, loss.png, checkpoints/ (resume with --resume), model.safetensors, zero-shot.json.",
                "Options not given keep the --preset's value."})
public class pretrain implements Callable<Integer> {
    @Mixin PretrainOptions o;

    public static void main(String... args) {
        Cli.main(new pretrain(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (o.listMethods) {
            for (Method m : Method.all()) System.out.printf(Locale.ROOT, "%-18s %s%n", m.id(), m.description());
            return 0;
        }
        TrainConfig c = o.config();
        Path table = o.table;
        if (table == null) {
            Path data = o.out.resolve("synthderm");
            Datasets.ensureSynthDerm(data, o.synth());
            table = TrainingTables.fromPairs(data.resolve("metadata.csv"), data.resolve("train-table.csv"), null);
        }
        c.table = table.toString();
        System.out.println("pretraining " + c.method + " (" + c.mode + ") on " + c.table + ", model " + c.model + ", batch "
                + c.batchSize + (c.microBatch > 0 ? " (micro-batches of " + c.microBatch + ")" : "") + ", device " + c.device
                + (c.steps > 0 ? ", " + c.steps + " steps" : ", " + c.epochs + " epochs"));
        Pretraining.Result r = Pretraining.run(c, o.resume, true);
        Trainer.Outcome t = r.training();
        System.out.printf(Locale.ROOT, "done: %d steps in %.1f s (%.1f images/s); loss %.4f -> %.4f%n", t.steps(), t.seconds(),
                t.imagesPerSecond(), t.firstLoss(), t.lastLoss());
        if (r.zeroShot() != null) {
            var z = r.zeroShot();
            System.out.printf(Locale.ROOT, "zero-shot on '%s' (%d images, %d classes): top-1 %.3f (chance %.3f), top-5 %.3f, "
                    + "macro AUROC %.3f, balanced accuracy %.3f%n", c.evalSplit, z.n(), z.classes().size(), z.top1(), z.chance(),
                    z.top5(), z.macroAuroc(), z.balancedAccuracy());
        }
        System.out.println("outputs in " + o.out + ": metrics.csv, loss.png, checkpoints/, model.safetensors");
        return 0;
    }
}
