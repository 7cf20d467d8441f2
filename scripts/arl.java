///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION ARL in miniature against CLIP: retrieval by ITM, linear-head classification, closed VQA, over seeds

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.makekit.experiments.ArlStudy;
import org.makekit.experiments.TableOptions;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "arl", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"ARL (seed 002) in miniature: trains arl-tiny (ontology as knowledge graph, TransE, GAT, knowledge-injected",
                "fusion, align/ITM/whole-entity MLM/MIM) and takes the CLIP row of the same towers, steps and data (Table 3's",
                "when the settings match), then scores both on image-text retrieval (ARL: ITM head), classification (a linear",
                "head on frozen features) and closed VQA on SynthDerm. Writes arl-study.csv, .md and .png into --out."})
public class arl implements Callable<Integer> {
    @Mixin TableOptions o;
    @Option(names = "--arl-model", description = "ARL config: arl-tiny or arl-base (default: ${DEFAULT-VALUE})") String arlModel = "arl-tiny";
    @Option(names = "--arl-lr", description = "ARL's base learning rate, x5 on its own parts (default: ${DEFAULT-VALUE})") double arlLr = 1e-4;
    @Option(names = "--retrieval-pairs", description = "test pairs ranked in retrieval (ARL scores N x N pairs) (default: ${DEFAULT-VALUE})")
    int pairs = 200;
    @Option(names = "--questions", description = "concept questions per image and answer (yes/no) in VQA (default: ${DEFAULT-VALUE})")
    int perAnswer = 2;

    public static void main(String... args) {
        Cli.main(new arl(), args);
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        ArlStudy.Options d = ArlStudy.Options.defaults();
        ArlStudy study = new ArlStudy(o.setup(Path.of("runs/tables"), 150),
                new ArlStudy.Options(arlModel, arlLr, d.weightDecay(), d.eps(), d.warmupShare(), pairs, perAnswer, d.batch()));
        var table = study.table(study.run());
        Path md = study.emit(table);
        System.out.println(Files.readString(md));
        System.out.printf("arl done in %.1f s; tables in %s%n", (System.nanoTime() - t0) / 1e9, md.getParent());
        return 0;
    }
}
