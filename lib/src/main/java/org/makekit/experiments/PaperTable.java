package org.makekit.experiments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.data.Datasets;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingRow;
import org.makekit.eval.Bootstrap;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.knowledge.TrainingTables;
import org.makekit.model.ModelConfig;
import org.makekit.report.PaperNumbers;
import org.makekit.report.TableWriter;
import org.makekit.train.Method;
import org.makekit.train.TrainConfig;
import org.makekit.util.KitException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The paper's Tables 1-3 as experiments: each trains (or reuses) the models it needs into one shared
 * folder, scores them on the held-out split, and prints the table in the paper's layout, with CSV,
 * markdown and a bar chart. On the embedded SynthDerm the paper's own numbers are not comparable
 * (other data, other scale) and are listed apart, with their table and row.
 */
public final class PaperTable {
    /** Where the data come from and how the models are trained. */
    public static final class Setup {
        public Path out = Path.of("runs/tables");
        public Path table;                 // a training table; null = SynthDerm (or --dataset)
        public String dataset;             // a manifest with a caption builder (ham10000); null = SynthDerm
        public Path localDir;              // the dataset's folder on disk
        public Path concepts;              // concept labels CSV; SynthDerm's by default
        public String dataName = "SynthDerm";
        public String evalSplit = "test";
        public SynthDerm.Config synth = SynthDerm.Config.defaults();
        public TrainConfig train = new TrainConfig();
        public boolean reuse = true;
        public int minPositives = 10;
        public ConceptLexicon lexicon = ConceptLexicon.builtin(); // concept terms for the concept-annotation task
        public int seeds = 1;              // training seeds per row: train.seed, train.seed + 1, ...
        public SharedStart.Spec start = SharedStart.Spec.defaults(); // the start when train.init is "shared"
        public int bootstrapReps = 2000;   // resamples of the test images for the intervals
        public List<String> classes;      // zero-shot classes (null: the known list the labels belong to)
        public List<String> prompts;      // zero-shot templates (null: MAKE's dermatology templates)
        public org.makekit.knowledge.KnowledgeExtractor extractor; // knowledge for generated data (null: dermatology's)

        /**
         * This setup on another domain's data: its generated or given folder's training table built with
         * the domain's knowledge, its concept labels, lexicon, classes and prompts; MedCutMix and O-MAKE
         * read the domain's ontology and lexicon files.
         */
        public Setup domain(org.makekit.knowledge.Domain d) {
            lexicon = d.lexicon();
            classes = d.classes();
            prompts = d.prompts();
            extractor = d.extractor();
            dataName = d.name();
            if (d.ontologyFile() != null) train.ontology = d.ontologyFile().toAbsolutePath().toString();
            if (d.lexiconFile() != null) train.concepts = d.lexiconFile().toAbsolutePath().toString();
            return this;
        }

        {
            train.init = SharedStart.NAME; // every row starts from the kit's shared start, as the paper's from OpenAI CLIP
        }

        /** The training seeds of every row. */
        public List<Long> seedList() {
            if (seeds < 1) throw new KitException("--seeds must be at least 1, got " + seeds);
            List<Long> l = new ArrayList<>();
            for (int i = 0; i < seeds; i++) l.add(train.seed + i);
            return l;
        }
    }

    public static final List<Method> TABLE1 = List.of(Method.CLIP, Method.CLIP_AUGMENTED, Method.SIGLIP,
            Method.SIGLIP_AUGMENTED, Method.COCA, Method.COCA_AUGMENTED, Method.MAKE, Method.OMAKE);
    /** The paper's five ablation rows, then O-MAKE (MAKE + OHCL; the O-MAKE paper's follow-up row). */
    public static final List<Method> TABLE3 = List.of(Method.CLIP, Method.MKCL_KNOWLEDGE, Method.MKCL, Method.MKCL_SLRA,
            Method.MAKE, Method.OMAKE);

    private final Setup s;
    private final Map<Method, List<Experiment.Scores>> scores = new LinkedHashMap<>();
    private Path table;
    private Path conceptCsv;

    public PaperTable(Setup setup) {
        this.s = setup;
    }

