package org.makekit.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.KitException;

class LlmExtractorTest {
    static LlmClient client(FakeChatServer s, Duration timeout) {
        return new LlmClient(new LlmClient.Settings(s.baseUrl(), "test-model", "sk-secret", timeout, 3, Duration.ofMillis(10)));
    }

    static LlmExtractor extractor(FakeChatServer s, JsonlCache cache, Duration timeout) {
        return new LlmExtractor(client(s, timeout), cache, Ontology.builtin(), ConceptLexicon.builtin(), 4, false);
    }

    @Test
    void extractsKnowledgeAndRecoversFrom500sTimeoutsAndMalformedJson(@TempDir Path tmp) throws Exception {
        try (FakeChatServer s = new FakeChatServer(); JsonlCache cache = new JsonlCache(tmp.resolve("cache.jsonl"))) {
            s.stallMillis = 2500;
            List<String> captions = List.of(
                    "Plaque psoriasis FAIL500 on the knee with erythema and scale.",
                    "A black lesion STALL, melanoma was confirmed.",
                    "BADJSON erythema invented-concept only.",
                    "A photo of a hand.");
            LlmExtractor ex = extractor(s, cache, Duration.ofMillis(800));
            List<Knowledge> k = ex.extract(captions);
            assertEquals("psoriasis", k.get(0).diagnosis());
            assertEquals("This is a skin photo diagnosed as inflammatory, non-infectious, psoriasis.", k.get(0).diseaseCaption());
            assertEquals(List.of("erythema", "scale", "plaque"), k.get(0).concepts());
            assertEquals("melanoma", k.get(1).diagnosis());
            assertEquals(List.of("black"), k.get(1).concepts());
            assertNull(k.get(2).diagnosis());
            assertEquals(List.of("erythema"), k.get(2).concepts(), "answers outside the fixed vocabulary are dropped");
            assertFalse(k.get(3).hasDiagnosis() || k.get(3).hasConcepts());
            assertEquals(0, ex.failures());
            // Each misbehaving question was asked exactly twice (one failure, one retry); the others once.
            assertEquals(2, s.count("disease", captions.get(0)));
            assertEquals(2, s.count("concept", captions.get(0)));
            assertEquals(2, s.count("disease", captions.get(1)));
            assertEquals(2, s.count("concept", captions.get(2)));
            assertEquals(1, s.count("disease", captions.get(3)));
            assertEquals(8, cache.size());
            // A second run over the same captions asks nothing.
            int before = s.total.get();
            extractor(s, cache, Duration.ofMillis(800)).extract(captions);
            assertEquals(before, s.total.get());
        }
        assertFalse(Files.readString(tmp.resolve("cache.jsonl")).contains("sk-secret"), "the API key is never written");
    }

    @Test
    void persistentFailuresAreCountedNotCachedAndRetriedNextRun(@TempDir Path tmp) throws Exception {
        try (FakeChatServer s = new FakeChatServer(); JsonlCache cache = new JsonlCache(tmp.resolve("c.jsonl"))) {
            LlmExtractor ex = extractor(s, cache, Duration.ofSeconds(2));
            List<Knowledge> k = ex.extract(List.of("ALWAYS500 psoriasis", "psoriasis plaque"));
            assertEquals(2, ex.failures());
            assertFalse(k.get(0).hasDiagnosis());
            assertEquals("psoriasis", k.get(1).diagnosis());
            assertEquals(4, s.count("disease", "ALWAYS500 psoriasis"), "1 try + 3 retries");
            assertEquals(2, cache.size());
        }
    }

    @Test
    void clientErrorsStopWithAClearMessage(@TempDir Path tmp) throws Exception {
        try (FakeChatServer s = new FakeChatServer(); JsonlCache cache = new JsonlCache(tmp.resolve("c.jsonl"))) {
            LlmClient bad = new LlmClient(new LlmClient.Settings(s.baseUrl() + "/wrong", "m", "sk-secret",
                    Duration.ofSeconds(2), 2, Duration.ofMillis(10)));
            LlmExtractor ex = new LlmExtractor(bad, cache, Ontology.builtin(), ConceptLexicon.builtin(), 2, false);
            KitException e = assertThrows(KitException.class, () -> ex.extract(List.of("psoriasis")));
            assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
            assertFalse(e.getMessage().contains("sk-secret"));
        }
    }

    @Test
    void killedRunResumesWithoutAskingCachedQuestionsAgain(@TempDir Path tmp) throws Exception {
        int n = 120;
        Path cacheFile = tmp.resolve("kill.jsonl");
        try (FakeChatServer s = new FakeChatServer()) {
            s.delayMillis = 40;
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                    LlmKillTarget.class.getName(), s.baseUrl(), cacheFile.toString(), String.valueOf(n))
                    .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && (!Files.exists(cacheFile) || Files.readAllLines(cacheFile).size() < 60)) {
                Thread.sleep(20);
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hooks, no flush
            assertTrue(child.waitFor(10, TimeUnit.SECONDS));
            List<String> lines = Files.readAllLines(cacheFile);
            assertTrue(lines.size() >= 60 && lines.size() < 2 * n, "killed mid-run: " + lines.size() + " answers cached");

            // What the killed run left in the cache (a torn last line is not an answer).
            Set<String> cachedKeys = new HashSet<>();
            for (String l : lines) {
                try {
                    cachedKeys.add(org.makekit.util.Json.parse(l).getAsJsonObject().get("key").getAsString());
                } catch (RuntimeException torn) {
                    // ignored, as the cache does
                }
            }
            List<String> captions = LlmKillTarget.captions(n);
            java.util.Map<String, Integer> before = new java.util.HashMap<>();
            s.requests.forEach((k, v) -> before.put(k, v.get()));
            List<Knowledge> k;
            LlmExtractor resumed;
            try (JsonlCache cache = new JsonlCache(cacheFile)) {
                resumed = extractor(s, cache, Duration.ofSeconds(5));
                k = resumed.extract(captions);
            }
            assertEquals(n, k.size());
            for (Knowledge x : k) assertEquals("psoriasis", x.diagnosis());
            int askedAgain = 0;
            List<String> violations = new ArrayList<>();
            for (String c : captions) {
                for (String kind : new String[] {"disease", "concept"}) {
                    int delta = s.count(kind, c) - before.getOrDefault(kind + "|" + c, 0);
                    askedAgain += delta;
                    if (cachedKeys.contains(resumed.key(kind, c)) && delta > 0) violations.add(kind + " " + c);
                }
            }
            assertTrue(violations.isEmpty(), "cached questions asked again: " + violations);
            assertEquals(2 * n - cachedKeys.size(), askedAgain, "exactly the uncached questions were asked");
            try (JsonlCache reread = new JsonlCache(cacheFile)) {
                assertEquals(2 * n, reread.size());
            }
        }
    }
}
