package org.makekit.experiments.magen;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.makekit.knowledge.LlmClient;

/** Child-process entry for the kill-and-resume test: agents 2 and 3 over the given images through a server. */
public final class MagenKillTarget {
    public static void main(String[] args) throws Exception {
        String url = args[0];
        Path work = Path.of(args[1]);
        Path images = Path.of(args[2]);
        LlmClient c = new LlmClient(new LlmClient.Settings(url, "test-vlm", "sk-secret", Duration.ofSeconds(5), 3, Duration.ofMillis(10)));
        Magen m = new Magen(work, new Magen.Options(1.0, 5, 0.3, 256, 128, 128, 2), c, c);
        List<Magen.Pair> pairs = MagenTest.pairs(images);
        Map<String, Magen.Shortlist> lists = MagenTest.shortlists(pairs);
        Map<String, String> drafts = m.captions(pairs, images, lists, Map.of());
        m.verify(pairs, images, drafts, lists, Map.of());
        System.out.println("DONE");
    }
}