    /** Builds the training table (SynthDerm generated and augmented unless one is given). */
    public Path prepare() {
        if (table != null) return table;
        if (s.table != null) {
            table = s.table;
            conceptCsv = s.concepts;
        } else if ("synthcxr".equals(s.dataset)) {
            Path data = s.out.resolve("synthcxr");
            Datasets.ensureSynthCxr(data, org.makekit.data.SynthCxr.Config.of(s.synth));
            if (s.extractor == null) s.domain(org.makekit.knowledge.Domain.load(data)); // its classes, prompts, ontology, lexicon
            table = TrainingTables.fromPairs(data.resolve("metadata.csv"), data.resolve("train-table.csv"), s.extractor);
            conceptCsv = s.concepts != null ? s.concepts : data.resolve("concepts.csv");
        } else if (s.dataset != null && !s.dataset.equals("synthderm")) {
            Path pairsCsv = Datasets.pairs(s.dataset, s.localDir, s.out.resolve(s.dataset), s.synth);
            table = TrainingTables.fromPairs(pairsCsv, s.out.resolve(s.dataset).resolve("train-table.csv"), s.extractor);
            conceptCsv = s.concepts;
        } else {
            Path data = s.out.resolve("synthderm");
            Datasets.ensureSynthDerm(data, s.synth);
            table = TrainingTables.fromPairs(data.resolve("metadata.csv"), data.resolve("train-table.csv"), null);
            conceptCsv = s.concepts != null ? s.concepts : data.resolve("concepts.csv");
        }
        return table;
    }

    /** Trains (or reuses) a method's model (the first seed) on this setup's data: a row for the tables on real data. */
    public RealTables.Model trained(Method method) {
        return trained(method, s.seedList().get(0));
    }

    /** Trains (or reuses) a method's model for one seed, in {@code out/METHOD/seed-S}, from the setup's start. */
    public RealTables.Model trained(Method method, long seed) {
        prepare();
        TrainConfig c = s.train.copy();
        c.table = table.toString();
        c.seed = seed;
        if (method.needs(Method.Output.CAPTION)) c.model = ModelConfig.captioningCounterpart(c.model);
        c.init = SharedStart.resolve(c.init, c.model, s.start);
        Path dir = s.out.resolve(method.id()).resolve("seed-" + seed);
        return new RealTables.Model(method.paperLabel(), data(method, s.dataName), c.model, Experiment.train(c, method, dir, s.reuse));
    }

    /** The first seed's scores of a method (trained or reused, scored once). */
    public Experiment.Scores scores(Method m) {
        return runs(m).get(0);
    }

    /** A method's scores for every seed, in seed order (each model trained or reused, scored once). */
    public List<Experiment.Scores> runs(Method m) {
        return scores.computeIfAbsent(m, method -> {
            List<Experiment.Scores> out = new ArrayList<>();
            for (long seed : s.seedList()) out.add(score(method, seed));
            return out;
        });
    }

    private Experiment.Scores score(Method method, long seed) {
        RealTables.Model model = trained(method, seed);
        Path weights = model.weights();
        List<TrainingRow> rows = Experiment.split(table, s.evalSplit);
        var labels = conceptCsv != null && Files.exists(conceptCsv) ? Experiment.readConceptLabels(conceptCsv, "image") : null;
        System.err.println("evaluating " + method.id() + " (seed " + seed + ") on " + rows.size() + " '" + s.evalSplit + "' images");
        Experiment.Task task = new Experiment.Task(rows, table.toAbsolutePath().getParent(), labels,
                conceptCsv == null ? null : conceptCsv.toAbsolutePath().getParent(), s.minPositives, s.lexicon, s.classes, s.prompts);
        return Experiment.evaluate(method.id(), ModelConfig.load(model.config()), weights, task, Experiment.trainSeconds(weights));
    }

    /** The "Pretrain data" cell: the data's name, with the paper's dagger for knowledge-augmented data. */
    static String data(Method m, String name) {
        return m.knowledgeData() ? name + "†" : name;
    }

    /** Table 1: zero-shot disease classification (accuracy) and concept annotation (mean AUROC), over seeds. */
    public Table table1(List<Method> methods) {
        prepare(); // the data (and a generated domain's name) first
        StringColumn method = StringColumn.create("Method");
        StringColumn data = StringColumn.create("Pretrain data");
        for (Method m : methods) {
            method.append(m.paperLabel());
            data.append(data(m, s.dataName));
        }
        Table t = Table.create("Table 1 (miniature): zero-shot disease classification and concept annotation on " + s.dataName
                + seedNote());
        t.addColumns(method, data);
        addCells(t, methods, List.of(ACC.named(s.dataName + " ACC"), AUROC.named(s.dataName + " concept AUROC")));
        addRunFacts(t, methods);
        return t;
    }

