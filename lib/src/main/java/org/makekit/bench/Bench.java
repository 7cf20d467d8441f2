package org.makekit.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.makekit.data.BatchLoader;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.TrainingTables;
import org.makekit.loss.MakeLoss;
import org.makekit.model.ModelConfig;
import org.makekit.report.TableWriter;
import org.makekit.train.Method;
import org.makekit.util.Json;
import org.makekit.util.KitException;
import tech.tablesaw.api.DoubleColumn;
import tech.tablesaw.api.StringColumn;
import tech.tablesaw.api.Table;

/**
 * The benchmark: the kit against its PyTorch eager twin ({@code bench/twin.py}) on the same
 * weights, batch, loss and thread count. Every measurement runs in a fresh process (so peak memory
 * is per measurement), the two sides alternate, and each figure is the median over rounds.
 */
public final class Bench {
    /** What to run. */
    public record Options(List<String> configs, int batch, int vitBatch, int rounds, int warmup, int steps,
                          int embedBatches, int threads, String python, Path twin, Path out, int stabilitySteps,
                          int loaderImages, String method, String mode, String javaXmx, int corruptRound) {}

    /** One row of the results table. */
    public record Row(String config, String measure, String unit, double kit, double twin, double twinLean,
                      String note) {
        double ratio() {
            return kit / twin;
        }
    }

    private final Options o;
    private final List<Row> rows = new ArrayList<>();
    /** Correctness failures (a loss sequence that differs between processes, or a non-finite loss). */
    private final List<String> failures = new ArrayList<>();
    private final boolean haveTwin;

    public Bench(Options o) {
        this.o = o;
        this.haveTwin = checkTwin();
    }

