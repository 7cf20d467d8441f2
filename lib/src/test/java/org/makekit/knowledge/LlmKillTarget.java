package org.makekit.knowledge;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Child-process entry for the kill-and-resume test: extracts knowledge for N captions through a server. */
public final class LlmKillTarget {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path cache = Path.of(args[1]);
        int n = Integer.parseInt(args[2]);
        List<String> captions = captions(n);
        LlmClient client = new LlmClient(new LlmClient.Settings(url, "test-model", "sk-secret", Duration.ofSeconds(5), 3,
                Duration.ofMillis(10)));
        try (JsonlCache c = new JsonlCache(cache)) {
            new LlmExtractor(client, c, Ontology.builtin(), ConceptLexicon.builtin(), 4, false).extract(captions);
        }
        System.out.println("DONE");
    }

    static List<String> captions(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add("Case " + i + ": psoriasis with erythema and scale on the elbow.");
        return out;
    }
}
