package org.makekit.knowledge;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.makekit.text.SentenceSplitter;

class KnowledgeTest {
    @Test
    void sentenceSplitterFollowsTheOfficialRule() {
        SentenceSplitter.Split s = SentenceSplitter.split("A. B.", 8);
        assertEquals(List.of("A", "B", "", "", "", "", "", ""), s.sentences());
        assertArrayEquals(new boolean[] {true, true, false, false, false, false, false, false}, s.mask());
        // Runs of . ! ? split once; whitespace is stripped; empty pieces dropped.
        s = SentenceSplitter.split("  Red plaque!!  Itchy?... Scale on elbows.  ", 8);
        assertEquals(List.of("Red plaque", "Itchy", "Scale on elbows"), s.sentences().subList(0, 3));
        assertEquals(3, s.count());
        // Decimal points split too, exactly as re.split(r"[.!?]+") does.
        assertEquals(List.of("Lesion 2", "5 cm wide"), SentenceSplitter.split("Lesion 2.5 cm wide.", 8).sentences().subList(0, 2));
        // Only the first K are kept.
        s = SentenceSplitter.split("1. 2. 3. 4. 5. 6. 7. 8. 9. 10.", 8);
        assertEquals("8", s.sentences().get(7));
        assertEquals(8, s.count());
        assertEquals(0, SentenceSplitter.split("", 8).count());
        assertEquals(0, SentenceSplitter.split("?!...", 8).count());
    }

    @Test
    void ontologyPathsFollowTheOfficialSearch() {
        Ontology o = Ontology.builtin();
        assertEquals("This is a skin photo diagnosed as inflammatory, non-infectious, atopic dermatitis.",
                o.caption("atopic dermatitis"));
        assertEquals("This is a skin photo diagnosed as hereditary, ichthyosis.", o.caption("ichthyosis"));
        // Ancestors keep their full key text (synonyms included); unknown diagnoses stand alone.
        assertEquals("This is a skin photo diagnosed as proliferations, malignant, melanocytic, melanoma.", o.caption("melanoma"));
        assertEquals("This is a skin photo diagnosed as mystery rash.", o.caption("mystery rash"));
        assertEquals(371, o.nodes().size());
    }

    @Test
    void extractorFindsLongestDiagnosisAndConceptsInOrder() {
        OntologyExtractor ex = OntologyExtractor.builtin();
        Knowledge k = ex.extract("Chronic atopic dermatitis in the antecubital fossa with scaly, erythematous patches.");
        assertEquals("atopic dermatitis", k.diagnosis(), "the longer synonym wins over 'dermatitis'");
        assertEquals("This is a skin photo diagnosed as inflammatory, non-infectious, atopic dermatitis.", k.diseaseCaption());
        // Concepts by first mention; 'dermatitis' is a term of 'plaque' in the official lexicon (kept as is).
        assertEquals(List.of("scale", "erythema"), k.concepts().subList(k.concepts().size() - 2, k.concepts().size()));
        assertEquals("This skin photo shows " + String.join(", ", k.concepts()) + ".", k.conceptCaption());

        Knowledge none = ex.extract("A photo taken on holiday.");
        assertNull(none.diagnosis());
        assertFalse(none.hasConcepts());
        assertEquals("", none.conceptCaption());

        // Whole words only: 'scaled' does not contain the term 'scaly'; 'melanomas' is not 'melanoma'.
        Knowledge words = ex.extract("Scaled-up image of melanomas.");
        assertNull(words.diagnosis());
        // A diagnosis beats a longer synonym that is a visual finding; a finding-diagnosis alone still counts.
        assertEquals("melanoma", ex.extract("The lesion showed brown hyperpigmentation. Final diagnosis: melanoma.").diagnosis());
        assertEquals("hyperpigmentation", ex.extract("Hyperpigmentation of the cheek after sun exposure.").diagnosis());
        assertEquals("vitiligo", ex.extract("Vitiligo with a flat patch of hypopigmentation.").diagnosis());
        Knowledge bcc = ex.extract("Nodular basal cell carcinoma with dilated or broken blood vessels.");
        assertEquals("basal cell carcinoma", bcc.diagnosis());
        assertEquals(List.of("nodule", "telangiectasia"), bcc.concepts());
    }
}
