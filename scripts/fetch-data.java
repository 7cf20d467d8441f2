///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Xmx2g
//DESCRIPTION Fetch a dataset named by its manifest: download (resumable, checksummed), generate, or explain the manual steps.

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.data.Fetcher;
import org.makekit.data.Manifest;
import org.makekit.data.Weights;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "fetch-data", mixinStandardHelpOptions = true,
        description = {"Gets a dataset described in data-manifests/NAME.json into its data folder:",
                "public files are downloaded with a progress bar (an interrupted download resumes), verified and",
                "extracted; SynthDerm and SynthCXR are generated; gated data gets its manual steps. --local-dir reads an existing copy.",
                "Data folder: --local-dir, else $MAKEKIT_DATA_<NAME>, else $MAKEKIT_DATA/<name>, else data/<name>.",
                "Released weights (data-manifests/weights/NAME.json) go to ~/.cache/makekit/weights/NAME ($MAKEKIT_CACHE moves it)."})
class fetch_data implements Callable<Integer> {
    @Parameters(index = "0", description = "dataset or released-weights name (see the datasets script)")
    String name;

    @Option(names = "--local-dir", description = "use the copy in this folder instead of downloading")
    Path localDir;

    @Option(names = "--synth-train", description = "sizes of a generated dataset (SynthDerm, SynthCXR)") int synthTrain = 2400;
    @Option(names = "--synth-val") int synthVal = 300;
    @Option(names = "--synth-test") int synthTest = 600;
    @Option(names = "--synth-size") int synthSize = 64;
    @Option(names = "--seed") long seed = 0;

    public static void main(String... args) {
        Cli.main(new fetch_data(), args);
    }

    @Override
    public Integer call() {
        Weights w = Weights.find(name);
        if (w != null) {
            System.out.println(w.title() + "\n  licence: " + w.license() + "\n  cite: " + w.citation() + "\n  config: "
                    + w.config() + "\n  folder: " + w.folder(localDir));
            Path dir = w.fetch(localDir, true);
            System.out.println("  ready: " + dir + " (use it as --init " + w.name() + " or --weights " + w.name() + ")");
            return 0;
        }
        Manifest m = Manifest.find(name);
        Path dir = m.dataDir(localDir);
        System.out.println(m.title() + "\n  licence: " + m.license() + "\n  cite: " + m.citation() + "\n  folder: " + dir);
        if (m.access().equals("generated")) {
            Datasets.ensureGenerated(m.name(), dir, seed, synthTrain, synthVal, synthTest, synthSize);
        } else if (localDir == null && !m.downloads().isEmpty()) {
            Fetcher f = new Fetcher(true);
            for (Manifest.Download d : m.downloads()) {
                Path file = dir.resolve("downloads").resolve(d.file());
                String sha = f.download(d.url(), file, d.sha256());
                System.out.println("  " + d.file() + " sha256 " + sha + (d.sha256() == null ? " (no checksum in the manifest: pin this one)" : " (verified)"));
                if (d.extract()) System.out.println("  extracted " + Fetcher.extract(file, dir) + " files");
            }
        }
        Manifest.Status st = m.status(dir);
        if (st.present()) {
            System.out.println("  ready: " + st.detail());
            return 0;
        }
        System.out.println("  not ready: " + st.detail());
        System.out.println("  " + (m.access().equals("gated") ? "access is gated; " : "") + "steps:");
        for (String s : m.manualSteps()) System.out.println("   - " + s);
        System.out.println("  then run: fetch-data " + m.name() + " again (or pass --local-dir, or set " + m.envVar() + ")");
        return 3;
    }
}
