package org.makekit.experiments;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.makekit.eval.Bootstrap;
import org.makekit.report.TableWriter;
import org.makekit.train.Method;
import org.makekit.util.KitException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * MedCutMix on and off: for each domain and method, the same runs (same data, start, steps and
 * seeds) trained without and with the augmentation, each arm in its own folder, scored on the
 * held-out split; the table gives both arms' mean ± sd over seeds, the paired difference (with
 * minus without, same test images and seeds) with its bootstrap interval, and the training
 * throughput of both arms (median images per second over the steps, the first 5 left out).
 */
public final class MedCutMixStudy {
    /** A domain of the study: its name and a fresh table setup for it (data, sizes, seeds, start; the out folder is the study's). */
    public record Domain(String name, Supplier<PaperTable.Setup> setup) {}

    private final List<Domain> domains;
    private final List<Method> methods;
    private final String spec;
    private final Path out;

    /**
     * @param spec the MedCutMix settings of the "with" arm ({@code on} or key=value,...)
     * @param out  the study's folder: {@code out/DOMAIN/{off,medcutmix}/METHOD/seed-S}
     */
    public MedCutMixStudy(List<Domain> domains, List<Method> methods, String spec, Path out) {
        this.domains = domains;
        this.methods = methods;
        this.spec = org.makekit.augment.MedCutMix.Options.configValue(spec);
        if (this.spec == null) throw new KitException("the study's MedCutMix arm needs settings, got '" + spec + "'");
        this.out = out;
    }

    /** The two tables (setups) of one domain: without and with MedCutMix. */
    public PaperTable[] arms(Domain d) {
        PaperTable.Setup off = d.setup().get();
        off.out = out.resolve(d.name()).resolve("off");
        off.train.medcutmix = null;
        PaperTable.Setup on = d.setup().get();
        on.out = out.resolve(d.name()).resolve("medcutmix");
        on.train.medcutmix = spec;
        return new PaperTable[] {new PaperTable(off), new PaperTable(on)};
    }

    /** Trains (or reuses) every run and returns the comparison table. */
    public Table run() {
        StringColumn data = StringColumn.create("data");
        StringColumn method = StringColumn.create("method");
        List<DoubleColumn> cols = new ArrayList<>();
        for (String c : List.of("ACC without", "ACC without" + TableWriter.SD, "ACC", "ACC" + TableWriter.SD, "ACC" + TableWriter.DIFF,
                "ACC" + TableWriter.DIFF_LO, "ACC" + TableWriter.DIFF_HI, "concept AUROC without", "concept AUROC without" + TableWriter.SD,
                "concept AUROC", "concept AUROC" + TableWriter.SD, "concept AUROC" + TableWriter.DIFF, "concept AUROC" + TableWriter.DIFF_LO,
                "concept AUROC" + TableWriter.DIFF_HI, "img/s without", "img/s", "seeds")) {
            cols.add(DoubleColumn.create(c));
        }
        for (Domain d : domains) {
            PaperTable[] arm = arms(d);
            for (Method m : methods) {
                List<Experiment.Scores> off = arm[0].runs(m);
                List<Experiment.Scores> on = arm[1].runs(m);
                data.append(arm[1].setup().dataName);
                method.append(m.id());
                int c = 0;
                for (PaperTable.Cell cell : List.of(PaperTable.ACC, PaperTable.AUROC)) {
                    Bootstrap.MeanSd a = Bootstrap.meanSd(off.stream().mapToDouble(sc -> cell.value().apply(sc)).toArray());
                    Bootstrap.MeanSd b = Bootstrap.meanSd(on.stream().mapToDouble(sc -> cell.value().apply(sc)).toArray());
                    List<Bootstrap.Metric> ma = on.stream().map(cell.metric()).toList();
                    List<Bootstrap.Metric> mb = off.stream().map(cell.metric()).toList();
                    Bootstrap.Interval iv = ma.contains(null) || mb.contains(null) ? null
                            : Bootstrap.paired(ma, mb, arm[1].setup().bootstrapReps, 20260 + c);
                    for (double v : new double[] {a.mean(), a.sd(), b.mean(), b.sd(), iv == null ? Double.NaN : iv.diff(),
                        iv == null ? Double.NaN : iv.lo(), iv == null ? Double.NaN : iv.hi()}) {
                        cols.get(c++).append(PaperTable.round(v));
                    }
                }
                cols.get(c++).append(PaperTable.round(throughput(arm[0], m)));
                cols.get(c++).append(PaperTable.round(throughput(arm[1], m)));
                cols.get(c).append(off.size());
            }
        }
        Table t = Table.create("MedCutMix on and off (mean ± sd over seeds; diff = with - without, paired 95% bootstrap interval)");
        t.addColumns(data, method);
        cols.forEach(t::addColumns);
        return t;
    }

