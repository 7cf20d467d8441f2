package org.makekit.experiments.magen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.knowledge.LlmClient;
import org.makekit.knowledge.Ontology;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;

/**
 * MAGEN against a real HTTP server on 127.0.0.1 speaking the chat protocol with image parts: every
 * step, server errors, timeouts, malformed and truncated answers, a second run that asks nothing, a
 * killed run that resumes without asking anything twice, and the offline run without agents.
 */
class MagenTest {
    static List<Magen.Pair> pairs(Path root) throws Exception {
        List<Magen.Pair> out = new ArrayList<>();
        for (var r : org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build()
                .parse(Files.newBufferedReader(root.resolve("metadata.csv")))) {
            out.add(new Magen.Pair(r.get("image"), r.get("caption"), r.get("label"), r.get("split")));
        }
        return out;
    }

    /** A fixed shortlist per image (for the agent-only runs). */
    static Map<String, Magen.Shortlist> shortlists(List<Magen.Pair> pairs) {
        Map<String, Magen.Shortlist> m = new LinkedHashMap<>();
        for (Magen.Pair p : pairs) {
            m.put(p.image(), new Magen.Shortlist(List.of("psoriasis", "tinea corporis"), new double[] {0.7, 0.3},
                    List.of("psoriasis", "tinea corporis"), new double[] {0.6, 0.2}));
        }
        return m;
    }

    static Path data(Path tmp, int n) {
        Path d = tmp.resolve("synth");
        SynthDerm.generate(d, new SynthDerm.Config(3, n, 0, 0, 32));
        return d;
    }

    static String sha(Path img) throws Exception {
        return ScriptedAgents.sha(Files.readAllBytes(img));
    }

    static LlmClient client(String url, long timeoutMillis) {
        return new LlmClient(new LlmClient.Settings(url, "test-vlm", "sk-secret", Duration.ofMillis(timeoutMillis), 3, Duration.ofMillis(10)));
    }

    @Test
    void allStepsAgainstAServerWithFaultsThenAResumeThatAsksNothing(@TempDir Path tmp) throws Exception {
        Path data = data(tmp, 8);
        List<Magen.Pair> pairs = pairs(data);
        List<String> diseases = SynthDerm.classnames();
        try (ScriptedAgents s = new ScriptedAgents(); NDManager m = NDManager.newBaseManager()) {
            s.stallMillis = 2500;
            String[] cues = {"FAIL500", "STALL", "MALFORMED", "TRUNCATED", "FENCED"};
            for (int i = 0; i < cues.length; i++) s.behaviour.put(sha(data.resolve(pairs.get(i).image())), cues[i]);
            ModelConfig mc = ModelConfig.load("tiny");
            ClipModel model = ClipModel.create(mc, m, 0, DataType.FLOAT32);
            Magen.Options o = new Magen.Options(1.0, 5, 0.0, 256, 128, 128, 3); // flag every pair; every candidate shown to agent 3
            Magen g = new Magen(tmp.resolve("work"), o, client(s.baseUrl(), 1500), client(s.baseUrl(), 1500));
            Magen.Report r = g.run(pairs, data, model, Tokenizer.forConfig(mc), diseases, Map.of(), Ontology.builtin());

            assertEquals(8, r.pairs());
            assertEquals(8, r.flagged());
            assertEquals(diseases.size(), r.cards(), "one card per disease");
            assertEquals(8, r.captioned());
            assertEquals(8, r.verified());
            assertEquals(1, r.malformed(), r.toString());
            assertEquals(1, r.truncated(), r.toString());
            assertEquals(0, s.protocolErrors.get(), "every agent 2/3 request carried a text part and a base64 PNG image part");
            String a = sha(data.resolve(pairs.get(0).image()));
            assertEquals(2, s.count("caption", a), "HTTP 500 once, then answered");
            String b = sha(data.resolve(pairs.get(1).image()));
            assertEquals(2, s.count("caption", b), "timed out once, then answered");
            for (String d : diseases) assertEquals(1, s.count("card", d), d);

            // Step 4: the table as augment writes it; verified rows get the verified diagnosis and its ontology text,
            // unusable verdicts keep the draft caption and the row's diagnosis.
            List<TrainingRow> rows = TrainingTable.read(r.table());
            assertEquals(8, rows.size());
            TrainingRow fenced = rows.get(4);
            assertTrue(fenced.caption().endsWith("(verified)"), fenced.caption());
            assertEquals("psoriasis", fenced.diagnosis());
            assertTrue(fenced.texts(8).get(1).startsWith("This is a skin photo diagnosed as"), fenced.texts(8).get(1));
            TrainingRow malformed = rows.get(2);
            assertFalse(malformed.caption().endsWith("(verified)"));
            assertTrue(malformed.caption().contains("most likely diagnosis is psoriasis"), "the agent-2 draft is kept: " + malformed.caption());
            assertTrue(Files.exists(tmp.resolve("work/0_scores.csv")));

            // A second run asks nothing: every answer is in the step caches.
            int before = s.total.get();
            Magen.Report again = new Magen(tmp.resolve("work"), o, client(s.baseUrl(), 1500), client(s.baseUrl(), 1500))
                    .run(pairs, data, model, Tokenizer.forConfig(mc), diseases, Map.of(), Ontology.builtin());
            assertEquals(before, s.total.get(), "resume asked the server again");
            assertEquals(r.toString(), again.toString());
        }
    }

