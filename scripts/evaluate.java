///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx8g
//DESCRIPTION Evaluate a checkpoint: zero-shot classification, concept annotation and retrieval on a dataset.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.data.EvalSets;
import org.makekit.data.Manifest;
import org.makekit.data.Weights;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.eval.EvalData;
import org.makekit.eval.ZeroShotEval;
import org.makekit.experiments.Experiment;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.knowledge.TrainingTables;
import org.makekit.model.ModelConfig;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Scores a checkpoint on a dataset, over the whole set: zero-shot classification (8 templates;",
                "top-1, top-5, macro AUROC), concept annotation (MONET protocol; AUROC per concept and mean) and",
                "image-text retrieval (R@1/5/10/50/100 both ways). Writes results.csv and prints the table."})
public class evaluate implements Callable<Integer> {
    @Option(names = "--model", description = "model config (default: ${DEFAULT-VALUE})") String model = "tiny";
    @Option(names = "--weights", required = true, description = "a run's model.safetensors, any PyTorch/safetensors weights file or folder, "
            + "or a released model by name (make, dermlip, openai, ...; see datasets)") String weights;
    @Option(names = "--dataset", description = {"a dataset by manifest: pad-ufes-20, fitzpatrick17k, sd-128, snu-134, skincon, derm7pt,",
            "skincap (read in their release layouts), synthderm or ham10000"}) String dataset;
    @Option(names = "--local-dir", description = "data folder for --dataset (default: the manifest's data folder)") Path localDir;
    @Option(names = "--csv", description = "a training table, or any CSV with an image column and label/caption columns") Path csv;
    @Option(names = "--image-root", description = "folder image paths are relative to (default: the CSV's folder)") Path imageRoot;
    @Option(names = "--image-column", description = "(default: ${DEFAULT-VALUE})") String imageColumn = "image";
    @Option(names = "--label-column", description = "(default: ${DEFAULT-VALUE})") String labelColumn = "label";
    @Option(names = "--caption-column", description = "(default: ${DEFAULT-VALUE})") String captionColumn = "caption";
    @Option(names = "--classes", description = {"with --csv: the zero-shot class list, a zero-shot.json dataset key (PAD-UFES-20,",
            "Fitzpatrick17k, SD-128, SNU-134, HAM10000, ...) or a text file with one class per line (default: the known",
            "list the labels belong to, else the labels present; printed either way)"}) String classes;
    @Option(names = "--concepts", description = "CSV of concept labels: image column plus one 0/1 column per concept") Path concepts;
    @Option(names = "--concept-terms", description = "concept lexicon JSON {concept: [terms]} (default: the built-in dermatology one)") Path conceptTerms;
    @Option(names = "--split", description = {"rows to score: all, or a split the data has (default: all for the paper's",
            "evaluation sets, whose zero-shot protocol scores whole sets; test otherwise)"}) String split;
    @Option(names = "--min-positives", description = "concepts with fewer positives are reported and left out (default: ${DEFAULT-VALUE})") int minPositives = 10;
    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})") Path out = Path.of("runs/evaluate");

    public static void main(String... args) {
        Cli.main(new evaluate(), args);
    }

    @Override
    public Integer call() throws Exception {
        Files.createDirectories(out);
        ConceptLexicon lexicon = conceptTerms != null ? ConceptLexicon.load(conceptTerms) : ConceptLexicon.builtin();
        if (dataset != null && EvalSets.has(dataset)) {
            Manifest mf = Manifest.find(dataset);
            EvalSets.EvalSet set = EvalSets.read(dataset, mf.dataDir(localDir), split == null ? "all" : split);
            System.out.println(set.summary());
            set.notes().forEach(n -> System.out.println("  " + n));
            if (!set.classes().isEmpty()) {
                System.out.println("  classes (" + set.classes().size() + ", from the dataset): " + String.join(", ",
                        set.classes().subList(0, Math.min(8, set.classes().size()))) + (set.classes().size() > 8 ? ", ..." : ""));
            }
            return report(Experiment.evaluate(model, ModelConfig.load(model), Weights.require(weights),
                    Experiment.Task.of(set, minPositives, lexicon), Double.NaN), set.rows().size(), dataset);
        }
        if (split == null) split = "test";
        Path table = csv;
        Path conceptCsv = concepts;
        if (dataset != null) {
            Path pairs = Datasets.pairs(dataset, localDir, out, SynthDerm.Config.defaults());
            table = out.resolve(dataset + "-table.csv");
            var rows = TrainingTables.augment(pairs, null).stream()
                    .map(r -> new TrainingRow(out.toAbsolutePath().relativize(pairs.toAbsolutePath().getParent().resolve(r.filename())).toString(),
                            r.caption(), r.truncatedCaption(), r.diseaseCaption(), r.conceptCaption(), r.subcaptions(), r.subMask(),
                            r.knowledgeMask(), r.diagnosis(), r.concepts(), r.label(), r.split())).toList();
            TrainingTable.write(table, rows);
            if (conceptCsv == null && dataset.equals("synthderm")) conceptCsv = pairs.getParent().resolve("concepts.csv");
        }
        if (table == null) throw new org.makekit.util.KitException("give --dataset or --csv");
        Path root = imageRoot != null ? imageRoot : table.toAbsolutePath().getParent();
        List<TrainingRow> rows = EvalData.read(table, split, imageColumn, labelColumn, captionColumn);
        var labels = conceptCsv == null ? null : Experiment.readConceptLabels(conceptCsv, imageColumn);
        List<String> classList = null;
        if (rows.stream().anyMatch(r -> !r.label().isEmpty())) {
            classList = classes == null ? ZeroShotEval.classesFor(rows) : readClasses(classes);
            System.out.println("classes (" + classList.size() + (classes == null ? ", from the labels: give --classes to choose" : "")
                    + "): " + String.join(", ", classList.subList(0, Math.min(8, classList.size()))) + (classList.size() > 8 ? ", ..." : ""));
        }
        Experiment.Task task = new Experiment.Task(rows, root, labels, conceptCsv == null ? null : conceptCsv.toAbsolutePath().getParent(),
                minPositives, lexicon, classList);
        return report(Experiment.evaluate(model, ModelConfig.load(model), Weights.require(weights), task, Double.NaN), rows.size(),
                split);
    }

    static List<String> readClasses(String spec) throws java.io.IOException {
        Path f = Path.of(spec);
        if (Files.isRegularFile(f)) return Files.readAllLines(f).stream().map(String::strip).filter(x -> !x.isEmpty()).toList();
        return ZeroShotEval.classnames(spec);
    }

    private int report(Experiment.Scores s, int images, String what) throws Exception {
        Map<String, Double> results = new LinkedHashMap<>();
        if (s.zeroShot() != null) s.zeroShot().asMap().forEach((k, v) -> results.put("zero_shot_" + k, ((Number) v).doubleValue()));
        if (s.concepts() != null) {
            results.put("concept_mean_auroc", s.concepts().mean());
            s.concepts().auroc().forEach((k, v) -> results.put("concept_auroc[" + k + "]", v));
        }
        s.retrieval().forEach((k, v) -> results.put("retrieval_" + k, v));
        StringBuilder csvOut = new StringBuilder("metric,value\n");
        results.forEach((k, v) -> csvOut.append('"').append(k).append("\",").append(String.format(Locale.ROOT, "%.6f", v)).append('\n'));
        Files.writeString(out.resolve("results.csv"), csvOut);
        Table t = Table.create("evaluation of " + weights + " on " + images + " images ('" + what + "')");
        t.addColumns(StringColumn.create("metric", results.keySet()),
                DoubleColumn.create("value", results.values().stream().mapToDouble(d -> Math.round(d * 10000) / 10000.0).toArray()));
        System.out.println(t.printAll());
        if (s.concepts() != null && !s.concepts().excluded().isEmpty()) {
            System.out.println("concepts left out: " + s.concepts().excluded());
        }
        System.out.println("wrote " + out.resolve("results.csv"));
        return 0;
    }
}
