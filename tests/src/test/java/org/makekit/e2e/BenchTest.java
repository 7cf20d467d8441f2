package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.bench.Fixture;
import org.makekit.bench.Worker;
import org.makekit.loss.MakeLoss;
import org.makekit.model.ModelConfig;
import org.makekit.train.Method;
import org.makekit.util.Json;

/** The PyTorch twin computes the kit's loss on the same weights and batch; the bench script runs both sides. */
class BenchTest {
    static final String PYTHON = "/usr/bin/python3";

    static void requireTorch() throws Exception {
        boolean ok = false;
        if (Files.isExecutable(Path.of(PYTHON))) {
            Process p = new ProcessBuilder(PYTHON, "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            ok = p.waitFor() == 0;
        }
        if (!ok) {
            if ("true".equals(System.getenv("CI"))) throw new AssertionError("PyTorch not found at " + PYTHON + ": ./kit test installs python3-torch in CI");
            System.err.println("NOTE: no PyTorch at " + PYTHON + ", so the twin was not checked; install python3-torch "
                    + "libopenblas0-pthread (Debian) to run this test");
            Assumptions.abort("PyTorch not installed");
        }
    }

    static JsonObject twin(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(PYTHON, Run.root().resolve("bench/twin.py").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS) && p.exitValue() == 0, "twin failed:\n" + out);
        String line = out.lines().filter(s -> s.startsWith("{")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(out));
        return Json.parse(line).getAsJsonObject();
    }

    @Test
    void twinAndKitComputeTheSameLossOnTheSameWeightsAndBatch(@TempDir Path tmp) throws Exception {
        requireTorch();
        ModelConfig cfg = ModelConfig.load("tiny");
        record Case(Method method, MakeLoss.Mode mode) {}
        for (Case c : List.of(new Case(Method.MAKE, MakeLoss.Mode.COMPAT), new Case(Method.MAKE, MakeLoss.Mode.INTENDED),
                new Case(Method.CLIP, MakeLoss.Mode.COMPAT))) {
            Path dir = tmp.resolve(c.method().id() + "-" + c.mode());
            Fixture fx = Fixture.build(dir, cfg, c.method(), c.mode(), 6, 64, 3);
            for (String dt : List.of("float64", "float32")) {
                Map<String, Object> kit = Worker.loss(fx, dt.equals("float64") ? DataType.FLOAT64 : DataType.FLOAT32);
                double tol = dt.equals("float64") ? 1e-9 : 1e-4;
                for (String text : List.of("official", "lean")) {
                    JsonObject tw = twin("loss", "--fixture", dir.toString(), "--dtype", dt, "--text", text);
                    double k = (Double) kit.get("loss");
                    double t = tw.get("loss").getAsDouble();
                    String what = c + " " + dt + " " + text + ": kit " + k + ", twin " + t;
                    assertEquals(t, k, tol * Math.abs(t), what);
                    @SuppressWarnings("unchecked")
                    Map<String, Double> parts = (Map<String, Double>) kit.get("parts");
                    for (Map.Entry<String, Double> e : parts.entrySet()) {
                        double tp = tw.getAsJsonObject("parts").get(e.getKey()).getAsDouble();
                        assertEquals(tp, e.getValue(), tol * Math.max(1, Math.abs(tp)), what + ", part " + e.getKey());
                    }
                }
            }
        }
    }

    @Test
    void twinAndKitTrainTheSameWayStepForStep(@TempDir Path tmp) throws Exception {
        // Three AdamW steps from the same weights in float64: the losses can only agree if every
        // gradient, the optimizer (groups, bias correction, decoupled decay) and the clamp agree with PyTorch's.
        requireTorch();
        Fixture fx = Fixture.build(tmp.resolve("make"), ModelConfig.load("tiny"), Method.MAKE, MakeLoss.Mode.COMPAT, 4, 64, 5);
        int steps = 3;
        List<Double> kit = Worker.trainLosses(fx, steps, DataType.FLOAT64);
        JsonObject tw = twin("train", "--fixture", tmp.resolve("make").toString(), "--dtype", "float64", "--text", "lean",
                "--warmup", "0", "--steps", "" + steps);
        var twinLosses = tw.getAsJsonArray("losses");
        assertEquals(steps, kit.size());
        assertEquals(steps, twinLosses.size());
        for (int s = 0; s < steps; s++) {
            double t = twinLosses.get(s).getAsDouble();
            assertEquals(t, kit.get(s), 1e-9 * Math.abs(t), "step " + (s + 1) + ": kit " + kit + ", twin " + twinLosses);
        }
        assertTrue(Math.abs(kit.get(steps - 1) - kit.get(0)) > 1e-6, "the weights moved: " + kit);
    }

    @Test
    void benchScriptMeasuresBothSidesAndWritesTheTable(@TempDir Path tmp) throws Exception {
        requireTorch();
        Run r = Run.script("bench/main.java", 900, "--configs", "tiny", "--batch", "4", "--rounds", "2", "--warmup", "0",
                "--steps", "1", "--embed-batches", "1", "--loader-images", "16", "--stability-steps", "6",
                "--out", tmp.toString());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("kit/twin"), r.out);
        Path csv;
        try (Stream<Path> s = Files.list(tmp)) {
            csv = s.filter(p -> p.getFileName().toString().matches("bench-\\d{8}-\\d{6}\\.csv")).findFirst()
                    .orElseThrow(() -> new AssertionError("no bench CSV in " + tmp));
        }
        List<String> lines = Files.readAllLines(csv);
        assertTrue(lines.get(0).startsWith("config,measure,unit,kit,twin,kit/twin"), lines.get(0));
        String step = lines.stream().filter(l -> l.contains(",train step,")).findFirst().orElseThrow();
        String[] f = step.split(",");
        for (int i = 3; i <= 5; i++) assertTrue(Double.parseDouble(f[i]) > 0, "positive figures: " + step);
        String loss = lines.stream().filter(l -> l.contains("first loss")).findFirst().orElseThrow();
        assertEquals(1.0, Double.parseDouble(loss.split(",")[5]), 1e-3, "same first loss: " + loss);
        assertTrue(lines.stream().anyMatch(l -> l.contains("data loader")), "loader row");
        assertTrue(lines.stream().anyMatch(l -> l.contains("RSS after")), "stability rows");
        assertTrue(lines.stream().anyMatch(l -> l.contains("determinism") && l.contains("ok: bit-identical")), "sentinel row");
        assertTrue(Files.exists(tmp.resolve(csv.getFileName().toString().replace(".csv", ".md"))));
    }

    @Test
    void theDeterminismSentinelFlagsACorruptedProcessAndPassesCleanOnes(@TempDir Path tmp) throws Exception {
        // Three fresh training processes of one fixture; the second has one gradient element flipped.
        Run r = Run.script("bench/main.java", 900, "--configs", "tiny", "--batch", "4", "--repeat", "3", "--corrupt-round", "2",
                "--python", "/nonexistent/python3", "--out", tmp.toString());
        assertEquals(3, r.exit, "a corrupted process is a correctness failure:\n" + r.out);
        assertTrue(r.out.contains("CORRECTNESS FAILURE"), r.out);
        assertTrue(r.out.contains("2 of 3 fresh processes gave the reference losses; 1 differ, 0 non-finite, 0 crashed"),
                "the two clean processes agree bit for bit, the corrupted one is caught:\n" + r.out);
    }
}