    @Test
    void withoutAnEndpointTheAgentsAreSkippedAndCaptionsKept(@TempDir Path tmp) throws Exception {
        Path data = data(tmp, 6);
        List<Magen.Pair> pairs = pairs(data);
        try (NDManager m = NDManager.newBaseManager()) {
            ModelConfig mc = ModelConfig.load("tiny");
            ClipModel model = ClipModel.create(mc, m, 0, DataType.FLOAT32);
            Magen g = new Magen(tmp.resolve("work"), new Magen.Options(0.5, 5, 0.3, 256, 128, 128, 2), null, null);
            Magen.Report r = g.run(pairs, data, model, Tokenizer.forConfig(mc), SynthDerm.classnames(), Map.of(), Ontology.builtin());
            assertTrue(r.agents().startsWith("skipped"), r.agents());
            assertEquals(0, r.captioned());
            assertTrue(r.flagged() >= 2 && r.flagged() <= 4, "about half flagged at quantile 0.5: " + r.flagged());
            List<TrainingRow> rows = TrainingTable.read(r.table());
            for (int i = 0; i < pairs.size(); i++) assertEquals(pairs.get(i).caption(), rows.get(i).caption(), "no caption is made up");
            // Step 1's shortlist: top 5, renormalised without "no definitive diagnosis".
            List<String> withNone = new ArrayList<>(SynthDerm.classnames());
            withNone.add(Magen.NO_DIAGNOSIS);
            Map<String, Magen.Shortlist> lists = g.shortlists(pairs, data, model, Tokenizer.forConfig(mc), withNone);
            for (Magen.Shortlist s : lists.values()) {
                assertEquals(5, s.names().size());
                assertFalse(s.names().contains(Magen.NO_DIAGNOSIS));
                for (int k = 1; k < 5; k++) assertTrue(s.probs()[k] <= s.probs()[k - 1]);
                assertTrue(s.rawProbs()[0] >= s.rawProbs()[4]);
            }
        }
    }