    /** Table 2: cross-modal retrieval, R@10/50/100 both ways and their average, over seeds. */
    public Table table2(List<Method> methods) {
        prepare(); // the data (and a generated domain's name) first
        StringColumn method = StringColumn.create("Method");
        StringColumn data = StringColumn.create("Pretrain data");
        for (Method m : methods) {
            method.append(m.paperLabel());
            data.append(data(m, s.dataName));
        }
        Table t = Table.create("Table 2 (miniature): cross-modal retrieval on " + s.dataName + " held-out captions" + seedNote());
        t.addColumns(method, data);
        List<Cell> cells = new ArrayList<>();
        for (int i = 0; i < RETRIEVAL_KEYS.size(); i++) cells.add(recall(PaperNumbers.TABLE2_COLUMNS.get(i), RETRIEVAL_KEYS.get(i)));
        List<Cell> six = List.copyOf(cells);
        cells.add(new Cell(PaperNumbers.TABLE2_COLUMNS.get(RETRIEVAL_KEYS.size()),
                sc -> six.stream().mapToDouble(c -> c.value().apply(sc)).average().orElse(Double.NaN),
                sc -> sc.ranks() == null ? null : Bootstrap.average(six.stream().map(c -> c.metric().apply(sc)).toList())));
        addCells(t, methods, cells);
        addRunFacts(t, methods);
        return t;
    }

    /** Table 3: the ablation, one tick-mark column per mark the methods declare; accuracy as in the paper, plus concept AUROC. */
    public Table table3(List<Method> methods) {
        prepare(); // the data (and a generated domain's name) first
        Table t = Table.create("Table 3 (miniature): ablation on " + s.dataName + " (# = knowledge set only)" + seedNote());
        List<String> markColumns = new ArrayList<>();
        for (String c : List.of("mkcl", "slra", "dkw")) markColumns.add(c); // the paper's order first
        for (Method m : methods) for (String c : new java.util.TreeSet<>(m.marks().keySet())) if (!markColumns.contains(c)) markColumns.add(c);
        for (String c : markColumns) {
            StringColumn col = StringColumn.create(c);
            for (Method m : methods) col.append(m.marks().getOrDefault(c, ""));
            t.addColumns(col);
        }
        StringColumn id = StringColumn.create("method");
        for (Method m : methods) id.append(m.id());
        t.addColumns(id);
        addCells(t, methods, List.of(ACC.named(s.dataName + " ACC"), AUROC.named(s.dataName + " concept AUROC")));
        addRunFacts(t, methods);
        return t;
    }

    /**
     * A score column: its value for one model, and the same score per test image for the bootstrap
     * (null when the model has no such score).
     */
    record Cell(String name, java.util.function.Function<Experiment.Scores, Double> value,
                java.util.function.Function<Experiment.Scores, Bootstrap.Metric> metric) {
        Cell named(String n) {
            return new Cell(n, value, metric);
        }
    }

    static final Cell ACC = new Cell("ACC", sc -> sc.zeroShot() == null ? Double.NaN : sc.zeroShot().top1(),
            sc -> sc.zeroShot() == null ? null : Bootstrap.accuracy(sc.zeroShot().correct()));
    static final Cell AUROC = new Cell("concept AUROC", sc -> sc.concepts() == null ? Double.NaN : sc.concepts().mean(),
            sc -> sc.concepts() == null || sc.concepts().scores().isEmpty() ? null
                    : Bootstrap.meanAuroc(sc.concepts().scores(), sc.concepts().labels()));

    static Cell recall(String column, String key) {
        int k = Integer.parseInt(key.substring(key.indexOf('@') + 1));
        boolean i2t = key.startsWith("image_to_text");
        return new Cell(column, sc -> sc.retrieval().getOrDefault(key, Double.NaN),
                sc -> sc.ranks() == null ? null : Bootstrap.recallAt(i2t ? sc.ranks().imageToText() : sc.ranks().textToImage(), k));
    }

    /** The row every other row is compared with: the CLIP baseline when it is in the table, else the first row. */
    static Method baseline(List<Method> methods) {
        return methods.contains(Method.CLIP) ? Method.CLIP : methods.get(0);
    }

    /**
     * For each cell: NAME (mean over seeds), NAME sd, and the paired difference from the baseline row
     * with its bootstrap interval, NAME diff / diff lo / diff hi (empty on the baseline's own row).
     */
    void addCells(Table t, List<Method> methods, List<Cell> cells) {
        Method base = baseline(methods);
        for (int ci = 0; ci < cells.size(); ci++) {
            Cell c = cells.get(ci);
            DoubleColumn mean = DoubleColumn.create(c.name());
            DoubleColumn sd = DoubleColumn.create(c.name() + TableWriter.SD);
            DoubleColumn diff = DoubleColumn.create(c.name() + TableWriter.DIFF);
            DoubleColumn lo = DoubleColumn.create(c.name() + TableWriter.DIFF_LO);
            DoubleColumn hi = DoubleColumn.create(c.name() + TableWriter.DIFF_HI);
            for (Method m : methods) {
                List<Experiment.Scores> runs = runs(m);
                Bootstrap.MeanSd ms = Bootstrap.meanSd(runs.stream().mapToDouble(sc -> c.value().apply(sc)).toArray());
                mean.append(round(ms.mean()));
                sd.append(round(ms.sd()));
                Bootstrap.Interval iv = m == base ? null : interval(runs, runs(base), c, ci);
                diff.append(iv == null ? Double.NaN : round(iv.diff()));
                lo.append(iv == null ? Double.NaN : round(iv.lo()));
                hi.append(iv == null ? Double.NaN : round(iv.hi()));
            }
            t.addColumns(mean, sd, diff, lo, hi);
        }
    }

