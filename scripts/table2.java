///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION Table 2 in miniature: image-to-text and text-to-image retrieval R@10/50/100 of the Table 1 models

import java.util.concurrent.Callable;
import org.makekit.experiments.PaperTable;
import org.makekit.experiments.RealTables;
import org.makekit.experiments.TableOptions;
import org.makekit.report.PaperNumbers;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "table2", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Table 2 in miniature: image-to-text and text-to-image retrieval R@10/50/100 of the Table 1 models.", "Trains the models it needs into --out (reused by the other table scripts) on SynthDerm",
                "by default, scores them on the held-out split and prints the table; writes table2.csv, .md and .png."})
public class table2 implements Callable<Integer> {
    @Mixin TableOptions o;

    public static void main(String... args) {
        Cli.main(new table2(), args);
    }

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        PaperTable t = new PaperTable(o.setup());
        if (o.dataRoot != null || !o.weights.isEmpty()) {
            RealTables.emit(RealTables.table2(o.models(t, o.rows(PaperTable.TABLE1)), o.dataRoot, t.setup().lexicon), t.setup().out, "table2-real",
                    PaperTable.paper("MAKE Table 2 (reported, SkinCAP)", PaperNumbers.TABLE2_COLUMNS, PaperNumbers.TABLE2));
            System.out.printf("table2 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return 0;
        }
        t.emit(t.table2(o.rows(PaperTable.TABLE1)), "table2", PaperTable.paper("MAKE Table 2 (reported, SkinCAP)", PaperNumbers.TABLE2_COLUMNS, PaperNumbers.TABLE2));
        System.out.printf("table2 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
