///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx4g
//DESCRIPTION Benchmark: the kit against its PyTorch eager twin (bench/twin.py) on the same weights, batch, loss and threads.

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.makekit.bench.Bench;
import org.makekit.util.Cli;
import org.makekit.util.SharedPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tech.tablesaw.api.Table;

@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures the kit against a PyTorch eager twin of the same model and MAKE loss:",
                "training step time and images/s, evaluation embedding throughput, peak resident memory and",
                "model FLOP/s against a matmul peak measured in the same run; optionally the data loader and",
                "memory over a long run. Each measurement runs in a fresh process; kit and twin alternate.",
                "The twin needs PyTorch: on Debian 'apt-get install python3-torch libopenblas0-pthread'",
                "(without OpenBLAS Debian's torch uses a reference BLAS and its figures mean nothing).",
                "Every kit process of a fixture must report the same losses bit for bit (CPU training is",
                "deterministic): a difference or a NaN is a correctness failure, shown in the table, exit 3."})
class bench implements Callable<Integer> {
    @Option(names = "--configs", split = ",", description = "model configs (default: ${DEFAULT-VALUE})")
    List<String> configs = List.of("tiny", "ViT-B-16");

    @Option(names = "--batch", description = "batch for the small configs (default: ${DEFAULT-VALUE})")
    int batch = 32;

    @Option(names = "--vit-batch", description = "batch for ViT-B/16-size configs (default: ${DEFAULT-VALUE})")
    int vitBatch = 2;

    @Option(names = "--method", description = "clip or make (default: ${DEFAULT-VALUE})")
    String method = "make";

    @Option(names = "--mode", description = "MAKE loss mode, compat or intended (default: ${DEFAULT-VALUE})")
    String mode = "compat";

    @Option(names = "--rounds", description = "alternating rounds; figures are medians (default: ${DEFAULT-VALUE})")
    int rounds = 2;

    @Option(names = "--warmup", description = "untimed steps first in each process (default: ${DEFAULT-VALUE})")
    int warmup = 1;

    @Option(names = "--steps", description = "timed training steps per process (at most 2 for ViT-B/16) (default: ${DEFAULT-VALUE})")
    int steps = 4;

    @Option(names = "--embed-batches", description = "timed embedding batches per process (default: ${DEFAULT-VALUE})")
    int embedBatches = 4;

    @Option(names = "--threads", description = "intra-op threads on both sides (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--loader-images", description = "images for the data-loader check, 0 to skip (default: ${DEFAULT-VALUE})")
    int loaderImages = 512;

    @Option(names = "--stability-steps", description = "training steps of the memory-stability run, 0 to skip (default: ${DEFAULT-VALUE})")
    int stabilitySteps = 0;

    @Option(names = "--python", description = "python with torch (default: ${DEFAULT-VALUE})")
    String python = "/usr/bin/python3";

    @Option(names = "--twin", description = "the twin script (default: bench/twin.py in the repository)")
    Path twin;

    @Option(names = "--java-xmx", description = "heap of the kit's measuring JVMs (default: ${DEFAULT-VALUE})")
    String javaXmx = "6g";

    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs/bench");

    @Option(names = "--repeat", description = "instead of measuring: run each config's training step in N fresh processes and "
            + "count how many give the reference losses (a correctness check)")
    int repeat;

    @Option(names = "--corrupt-round", description = "fault injection: in this round (or repeat run) one gradient element is "
            + "perturbed, to check that the determinism sentinel catches it (default: none)")
    int corruptRound;

    public static void main(String... args) {
        Cli.main(new bench(), args);
    }

    @Override
    public Integer call() {
        Path tw = twin != null ? twin : SharedPaths.repoRoot().resolve("bench/twin.py");
        Bench b = new Bench(new Bench.Options(configs, batch, vitBatch, rounds, warmup, steps, embedBatches, threads, python,
                tw, out.toAbsolutePath(), stabilitySteps, loaderImages, method, mode, javaXmx, corruptRound));
        if (repeat > 0) b.repeat(repeat);
        else b.run();
        Table t = b.table();
        System.out.println(t.printAll());
        b.write(t);
        if (!b.failures().isEmpty()) {
            System.out.println("CORRECTNESS FAILURE: " + String.join("; ", b.failures()));
            return 3;
        }
        return 0;
    }
}