    private Bootstrap.Interval interval(List<Experiment.Scores> row, List<Experiment.Scores> base, Cell c, int column) {
        List<Bootstrap.Metric> a = row.stream().map(c.metric()).toList();
        List<Bootstrap.Metric> b = base.stream().map(c.metric()).toList();
        if (a.contains(null) || b.contains(null) || a.get(0).size() != b.get(0).size()) return null;
        return Bootstrap.paired(a, b, s.bootstrapReps, 20250 + column); // a fixed resampling seed: the same runs give the same table
    }

    /** Mean training seconds and the seed count of each row. */
    private void addRunFacts(Table t, List<Method> methods) {
        DoubleColumn secs = DoubleColumn.create("train s");
        DoubleColumn n = DoubleColumn.create("seeds");
        for (Method m : methods) {
            secs.append(Math.round(runs(m).stream().mapToDouble(Experiment.Scores::trainSeconds).average().orElse(Double.NaN)));
            n.append(runs(m).size());
        }
        t.addColumns(secs, n);
    }

    private String seedNote() {
        return s.seeds == 1 ? " (1 seed; intervals over test images only)"
                : " (mean ± sd over " + s.seeds + " seeds; diff vs CLIP with a paired 95% bootstrap interval)";
    }

    /** The paper's rows for a table, as a Tablesaw table (for reference; comparable only on the paper's data). */
    public static Table paper(String title, List<String> columns, List<PaperNumbers.Row> rows) {
        StringColumn method = StringColumn.create("Method");
        StringColumn data = StringColumn.create("Pretrain data");
        List<DoubleColumn> cols = new ArrayList<>();
        for (String c : columns) cols.add(DoubleColumn.create(c));
        StringColumn src = StringColumn.create("source");
        for (PaperNumbers.Row r : rows) {
            method.append(r.method());
            data.append(r.data());
            for (int i = 0; i < columns.size(); i++) cols.get(i).append(r.values()[i]);
            src.append(r.source());
        }
        Table t = Table.create(title);
        t.addColumns(method, data);
        cols.forEach(t::addColumns);
        t.addColumns(src);
        return t;
    }

    /** Prints the table, writes CSV/markdown/PNG and returns where. */
    public Path emit(Table t, String base, Table paper) {
        System.out.println(TableWriter.display(t).printAll());
        TableWriter.write(t, s.out, base, t.columnNames().contains("Method") ? "Method" : "method");
        if (paper != null) {
            System.out.println("The paper's numbers (MAKE, MICCAI 2025), on its own data; not comparable with " + s.dataName + ":");
            System.out.println(paper.printAll());
            try {
                Files.writeString(s.out.resolve(base + "-paper.md"), "# " + paper.name() + "\n\n" + TableWriter.markdown(paper));
            } catch (java.io.IOException e) {
                throw new KitException("cannot write " + s.out, e);
            }
        }
        System.out.println("wrote " + s.out.resolve(base + ".csv") + ", .md and .png");
        return s.out.resolve(base + ".csv");
    }

    /** Table 2's retrieval keys, in the order of {@link PaperNumbers#TABLE2_COLUMNS} (the average comes last). */
    static final List<String> RETRIEVAL_KEYS = List.of("image_to_text_R@10", "image_to_text_R@50", "image_to_text_R@100",
            "text_to_image_R@10", "text_to_image_R@50", "text_to_image_R@100");

    /** One Table 2 row: R@10/50/100 both ways, then their average, appended to the columns. */
    static void appendRetrieval(List<DoubleColumn> cols, Map<String, Double> retrieval) {
        double sum = 0;
        for (int i = 0; i < RETRIEVAL_KEYS.size(); i++) {
            double v = retrieval.get(RETRIEVAL_KEYS.get(i));
            cols.get(i).append(round(v));
            sum += v;
        }
        cols.get(RETRIEVAL_KEYS.size()).append(round(sum / RETRIEVAL_KEYS.size()));
    }

    /** Four decimals; NaN (a cell not scored) stays NaN (Math.round would make it 0). */
    static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 10000) / 10000.0;
    }

    public static String describe(Experiment.Scores sc) {
        return String.format(Locale.ROOT, "%s: ACC %.4f, concept AUROC %.4f", sc.method(),
                sc.zeroShot() == null ? Double.NaN : sc.zeroShot().top1(), sc.concepts() == null ? Double.NaN : sc.concepts().mean());
    }

    public Setup setup() {
        return s;
    }
}