    @Test
    void verificationPromptAndAnswerRules() {
        Magen g = new Magen(Path.of(System.getProperty("java.io.tmpdir")).resolve("magen-rules-" + ProcessHandle.current().pid()),
                Magen.Options.defaults(), null, null);
        Magen.Shortlist s = new Magen.Shortlist(List.of("a", "b"), new double[] {0.6, 0.4}, List.of("psoriasis", "eczema", "tinea"),
                new double[] {0.55, 0.31, 0.1});
        Map<String, String> cards = new HashMap<>();
        cards.put("Psoriasis, psoriasis vulgaris", "CARD-P");
        cards.put("Eczema", "CARD-E");
        String p = g.verifyPrompt("Caption text.", s, cards);
        assertTrue(p.contains("Candidate diagnoses: psoriasis (0.55) | eczema (0.31)") && !p.contains("tinea"), p);
        assertTrue(p.contains("CARD-P") && p.contains("CARD-E"), "cards by exact variant match");
        assertTrue(g.verifyPrompt("c", new Magen.Shortlist(List.of(), new double[0], List.of("x"), new double[] {0.1}), cards)
                .contains("None above threshold"));
        assertEquals("[Card not available]", Magen.card(cards, "lichen planus"));
        Magen.Pair pair = new Magen.Pair("i.png", "orig", "eczema", "train");
        assertEquals("ok", Magen.verdict("{\"content\": \"```json\\n{\\\"diagnosis\\\": \\\"psoriasis\\\", \\\"corrected_caption_paragraph\\\": \\\"x\\\"}\\n```\", \"finish_reason\": \"stop\"}",
                pair, "draft").status());
        Magen.Verdict cut = Magen.verdict("{\"content\": \"{\\\"diagnosis\\\": \\\"pso\", \"finish_reason\": \"length\"}", pair, "draft");
        assertEquals(new Magen.Verdict("eczema", "draft", "truncated"), cut);
        assertEquals("malformed", Magen.verdict("{\"content\": \"psoriasis\", \"finish_reason\": \"stop\"}", pair, "draft").status());
    }

    @Test
    void killedRunResumesWithoutAskingAnythingTwice(@TempDir Path tmp) throws Exception {
        Path data = data(tmp, 40);
        List<Magen.Pair> pairs = pairs(data);
        Path work = tmp.resolve("work");
        try (ScriptedAgents s = new ScriptedAgents()) {
            s.delayMillis = 60;
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), MagenKillTarget.class.getName(),
                    s.baseUrl(), work.toString(), data.toString()).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
            Path captions = work.resolve("agent2_captions.jsonl");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline && (!Files.exists(captions) || Files.readAllLines(captions).size() < 20)) Thread.sleep(20);
            child.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            int cached = Files.readAllLines(captions).size();
            assertTrue(cached >= 20 && cached < 40, "killed mid-run with " + cached + " of 40 captions cached\n"
                    + Files.readString(tmp.resolve("child.log")));
            Map<String, Integer> before = new HashMap<>();
            s.requests.forEach((k, v) -> before.put(k, v.get()));

            LlmClient c = client(s.baseUrl(), 5000);
            Magen g = new Magen(work, new Magen.Options(1.0, 5, 0.3, 256, 128, 128, 2), c, c);
            Map<String, Magen.Shortlist> lists = shortlists(pairs);
            Map<String, String> drafts = g.captions(pairs, data, lists, Map.of());
            Map<String, Magen.Verdict> verdicts = g.verify(pairs, data, drafts, lists, Map.of());
            assertEquals(40, drafts.size());
            assertEquals(40, verdicts.size());
            int askedAgain = 0;
            for (Magen.Pair p : pairs) {
                String k = "caption|" + sha(data.resolve(p.image()));
                int b = before.getOrDefault(k, 0);
                int after = s.requests.get(k).get();
                assertTrue(b == 0 ? after == 1 : after <= b + 1, p.image() + ": asked " + b + " times before the kill, " + after + " in all");
                if (b > 0 && after > b) askedAgain++;
            }
            // Only the requests in flight when the child died (answered but not yet cached) may be asked again: at most the worker count.
            assertTrue(askedAgain <= 2, askedAgain + " captions asked again after the kill");
            for (Magen.Pair p : pairs) assertTrue(s.count("verify", sha(data.resolve(p.image()))) <= 2);
        }
    }
}