    /** Median training images per second over a method's runs in one arm (steps after the 5th). */
    static double throughput(PaperTable arm, Method m) {
        List<Double> all = new ArrayList<>();
        for (long seed : arm.setup().seedList()) {
            Path metrics = arm.trained(m, seed).weights().getParent().resolve("metrics.csv");
            all.addAll(imagesPerSecond(metrics));
        }
        if (all.isEmpty()) return Double.NaN;
        double[] v = all.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** The images_per_s column of a run's metrics log, the first 5 steps left out (start-up) when there are more than 10. */
    static List<Double> imagesPerSecond(Path metrics) {
        List<Double> out = new ArrayList<>();
        if (!Files.exists(metrics)) return out;
        try (Reader r = Files.newBufferedReader(metrics);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            for (CSVRecord rec : p) out.add(Double.parseDouble(rec.get("images_per_s")));
            if (out.size() > 10) out = new ArrayList<>(out.subList(5, out.size()));
        } catch (IOException | RuntimeException e) {
            throw new KitException("cannot read " + metrics + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Prints the table and writes CSV, markdown and a bar chart to the study folder. */
    public Path emit(Table t, String base) {
        System.out.println(TableWriter.display(t).printAll());
        TableWriter.write(t, out, base, "method");
        System.out.println("wrote " + out.resolve(base + ".csv") + ", .md and .png");
        return out.resolve(base + ".csv");
    }

    /** A mixed batch to look at: its plan, the loaded rows (before mixing) and one picture per pair. */
    public record Preview(org.makekit.augment.MedCutMix.Plan plan, List<org.makekit.data.TrainingRow> rows,
                          List<java.awt.image.BufferedImage> pictures) {}

    /**
     * MedCutMix on the first {@code n} training rows of a table (in file order, evaluation transform),
     * with a model's attention: what a training step of that model would mix.
     *
     * @param weights the model (a run's model.safetensors)
     * @param spec    MedCutMix settings (e.g. p=1 to mix every eligible row)
     */
    public static Preview preview(Path table, org.makekit.knowledge.Domain domain, String model, Path weights, String spec, int n,
                                  long step) {
        List<org.makekit.data.TrainingRow> rows = org.makekit.data.TrainingTable.read(table).stream()
                .filter(r -> r.split().equals("train")).limit(n).toList();
        Path root = table.toAbsolutePath().getParent();
        org.makekit.model.ModelConfig mc = org.makekit.model.ModelConfig.load(model);
        int size = mc.vision().imageSize();
        float[] pixels;
        try (org.makekit.data.BatchLoader l = new org.makekit.data.BatchLoader(rows, root, rows.size(), size, false, 0, 1, 1)) {
            pixels = l.epoch(0, 0).next().pixels();
        }
        var mcm = new org.makekit.augment.MedCutMix(org.makekit.augment.MedCutMix.Options.parse(spec),
                new org.makekit.augment.DiagnosticSentences(domain.ontology(), domain.lexicon()), 0);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            var clip = org.makekit.model.ClipModel.load(mc, weights, m, ai.djl.ndarray.types.DataType.FLOAT32);
            int g = mc.vision().grid();
            var plan = mcm.plan(rows, step, mc.vision().layers(), g * g, org.makekit.augment.MedCutMix.attention(clip,
                    org.makekit.text.Tokenizer.forConfig(mc), pixels, mcm.options().tau()));
            List<java.awt.image.BufferedImage> pics = new ArrayList<>();
            for (var pair : plan.pairs()) {
                pics.add(org.makekit.augment.MixPictures.picture(org.makekit.data.Images.read(root.resolve(rows.get(pair.base()).filename())),
                        org.makekit.data.Images.read(root.resolve(rows.get(pair.partner()).filename())), plan, pair, size, 3));
            }
            return new Preview(plan, rows, pics);
        }
    }

    @Override
    public String toString() {
        return "MedCutMixStudy" + Arrays.asList(domains.stream().map(Domain::name).toArray()) + " " + methods + " " + spec;
    }
}
