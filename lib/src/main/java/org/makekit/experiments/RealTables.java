package org.makekit.experiments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.data.EvalSets;
import org.makekit.data.Manifest;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.model.ModelConfig;
import org.makekit.report.PaperNumbers;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * Tables 1 and 2 on the paper's own evaluation sets, read in their release layouts from one folder
 * per set ({@code DATA_ROOT/<manifest name>}, else each manifest's data folder). Every model is
 * scored on every set that is present, with the paper's protocol: zero-shot top-1 over the whole set
 * with the set's class list (PAD, F17K, SD-128, SNU-134), concept mean AUROC (SkinCon, Derm7pt),
 * retrieval R@10/50/100 both ways (SkinCAP). Sets that are absent are listed with how to get them.
 */
public final class RealTables {
    private RealTables() {}

    /** A model to score: the table's label and data cells, its config and weights. */
    public record Model(String label, String data, String config, Path weights) {}

    /** A table and the sets that were not there (one line each, with their access steps). */
    public record Result(Table table, List<String> missing) {}

    /** Table 1's sets in the paper's column order, with the column each fills. */
    public static final Map<String, String> TABLE1_SETS = new LinkedHashMap<>();

    static {
        TABLE1_SETS.put("pad-ufes-20", "PAD");
        TABLE1_SETS.put("fitzpatrick17k", "F17K");
        TABLE1_SETS.put("sd-128", "SD-128");
        TABLE1_SETS.put("snu-134", "SNU-134");
        TABLE1_SETS.put("skincon", "SkinCon");
        TABLE1_SETS.put("derm7pt", "Derm7pt");
    }

    static Path dir(String set, Path dataRoot) {
        return dataRoot != null ? dataRoot.resolve(set) : Manifest.find(set).dataDir(null);
    }

    /** The sets present (with images), reading each once; the others go to {@code missing}. */
    static Map<String, EvalSets.EvalSet> present(List<String> sets, Path dataRoot, List<String> missing) {
        Map<String, EvalSets.EvalSet> out = new LinkedHashMap<>();
        for (String name : sets) {
            Path d = dir(name, dataRoot);
            Manifest m = Manifest.find(name);
            String how = m.title() + "; get it: " + m.homepage() + (m.manualSteps().isEmpty() ? "" : " (" + m.manualSteps().get(0) + ")")
                    + "; licence: " + m.license();
            if (!Files.isDirectory(d)) {
                missing.add(name + ": not in " + d + ". " + how);
                continue;
            }
            try {
                EvalSets.EvalSet s = EvalSets.read(name, d, "all");
                if (s.rows().isEmpty()) {
                    missing.add(name + ": " + s.listed() + " rows listed but no image found under " + d + ". " + how);
                    continue;
                }
                System.err.println(s.summary());
                out.put(name, s);
            } catch (org.makekit.util.KitException e) {
                missing.add(name + ": cannot be read (" + e.getMessage() + "). " + how);
            }
        }
        return out;
    }

    public static Result table1(List<Model> models, Path dataRoot, int minPositives, ConceptLexicon lexicon) {
        List<String> missing = new ArrayList<>();
        Map<String, EvalSets.EvalSet> sets = present(new ArrayList<>(TABLE1_SETS.keySet()), dataRoot, missing);
        StringColumn method = StringColumn.create("Method");
        StringColumn data = StringColumn.create("Pretrain data");
        Map<String, DoubleColumn> cols = new LinkedHashMap<>();
        for (String c : PaperNumbers.TABLE1_COLUMNS) cols.put(c, DoubleColumn.create(c));
        for (Model mo : models) {
            method.append(mo.label());
            data.append(mo.data());
            ModelConfig mc = ModelConfig.load(mo.config());
            List<Double> acc = new ArrayList<>();
            List<Double> auc = new ArrayList<>();
            for (Map.Entry<String, String> e : TABLE1_SETS.entrySet()) {
                EvalSets.EvalSet s = sets.get(e.getKey());
                double v = Double.NaN;
                if (s != null) {
                    System.err.println("scoring " + mo.label() + " (" + mo.data() + ") on " + e.getKey());
                    Experiment.Scores sc = Experiment.evaluate(mo.label(), mc, mo.weights(), Experiment.Task.of(s, minPositives,
                            lexicon), Double.NaN);
                    v = s.concepts() != null ? (sc.concepts() == null ? Double.NaN : sc.concepts().mean())
                            : (sc.zeroShot() == null ? Double.NaN : sc.zeroShot().top1());
                    (s.concepts() != null ? auc : acc).add(v); // no graph: a Java list of cell values
                }
                cols.get(e.getValue()).append(PaperTable.round(v));
            }
            cols.get("Avg ACC").append(PaperTable.round(mean(acc)));
            cols.get("Avg AUROC").append(PaperTable.round(mean(auc)));
        }
        Table t = Table.create("Table 1 on the paper's evaluation sets present (" + String.join(", ", sets.keySet())
                + "): zero-shot ACC and concept AUROC; averages over the sets present");
        t.addColumns(method, data);
        cols.values().forEach(t::addColumns);
        return new Result(t, missing);
    }

    public static Result table2(List<Model> models, Path dataRoot, ConceptLexicon lexicon) {
        List<String> missing = new ArrayList<>();
        Map<String, EvalSets.EvalSet> sets = present(List.of("skincap"), dataRoot, missing);
        StringColumn method = StringColumn.create("Method");
        StringColumn data = StringColumn.create("Pretrain data");
        List<DoubleColumn> cols = new ArrayList<>();
        for (String k : PaperNumbers.TABLE2_COLUMNS) cols.add(DoubleColumn.create(k));
        EvalSets.EvalSet s = sets.get("skincap");
        if (s != null) {
            for (Model mo : models) {
                method.append(mo.label());
                data.append(mo.data());
                Experiment.Scores sc = Experiment.evaluate(mo.label(), ModelConfig.load(mo.config()), mo.weights(),
                        Experiment.Task.of(s, 1, lexicon), Double.NaN);
                PaperTable.appendRetrieval(cols, sc.retrieval());
            }
        }
        Table t = Table.create("Table 2 on SkinCAP" + (s == null ? " (not present)" : " (" + s.rows().size() + " images)")
                + ": cross-modal retrieval");
        t.addColumns(method, data);
        cols.forEach(t::addColumns);
        return new Result(t, missing);
    }

    /** Prints a table on real data, the sets that were missing, and the paper's rows; writes CSV/markdown/PNG. */
    public static void emit(Result r, Path out, String base, Table paper) {
        System.out.println(r.table().printAll());
        org.makekit.report.TableWriter.write(r.table(), out, base, "Method");
        if (!r.missing().isEmpty()) {
            System.out.println("Not scored (" + r.missing().size() + " sets):");
            r.missing().forEach(m -> System.out.println("  - " + m));
        }
        System.out.println("The paper's numbers (MAKE, MICCAI 2025), each row with its source. Its models are ViT-B/16 trained on"
                + " Derm1M; compare a column only where the set above is the whole released set:");
        System.out.println(paper.printAll());
        System.out.println("wrote " + out.resolve(base + ".csv") + ", .md and .png");
    }

    static double mean(List<Double> v) {
        return v.isEmpty() ? Double.NaN : v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
