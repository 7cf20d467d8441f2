import java.nio.file.Path;
import org.makekit.data.SynthDerm;
import org.makekit.eval.PaperTable;
import picocli.CommandLine.Option;

/** Options shared by the table scripts (included with //SOURCES). */
public class TableOptions {
    @Option(names = "--out", description = "folder for models and tables, shared by table1-3 (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs/tables");
    @Option(names = "--table", description = "a training table with label/split columns instead of SynthDerm")
    Path table;
    @Option(names = "--dataset", description = "a dataset by manifest instead of SynthDerm, e.g. ham10000 (with --local-dir)")
    String dataset;
    @Option(names = "--local-dir", description = "the --dataset's folder on disk")
    Path localDir;
    @Option(names = "--concepts", description = "concept labels CSV (image + 0/1 columns)")
    Path concepts;
    @Option(names = "--data-name", description = "name of the data in the tables (default: ${DEFAULT-VALUE})")
    String dataName = "SynthDerm";
    @Option(names = "--model", description = "model config (default: ${DEFAULT-VALUE})")
    String model = "tiny";
    @Option(names = "--mode", description = "MAKE indexing, compat or intended (default: ${DEFAULT-VALUE})")
    String mode = "compat";
    @Option(names = "--steps", description = "training steps per model (default: ${DEFAULT-VALUE})")
    long steps = 300;
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

    PaperTable.Setup setup() {
        PaperTable.Setup s = new PaperTable.Setup();
        s.out = out;
        s.table = table;
        s.dataset = dataset;
        s.localDir = localDir;
        s.concepts = concepts;
        s.dataName = dataset != null && dataName.equals("SynthDerm") ? dataset.toUpperCase(java.util.Locale.ROOT) : dataName;
        s.synth = new SynthDerm.Config(seed, synthTrain, synthVal, synthTest, 64);
        s.train.model = model;
        s.train.mode = mode;
        s.train.steps = steps;
        s.train.batchSize = batchSize;
        s.train.lr = lr;
        s.train.seed = seed;
        s.train.warmup = Math.min(50, Math.max(1, steps / 6));
        s.train.checkpointEvery = (int) Math.max(1, Math.min(100, steps));
        s.reuse = !retrain;
        s.minPositives = minPositives;
        return s;
    }
}