    private boolean checkTwin() {
        if (!Files.exists(o.twin())) {
            System.err.println("bench: the twin " + o.twin() + " is missing: measuring the kit only");
            return false;
        }
        try {
            Process p = new ProcessBuilder(o.python(), "-c", "import torch; print(torch.__version__)").redirectErrorStream(true).start();
            String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() != 0) throw new IOException(v);
            System.err.println("bench: PyTorch twin on " + o.python() + " (torch " + v + ")");
            return true;
        } catch (IOException | InterruptedException e) {
            System.err.println("bench: no PyTorch at " + o.python() + " (" + e.getMessage().lines().reduce((a, b) -> b).orElse("")
                    + "): measuring the kit only. On Debian: apt-get install python3-torch libopenblas0-pthread");
            return false;
        }
    }

    public List<Row> run() {
        for (String c : o.configs()) runConfig(ModelConfig.load(c));
        return rows;
    }

    private void runConfig(ModelConfig cfg) {
        boolean big = cfg.vision().width() >= 512;
        int batch = big ? o.vitBatch() : o.batch();
        int warm = o.warmup();
        int steps = big ? Math.max(1, Math.min(o.steps(), 2)) : o.steps();
        Method method = Method.parse(o.method());
        Path dir = o.out().resolve("fixture-" + cfg.name() + "-" + method.id() + "-b" + batch);
        System.err.printf(Locale.ROOT, "bench: %s, batch %d, %s (%s), %d threads: building the fixture in %s%n", cfg.name(),
                batch, method.id(), o.mode(), o.threads(), dir);
        Fixture.build(dir, cfg, method, MakeLoss.Mode.parse(o.mode()), batch, 64, 0);
        List<JsonObject> kitTrain = new ArrayList<>();
        List<JsonObject> twinTrain = new ArrayList<>();
        List<JsonObject> twinLean = new ArrayList<>();
        List<JsonObject> kitEmbed = new ArrayList<>();
        List<JsonObject> twinEmbed = new ArrayList<>();
        for (int r = 0; r < o.rounds(); r++) {
            boolean kitFirst = r % 2 == 0;
            System.err.printf(Locale.ROOT, "bench: %s round %d/%d (%s first)%n", cfg.name(), r + 1, o.rounds(), kitFirst ? "kit" : "twin");
            for (int side = 0; side < 2; side++) {
                if ((side == 0) == kitFirst) {
                    kitTrain.add(r + 1 == o.corruptRound() ? java(corrupt(1), "train", dir.toString(), "" + warm, "" + steps)
                            : java("train", dir.toString(), "" + warm, "" + steps));
                    kitEmbed.add(java("embed", dir.toString(), "" + o.embedBatches()));
                } else if (haveTwin) {
                    twinTrain.add(python("train", "--fixture", dir.toString(), "--warmup", "" + warm, "--steps", "" + steps, "--text", "official"));
                    twinLean.add(python("train", "--fixture", dir.toString(), "--warmup", "" + warm, "--steps", "" + steps, "--text", "lean"));
                    twinEmbed.add(python("embed", "--fixture", dir.toString(), "--batches", "" + o.embedBatches()));
                }
            }
        }
        String name = cfg.name() + " b" + batch;
        sentinel(name, kitTrain);
        double kStep = median(kitTrain, "step_s");
        double tStep = median(twinTrain, "step_s");
        double lStep = median(twinLean, "step_s");
        rows.add(new Row(name, "train step", "s", kStep, tStep, lStep, method.id() + " " + o.mode() + ", fwd+bwd+AdamW"));
        rows.add(new Row(name, "train throughput", "img/s", batch / kStep, batch / tStep, batch / lStep, ""));
        double kEmb = median(kitEmbed, "batch_s");
        double tEmb = median(twinEmbed, "batch_s");
        rows.add(new Row(name, "eval image embedding", "img/s", batch / kEmb, batch / tEmb, Double.NaN, "no graph"));
        rows.add(new Row(name, "peak RSS (train)", "MB", medianOf(kitTrain, "peak_rss_mb"), medianOf(twinTrain, "peak_rss_mb"),
                medianOf(twinLean, "peak_rss_mb"), "whole process"));
        double flops = Flops.trainStep(cfg, batch, method.textsPerImage(8));
        double kPeak = medianOf(kitTrain, "matmul_gflops");
        double tPeak = medianOf(twinTrain, "matmul_gflops");
        rows.add(new Row(name, "matmul peak (1024^2)", "GFLOP/s", kPeak, tPeak, Double.NaN, "same run"));
        rows.add(new Row(name, "model FLOP/s in training", "GFLOP/s", flops / kStep / 1e9, flops / tStep / 1e9,
                flops / lStep / 1e9, String.format(Locale.ROOT, "%.1f GFLOP/step (official workload)", flops / 1e9)));
        rows.add(new Row(name, "... as % of matmul peak", "%", 100 * flops / kStep / 1e9 / kPeak,
                100 * flops / tStep / 1e9 / tPeak, 100 * flops / lStep / 1e9 / tPeak, ""));
        if (!kitTrain.isEmpty() && !twinTrain.isEmpty()) {
            double kl = kitTrain.get(0).getAsJsonArray("losses").get(0).getAsDouble();
            double tl = twinTrain.get(0).getAsJsonArray("losses").get(0).getAsDouble();
            rows.add(new Row(name, "first loss (same weights)", "", kl, tl,
                    twinLean.isEmpty() ? Double.NaN : twinLean.get(0).getAsJsonArray("losses").get(0).getAsDouble(), "should agree"));
        }
        if (o.loaderImages() > 0) loader(cfg, name, batch / kStep);
        if (o.stabilitySteps() > 0 && !big) stability(dir, name);
    }

    /**
     * The determinism sentinel. On CPU the kit is bit-reproducible, so every measuring process of one
     * fixture must report the same loss sequence; a difference or a non-finite loss means memory read
     * after it was freed (or before it was written), and the speed measured for it means nothing.
     */
    private void sentinel(String name, List<JsonObject> kitTrain) {
        String verdict = determinism(kitTrain.stream().map(r -> losses(r)).toList());
        rows.add(new Row(name, "determinism: kit loss sequences", "processes", kitTrain.size(), Double.NaN, Double.NaN,
                verdict == null ? "ok: bit-identical, all finite" : "FAIL: " + verdict));
        if (verdict != null) failures.add(name + ": " + verdict);
    }

    static List<Double> losses(JsonObject run) {
        List<Double> l = new ArrayList<>();
        for (JsonElement e : run.getAsJsonArray("losses")) l.add(e.getAsDouble());
        return l;
    }

    /** Null when every sequence equals the first bit for bit and all values are finite; else what differs. */
    public static String determinism(List<List<Double>> runs) {
        for (int i = 0; i < runs.size(); i++) {
            for (int s = 0; s < runs.get(i).size(); s++) {
                if (!Double.isFinite(runs.get(i).get(s))) return "process " + (i + 1) + " step " + (s + 1) + " loss " + runs.get(i).get(s);
            }
        }
        for (int i = 1; i < runs.size(); i++) {
            List<Double> a = runs.get(0);
            List<Double> b = runs.get(i);
            if (a.size() != b.size()) return "process " + (i + 1) + " ran " + b.size() + " steps, process 1 ran " + a.size();
            for (int s = 0; s < a.size(); s++) {
                if (Double.doubleToLongBits(a.get(s)) != Double.doubleToLongBits(b.get(s))) {
                    return String.format(Locale.ROOT, "process %d step %d loss %.17g, process 1 %.17g", i + 1, s + 1, b.get(s), a.get(s));
                }
            }
        }
        return null;
    }

    /** Correctness failures found so far (the bench script exits non-zero when there are any). */
    public List<String> failures() {
        return failures;
    }

    /**
     * The repeat check: one fixture's training (1 warm-up + 2 steps) in {@code n} fresh processes per
     * config; counts the runs whose losses equal the reference (the sequence most runs gave) bit for
     * bit, the ones that differ, the ones with a non-finite loss and the ones that crashed. A fault
     * that comes and goes is then measured, not guessed.
     */
    public List<Row> repeat(int n) {
        for (String c : o.configs()) {
            ModelConfig cfg = ModelConfig.load(c);
            int batch = cfg.vision().width() >= 512 ? o.vitBatch() : o.batch();
            Method method = Method.parse(o.method());
            Path dir = o.out().resolve("fixture-" + cfg.name() + "-" + method.id() + "-b" + batch);
            Fixture.build(dir, cfg, method, MakeLoss.Mode.parse(o.mode()), batch, 64, 0);
            List<List<Double>> runs = new ArrayList<>();
            int crashed = 0;
            for (int i = 0; i < n; i++) {
                List<String> jvm = i + 1 == o.corruptRound() ? corrupt(1) : List.of();
                try {
                    runs.add(losses(java(jvm, "train", dir.toString(), "1", "2")));
                } catch (KitException e) {
                    crashed++; // a process that dies (a JVM abort, say) is counted, not fatal
                    System.err.printf(Locale.ROOT, "bench: repeat %s %d/%d: crashed (%s)%n", cfg.name(), i + 1, n, e.getMessage());
                    continue;
                }
                System.err.printf(Locale.ROOT, "bench: repeat %s %d/%d: %s%n", cfg.name(), i + 1, n, runs.get(runs.size() - 1));
            }
            Tally t = tally(runs);
            System.err.println("bench: repeat " + cfg.name() + ": reference losses " + t.reference());
            int same = t.same();
            int differ = t.differ();
            int nonFinite = t.nonFinite();
            String name = cfg.name() + " b" + batch;
            String note = String.format(Locale.ROOT,
                    "%d of %d fresh processes gave the reference losses; %d differ, %d non-finite, %d crashed", same, n, differ,
                    nonFinite, crashed);
            rows.add(new Row(name, "repeat check (" + method.id() + " " + o.mode() + ")", "runs", same, Double.NaN, Double.NaN, note));
            if (same != n) failures.add(name + ": " + note);
        }
        return rows;
    }

    /** Repeat-check counts against the reference, the finite sequence most runs gave bit for bit. */
    public record Tally(List<Double> reference, int same, int differ, int nonFinite) {}

    public static Tally tally(List<List<Double>> runs) {
        List<Double> ref = runs.stream().filter(l -> determinism(List.of(l)) == null)
                .max(java.util.Comparator.comparingLong(l -> runs.stream().filter(x -> determinism(List.of(l, x)) == null).count()))
                .orElse(List.of());
        int same = 0;
        int differ = 0;
        int nonFinite = 0;
        for (List<Double> l : runs) {
            if (determinism(List.of(l)) != null) nonFinite++;
            else if (determinism(List.of(ref, l)) == null) same++;
            else differ++;
        }
        return new Tally(ref, same, differ, nonFinite);
    }

    private void loader(ModelConfig cfg, String name, double trainIps) {
        Path data = o.out().resolve("loader-synthderm-" + cfg.vision().imageSize());
        if (!Files.exists(data.resolve("metadata.csv"))) {
            SynthDerm.generate(data, new SynthDerm.Config(1, o.loaderImages(), 0, 0, cfg.vision().imageSize()));
        }
        List<TrainingRow> all = TrainingTables.augment(data.resolve("metadata.csv"), null);
        int b = Math.min(o.batch(), all.size());
        long n = 0;
        long t0 = 0;
        try (BatchLoader l = new BatchLoader(all, data, b, cfg.vision().imageSize(), true, 0, o.threads(), 4)) {
            for (int e = 0; e < 3; e++) {
                var it = l.epoch(e, 0);
                while (it.hasNext()) {
                    n += it.next().size();
                    if (e == 0 && t0 == 0) {
                        t0 = System.nanoTime(); // the first batch pays for thread start-up
                        n = 0;
                    }
                }
            }
        }
        double ips = n / ((System.nanoTime() - t0) / 1e9);
        rows.add(new Row(name, "data loader (decode + augment)", "img/s", ips, Double.NaN, Double.NaN,
                String.format(Locale.ROOT, "%.1fx the kit's training throughput", ips / trainIps)));
    }

    private void stability(Path dir, String name) {
        int every = Math.max(1, o.stabilitySteps() / 20);
        System.err.printf(Locale.ROOT, "bench: memory stability, %d training steps (resident memory every %d)%n",
                o.stabilitySteps(), every);
        JsonObject r = java("stability", dir.toString(), "" + o.stabilitySteps(), "" + every);
        JsonArray rss = r.getAsJsonArray("rss");
        List<double[]> pts = new ArrayList<>();
        for (JsonElement e : rss) {
            JsonArray a = e.getAsJsonArray();
            pts.add(new double[] {a.get(0).getAsDouble(), a.get(1).getAsDouble()});
        }
        try {
            StringBuilder sb = new StringBuilder("step,rss_mb\n");
            for (double[] p : pts) sb.append(String.format(Locale.ROOT, "%.0f,%.1f%n", p[0], p[1]));
            Files.writeString(o.out().resolve("stability-" + name.replace(' ', '-') + ".csv"), sb.toString());
        } catch (IOException e) {
            throw new KitException("cannot write the stability CSV in " + o.out(), e);
        }
        // After the first quarter (allocator warm-up), the growth to the end, and the least-squares slope.
        int q = pts.size() / 4;
        List<double[]> tail = pts.subList(q, pts.size());
        double slope = slope(tail);
        double first = tail.get(0)[1];
        double last = tail.get(tail.size() - 1)[1];
        rows.add(new Row(name, "RSS after " + (long) tail.get(0)[0] + " steps", "MB", first, Double.NaN, Double.NaN, ""));
        rows.add(new Row(name, "RSS after " + (long) last(pts)[0] + " steps", "MB", last, Double.NaN, Double.NaN,
                String.format(Locale.ROOT, "slope %.3f MB per 100 steps", slope * 100)));
    }

    private static double[] last(List<double[]> p) {
        return p.get(p.size() - 1);
    }

    static double slope(List<double[]> pts) {
        double mx = 0;
        double my = 0;
        for (double[] p : pts) {
            mx += p[0];
            my += p[1];
        }
        mx /= pts.size();
        my /= pts.size();
        double num = 0;
        double den = 0;
        for (double[] p : pts) {
            num += (p[0] - mx) * (p[1] - my);
            den += (p[0] - mx) * (p[0] - mx);
        }
        return den == 0 ? 0 : num / den;
    }

    // ---- processes ----

    private JsonObject java(String... args) {
        return java(List.of(), args);
    }

    private static List<String> corrupt(int step) {
        return List.of("-D" + Worker.CORRUPT_PROPERTY + "=" + step);
    }

    private JsonObject java(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.add("-Xmx" + o.javaXmx());
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=" + o.threads());
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Worker.class.getName());
        cmd.addAll(Arrays.asList(args));
        return exec(cmd, "kit " + args[0]);
    }

    private JsonObject python(String... args) {
        List<String> cmd = new ArrayList<>(List.of(o.python(), o.twin().toString()));
        cmd.addAll(Arrays.asList(args));
        cmd.add("--threads");
        cmd.add("" + o.threads());
        return exec(cmd, "twin " + args[0] + (args.length > 8 ? " " + args[8] : ""));
    }

    private JsonObject exec(List<String> cmd, String what) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Map<String, String> env = pb.environment();
            env.put("OMP_NUM_THREADS", "" + o.threads());
            env.put("MKL_NUM_THREADS", "" + o.threads());
            env.put("OPENBLAS_NUM_THREADS", "" + o.threads());
            env.put("MKL_DYNAMIC", "FALSE");
            env.put("OMP_DYNAMIC", "FALSE");
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            long t0 = System.nanoTime();
            Process p = pb.start();
            String outText = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(2, TimeUnit.HOURS) || p.exitValue() != 0) {
                throw new KitException("bench: " + what + " failed (exit " + p.exitValue() + "): " + String.join(" ", cmd));
            }
            String line = outText.lines().filter(s -> s.startsWith("{")).reduce((a, b) -> b)
                    .orElseThrow(() -> new KitException("bench: " + what + " printed no result: " + outText));
            JsonObject r = Json.parse(line).getAsJsonObject();
            System.err.printf(Locale.ROOT, "  %-22s %6.1f s  %s%n", what, (System.nanoTime() - t0) / 1e9, summary(r));
            return r;
        } catch (IOException e) {
            throw new KitException("bench: cannot run " + cmd.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KitException("bench: interrupted", e);
        }
    }

    private static String summary(JsonObject r) {
        StringBuilder sb = new StringBuilder();
        if (r.has("step_s")) sb.append(String.format(Locale.ROOT, "step %.3f s", medianArr(r.getAsJsonArray("step_s"))));
        if (r.has("batch_s")) sb.append(String.format(Locale.ROOT, "batch %.3f s", medianArr(r.getAsJsonArray("batch_s"))));
        if (r.has("peak_rss_mb")) sb.append(String.format(Locale.ROOT, "  peak RSS %.0f MB", r.get("peak_rss_mb").getAsDouble()));
        return sb.toString();
    }

    // ---- statistics ----

    /** Median over rounds of each round's median of the array field. */
    static double median(List<JsonObject> runs, String field) {
        double[] v = runs.stream().mapToDouble(r -> medianArr(r.getAsJsonArray(field))).toArray();
        return median(v);
    }

    static double medianOf(List<JsonObject> runs, String field) {
        return median(runs.stream().mapToDouble(r -> r.get(field).getAsDouble()).toArray());
    }

    static double medianArr(JsonArray a) {
        double[] v = new double[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).getAsDouble();
        return median(v);
    }

    static double median(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    // ---- the report ----

    public Table table() {
        StringColumn cfg = StringColumn.create("config");
        StringColumn measure = StringColumn.create("measure");
        StringColumn unit = StringColumn.create("unit");
        DoubleColumn kit = DoubleColumn.create("kit");
        DoubleColumn twin = DoubleColumn.create("twin");
        DoubleColumn ratio = DoubleColumn.create("kit/twin");
        DoubleColumn lean = DoubleColumn.create("twin lean");
        DoubleColumn ratioLean = DoubleColumn.create("kit/lean");
        StringColumn note = StringColumn.create("note");
        for (Row r : rows) {
            cfg.append(r.config());
            measure.append(r.measure());
            unit.append(r.unit());
            kit.append(round(r.kit()));
            twin.append(round(r.twin()));
            ratio.append(round(r.kit() / r.twin()));
            lean.append(round(r.twinLean()));
            ratioLean.append(round(r.kit() / r.twinLean()));
            note.append(r.note());
        }
        return Table.create("MAKE-kit vs PyTorch eager twin (" + o.threads() + " threads; medians of " + o.rounds()
                + " alternating rounds)", cfg, measure, unit, kit, twin, ratio, lean, ratioLean, note);
    }

    private static double round(double x) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return Double.NaN;
        double a = Math.abs(x);
        double f = a >= 100 ? 10 : a >= 1 ? 1000 : 10000;
        return Math.round(x * f) / f;
    }

    public void write(Table t) {
        String stamp = java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        writeFiles(t, o.out(), "bench-" + stamp);
        Map<String, Object> machine = new LinkedHashMap<>();
        machine.put("cpus", Runtime.getRuntime().availableProcessors());
        machine.put("threads", o.threads());
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        machine.put("java", System.getProperty("java.version"));
        machine.put("cpu", cpuModel());
        try {
            Files.writeString(o.out().resolve("bench-" + stamp + "-machine.json"), new com.google.gson.GsonBuilder()
                    .setPrettyPrinting().create().toJson(machine));
        } catch (IOException e) {
            throw new KitException("cannot write to " + o.out(), e);
        }
        System.err.println("bench: wrote " + o.out().resolve("bench-" + stamp + ".csv") + " (and .md, .png, -machine.json)");
    }

    /** CSV, markdown, and a bar chart of the kit/twin ratios. */
    static void writeFiles(Table t, Path dir, String base) {
        try {
            Files.createDirectories(dir);
            t.write().csv(dir.resolve(base + ".csv").toString());
            Files.writeString(dir.resolve(base + ".md"), "# " + t.name() + "\n\n" + TableWriter.markdown(t));
            List<String> labels = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r < t.rowCount(); r++) {
                double x = t.doubleColumn("kit/twin").getDouble(r);
                if (Double.isNaN(x)) continue;
                labels.add(t.stringColumn("config").get(r) + ": " + t.stringColumn("measure").get(r));
                ratios.add(x);
            }
            if (!ratios.isEmpty()) {
                org.knowm.xchart.CategoryChart c = new org.knowm.xchart.CategoryChartBuilder().width(1000).height(500)
                        .title("kit / PyTorch twin (time: lower is better; throughput: higher)").build();
                c.getStyler().setXAxisLabelRotation(60);
                c.getStyler().setLegendVisible(false);
                c.addSeries("kit/twin", labels, ratios);
                org.knowm.xchart.BitmapEncoder.saveBitmap(c, dir.resolve(base).toString(),
                        org.knowm.xchart.BitmapEncoder.BitmapFormat.PNG);
            }
        } catch (IOException e) {
            throw new KitException("cannot write " + dir.resolve(base), e);
        }
    }

    public static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
