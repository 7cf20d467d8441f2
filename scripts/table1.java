///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION Table 1 in miniature: zero-shot disease classification and concept annotation (CLIP, SigLIP, on raw and knowledge-augmented captions, and MAKE)

import java.util.concurrent.Callable;
import org.makekit.experiments.PaperTable;
import org.makekit.experiments.RealTables;
import org.makekit.experiments.TableOptions;
import org.makekit.report.PaperNumbers;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "table1", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Table 1 in miniature: zero-shot disease classification and concept annotation (CLIP, SigLIP, on raw and knowledge-augmented captions, and MAKE).", "Trains the models it needs into --out (reused by the other table scripts) on SynthDerm",
                "by default, scores them on the held-out split and prints the table; writes table1.csv, .md and .png."})
public class table1 implements Callable<Integer> {
    @Mixin TableOptions o;

    public static void main(String... args) {
        Cli.main(new table1(), args);
    }

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        PaperTable t = new PaperTable(o.setup());
        if (o.dataRoot != null || !o.weights.isEmpty()) {
            RealTables.emit(RealTables.table1(o.models(t, o.rows(PaperTable.TABLE1)), o.dataRoot, t.setup().minPositives, t.setup().lexicon), t.setup().out, "table1-real",
                    PaperTable.paper("MAKE Table 1 (reported)", PaperNumbers.TABLE1_COLUMNS, PaperNumbers.TABLE1));
            System.out.printf("table1 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return 0;
        }
        t.emit(t.table1(o.rows(PaperTable.TABLE1)), "table1", PaperTable.paper("MAKE Table 1 (reported)", PaperNumbers.TABLE1_COLUMNS, PaperNumbers.TABLE1));
        System.out.printf("table1 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
