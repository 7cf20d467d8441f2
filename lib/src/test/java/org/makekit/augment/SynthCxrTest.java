package org.makekit.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.SynthCxr;
import org.makekit.knowledge.Domain;
import org.makekit.knowledge.Knowledge;
import org.makekit.util.KitException;

/** SynthCXR: deterministic, its domain files load, and its reports' diagnostic sentences are exactly the ones naming the diagnosis. */
class SynthCxrTest {
    @Test
    void reportsHaveIdentifiableDiagnosticSentences(@TempDir Path dir) throws Exception {
        List<SynthCxr.Sample> s = SynthCxr.generate(dir, new SynthCxr.Config(3, 60, 6, 24, 32));
        assertEquals(90, s.size());
        Domain d = Domain.load(dir);
        assertEquals(SynthCxr.CLASSES, d.classes());
        assertEquals("SynthCXR", d.name());
        DiagnosticSentences f = new DiagnosticSentences(d.ontology(), d.lexicon());
        int negations = 0;
        int early = 0;
        for (SynthCxr.Sample x : s) {
            String node = d.ontology().find(x.label()).key();
            var sentences = f.split(x.caption());
            var dx = sentences.stream().filter(DiagnosticSentences.Sentence::diagnostic).toList();
            assertFalse(dx.isEmpty(), x.caption());
            for (var t : dx) assertEquals(List.of(node), t.nodes(), t.text());
            assertTrue(sentences.get(sentences.size() - 1).diagnostic(), "the impression comes last: " + x.caption());
            if (dx.size() > 1) early++;
            if (x.caption().matches(".*\\b(No pneumothorax|No pleural effusion|no focal pneumonia)\\b.*")) negations++;
            // the knowledge extractor of the domain finds the same diagnosis
            Knowledge k = d.extractor().extract(x.caption());
            assertEquals(node, d.ontology().find(k.diagnosis()).key(), x.caption());
            assertTrue(k.diseaseCaption().startsWith(SynthCxr.DISEASE_PREFIX));
            assertFalse(k.concepts().isEmpty(), x.caption());
        }
        assertTrue(negations > 5 && early > 3, "negated findings " + negations + ", early suspicions " + early);
        // the same seed gives the same files
        Path again = dir.resolve("again");
        SynthCxr.generate(again, new SynthCxr.Config(3, 60, 6, 24, 32));
        assertEquals(Files.readString(dir.resolve("metadata.csv")), Files.readString(again.resolve("metadata.csv")));
        assertArrayEquals(Files.readAllBytes(dir.resolve("images/cxr_000007.png")), Files.readAllBytes(again.resolve("images/cxr_000007.png")));
        // a domain folder with a broken classes.json is named
        Files.writeString(again.resolve("classes.json"), "{\"classnames\": [\"a\"], \"prompts\": [\"no slot\"]}");
        KitException e = assertThrows(KitException.class, () -> Domain.load(again));
        assertTrue(e.getMessage().contains("classes.json") && e.getMessage().contains("no slot"), e.getMessage());
    }
}
