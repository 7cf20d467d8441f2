///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//DESCRIPTION List the datasets the kit knows (data-manifests/), what is present and what is missing.

import java.util.concurrent.Callable;
import org.makekit.data.EvalSets;
import org.makekit.data.Manifest;
import org.makekit.data.Weights;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "datasets", mixinStandardHelpOptions = true,
        description = "Lists every data and weights manifest with its access, licence and whether it is on disk.")
public class datasets implements Callable<Integer> {
    public static void main(String... args) {
        Cli.main(new datasets(), args);
    }

    @Override
    public Integer call() {
        Table t = Table.create("datasets (data-manifests/)");
        StringColumn name = StringColumn.create("name");
        StringColumn access = StringColumn.create("access");
        StringColumn license = StringColumn.create("licence");
        StringColumn status = StringColumn.create("status");
        for (Manifest m : Manifest.all()) {
            name.append(m.name());
            access.append(m.access());
            license.append(m.license().length() > 28 ? m.license().substring(0, 27) + "…" : m.license());
            status.append(EvalSets.status(m.name(), m.dataDir(null), () -> {
                Manifest.Status s = m.status(m.dataDir(null));
                return (s.present() ? "present: " : "") + s.detail();
            }));
        }
        t.addColumns(name, access, license, status);
        System.out.println(t.printAll());
        Table w = Table.create("released weights (data-manifests/weights/; cache " + Weights.cacheRoot() + ")");
        StringColumn wname = StringColumn.create("name");
        StringColumn config = StringColumn.create("config");
        StringColumn wlicense = StringColumn.create("licence");
        StringColumn wstatus = StringColumn.create("status");
        for (Weights m : Weights.all()) {
            wname.append(m.name());
            config.append(m.config());
            wlicense.append(m.license().length() > 28 ? m.license().substring(0, 27) + "…" : m.license());
            wstatus.append(m.status());
        }
        w.addColumns(wname, config, wlicense, wstatus);
        System.out.println(w.printAll());
        System.out.println("fetch one with: fetch-data NAME (or fetch-data NAME --local-dir DIR for a copy on disk)");
        System.out.println("use weights by name: pretrain --init openai, evaluate --weights make, embed --weights dermlip");
        return 0;
    }
}
