///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx12g
//DESCRIPTION Table 3 in miniature: the ablation (CLIP baseline, MKCL knowledge-only, MKCL, +SLRA, +DKW)

import java.util.concurrent.Callable;
import org.makekit.experiments.PaperTable;
import org.makekit.experiments.TableOptions;
import org.makekit.report.PaperNumbers;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "table3", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Table 3 in miniature: the ablation (CLIP baseline, MKCL knowledge-only, MKCL, +SLRA, +DKW).", "Trains the models it needs into --out (reused by the other table scripts) on SynthDerm",
                "by default, scores them on the held-out split and prints the table; writes table3.csv, .md and .png."})
public class table3 implements Callable<Integer> {
    @Mixin TableOptions o;

    public static void main(String... args) {
        Cli.main(new table3(), args);
    }

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        PaperTable t = new PaperTable(o.setup());
        t.emit(t.table3(o.rows(PaperTable.TABLE3)), "table3", PaperTable.paper("MAKE Table 3 (reported)", PaperNumbers.TABLE3_COLUMNS, PaperNumbers.TABLE3));
        System.out.printf("table3 done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
