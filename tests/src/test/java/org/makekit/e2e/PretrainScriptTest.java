package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.model.Safetensors;
import org.makekit.train.Checkpoint;

/** The pretrain script as a user runs it, killed with SIGKILL at a random moment and resumed. */
class PretrainScriptTest {
    static final String[] SMALL = {"--steps", "30", "--batch-size", "8", "--checkpoint-every", "4", "--warmup", "5",
        "--synth-train", "48", "--synth-val", "8", "--synth-test", "20", "--workers", "2"};

    static List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(SMALL));
        a.add("--out");
        a.add(out.toString());
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void helpListsTheMethodsAndFlags() throws Exception {
        Run r = Run.script("pretrain", 300, "--help");
        assertEquals(0, r.exit, r.out);
        for (String s : new String[] {"--method", "--mode", "--resume", "--micro-batch", "--device", "--precision", "mkcl+slra", "--medcutmix", "arl"}) {
            assertTrue(r.out.contains(s), s);
        }
    }

    @Test
    void paperPresetWithTheTinyModelAndAnEmptyEvalSplitThroughTheJBangWrapper(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("paper-tiny");
        String[] args = {"--preset", "paper", "--model", "tiny", "--steps", "1", "--batch-size", "4",
                "--precision", "fp32", "--workers", "1", "--eval-split", "", "--synth-train", "8", "--synth-val", "0",
                "--synth-test", "4", "--out", out.toString()};
        // The paper starts from OpenAI's weights; with an empty cache the run says how to get them, in one line.
        Run noWeights = Run.script(java.util.Map.of("MAKEKIT_CACHE", tmp.resolve("empty-cache").toString()), "pretrain",
                600, args);
        assertEquals(2, noWeights.exit, noWeights.out);
        assertTrue(noWeights.out.contains("weights 'openai'") && noWeights.out.contains("./kit fetch-data openai"),
                noWeights.out);
        assertTrue(!noWeights.out.contains("\tat "), "no stack trace:\n" + noWeights.out);
        String[] fresh = java.util.Arrays.copyOf(args, args.length + 4);
        fresh[args.length] = "--init";
        fresh[args.length + 1] = "none";
        fresh[args.length + 2] = "--medcutmix"; // MedCutMix through the command line: every eligible sample mixed
        fresh[args.length + 3] = "p=1,mix=soft";
        Run r = Run.script("pretrain", 600, fresh);
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("model tiny") && r.out.contains("done: 1 steps"), r.out);
        var cfg = org.makekit.util.Json.parse(Files.readString(out.resolve("config.json"))).getAsJsonObject();
        assertEquals("tiny", cfg.get("model").getAsString(), "--model tiny wins over the paper preset's ViT-B-16");
        assertEquals(1e-4, cfg.get("lr").getAsDouble(), "the rest of the paper recipe stays");
        assertEquals("", cfg.get("evalSplit").getAsString(), "the empty argument arrives");
        assertEquals("p=1,sentences=one,lambda=0.1:0.5,layer=auto,mix=soft,targets=replace,tau=0.07", cfg.get("medcutmix").getAsString());
        assertTrue(r.out.contains("medcutmix p=1"), r.out);
        assertEquals(2, Files.readAllLines(out.resolve("metrics.csv")).size());
        assertTrue(!Files.exists(out.resolve("zero-shot.json")), "--eval-split '' skips the zero-shot check");
    }

    @Test
    void arlThroughThePretrainScript(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("arl");
        Run r = Run.script("pretrain", 600, "--method", "arl", "--model", "arl-tiny", "--init", "none", "--steps", "2", "--batch-size", "4",
                "--workers", "1", "--synth-train", "8", "--synth-val", "0", "--synth-test", "4", "--out", out.toString());
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("pretraining arl") && r.out.contains("done: 2 steps"), r.out);
        assertTrue(Files.readAllLines(out.resolve("metrics.csv")).get(0).contains("itm,mlm,mim,align"), "the four pretext losses are logged");
        assertTrue(Files.exists(out.resolve("model.safetensors")) && Files.isDirectory(out.resolve("transe")));
        assertTrue(!Files.exists(out.resolve("zero-shot.json")), "a fusion model has no zero-shot check");
        Run wrong = Run.script("pretrain", 600, "--method", "arl", "--model", "tiny", "--init", "none", "--steps", "1", "--batch-size", "4",
                "--synth-train", "8", "--synth-val", "0", "--synth-test", "4", "--out", tmp.resolve("wrong").toString());
        assertEquals(2, wrong.exit, wrong.out);
        assertTrue(wrong.out.contains("arl-tiny") && !wrong.out.contains("\tat "), wrong.out);
    }

    @Test
    void killNineThenResumeContinuesFromTheLastWholeCheckpoint(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("run");
        List<String> cmd = new ArrayList<>(List.of(Run.jbang(), Run.root().resolve("scripts/pretrain.java").toString()));
        cmd.addAll(args(out));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Run.root().toFile()).redirectErrorStream(true)
                .redirectOutput(tmp.resolve("first.log").toFile());
        Process p = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(400);
        while (System.nanoTime() < deadline && Checkpoint.latest(out) == null && p.isAlive()) Thread.sleep(100);
        assertTrue(p.isAlive(), "the run ended before it could be killed:\n" + Files.readString(tmp.resolve("first.log")));
        Thread.sleep(new Random().nextInt(2500)); // a random moment, possibly mid-checkpoint
        p.destroyForcibly(); // SIGKILL
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        Path last = Checkpoint.latest(out);
        assertNotNull(last, "a checkpoint survives the kill");
        // The checkpoint named 'latest' is whole: every file parses.
        assertTrue(Safetensors.read(last.resolve("model.safetensors")).containsKey("visual.proj"));
        assertTrue(Safetensors.read(last.resolve("optimizer.safetensors")).containsKey("exp_avg.visual.proj"));
        long step = Checkpoint.state(last).get("step").getAsLong();
        assertTrue(step >= 4 && step % 4 == 0, "checkpoint step " + step);

        List<String> resume = new ArrayList<>(args(out, "--resume"));
        Run r = Run.script("pretrain", 600, resume.toArray(new String[0]));
        assertEquals(0, r.exit, r.out);
        assertTrue(r.out.contains("done: 30 steps"), r.out);
        // The resumed bar counts only this process's steps (it once showed 257400.3 step/s after a resume).
        java.util.regex.Matcher rate = java.util.regex.Pattern.compile("([0-9.]+) step/s").matcher(r.out);
        int rates = 0;
        while (rate.find()) {
            rates++;
            assertTrue(Double.parseDouble(rate.group(1)) < 1000, "a transformer step takes far more than 1 ms: " + rate.group());
        }
        assertTrue(rates > 0, "the resumed run shows its progress:\n" + r.out);
        List<String> rows = Files.readAllLines(out.resolve("metrics.csv"));
        assertEquals(31, rows.size(), "header + one row per step, none twice");
        for (int i = 1; i <= 30; i++) assertTrue(rows.get(i).startsWith(i + ","), rows.get(i));
        assertTrue(Files.size(out.resolve("loss.png")) > 1000);
        assertTrue(Files.exists(out.resolve("model.safetensors")));
        assertTrue(Files.readString(out.resolve("zero-shot.json")).contains("top1"));
        try (var s = Files.list(Checkpoint.dir(out))) {
            assertTrue(s.noneMatch(x -> x.getFileName().toString().startsWith(".tmp-")), "temporaries cleaned on resume");
        }
    }
}
