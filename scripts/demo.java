///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION The kit's main demo on its embedded data: SynthDerm, knowledge augmentation, CLIP vs MAKE pretraining, Tables 1-3 in miniature.

import ai.djl.engine.Engine;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.experiments.PaperTable;
import org.makekit.experiments.SharedStart;
import org.makekit.experiments.TableOptions;
import org.makekit.report.PaperNumbers;
import org.makekit.train.Method;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"MAKE end to end on the kit's embedded data, in about ten minutes on 2 CPU cores:",
                "generate SynthDerm, augment it (disease and concept texts, sub-sentences), pretrain the CLIP",
                "baseline and MAKE, and print Tables 1-3 in miniature; tables, plots and models go to --out."})
public class demo implements Callable<Integer> {
    @Mixin TableOptions o;

    public static void main(String... args) {
        Cli.main(new demo(), args);
    }

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        // The demo's own sizes: one seed and a smaller shared start than the tables' (its own cache entry).
        PaperTable.Setup setup = o.setup(java.nio.file.Path.of("runs/demo"), 150, 1, SharedStart.Spec.small(3000, 120));
        System.out.println("MAKE-kit demo: " + Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion()
                + " on " + Runtime.getRuntime().availableProcessors() + " CPU cores; " + setup.train.steps + " steps per model; output in "
                + setup.out);
        PaperTable t = new PaperTable(setup);
        System.out.println("\n[1/4] data: SynthDerm (synthetic lesions with long captions) and knowledge augmentation");
        List<TrainingRow> rows = TrainingTable.read(t.prepare());
        TrainingRow first = rows.get(0);
        String[] names = {"raw, cut to 77 tokens", "disease aspect", "concept aspect"};
        List<String> texts = first.texts(8);
        boolean[] mask = first.mask(8);
        System.out.println("one image's texts (label: " + first.label() + "):");
        for (int k = 0; k < texts.size(); k++) {
            if (mask[k]) System.out.printf("  %-22s %s%n", k < 3 ? names[k] : "sub-sentence " + (k - 2), texts.get(k));
        }
        System.out.println("\n[2/4] pretraining the CLIP baseline (raw caption) and MAKE (MKCL + SLRA + DKW, mode " + setup.train.mode + ")"
                + (SharedStart.NAME.equals(setup.train.init) ? ", both from the shared start (a generic model pretrained on SynthScenes,"
                + " built once and cached; the paper's rows all start from OpenAI CLIP)" : ""));
        for (Method m : List.of(Method.CLIP, Method.MAKE)) System.out.println("  " + PaperTable.describe(t.scores(m)));
        System.out.println("\n[3/4] tables (miniature: SynthDerm replaces the paper's seven datasets)");
        t.emit(t.table1(List.of(Method.CLIP, Method.MAKE)), "table1", null);
        t.emit(t.table2(List.of(Method.CLIP, Method.MAKE)), "table2", null);
        t.emit(t.table3(List.of(Method.CLIP, Method.MAKE)), "table3",
                PaperTable.paper("MAKE Table 3 (reported; rows 1 and 5 correspond)", PaperNumbers.TABLE3_COLUMNS,
                        List.of(PaperNumbers.TABLE3.get(0), PaperNumbers.TABLE3.get(4))));
        String seed = "seed-" + setup.train.seed;
        System.out.println("\n[4/4] loss curves: " + setup.out.resolve("clip").resolve(seed).resolve("loss.png") + ", "
                + setup.out.resolve("make").resolve(seed).resolve("loss.png") + " (SLRA's open-gate share and pooled norm per step: "
                + setup.out.resolve("make").resolve(seed).resolve("metrics.csv") + ")");
        System.out.println("one seed per row here: the intervals above cover the sampling of test images, not the run-to-run spread of"
                + " training. Over seeds: table3@. (3 by default; --seeds N); SigLIP, CoCa, O-MAKE and the knowledge-augmented baselines: table1@.");
        System.out.printf(Locale.ROOT, "demo done in %.1f min%n", (System.nanoTime() - t0) / 60e9);
        return 0;
    }
}
