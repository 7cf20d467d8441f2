package org.makekit.knowledge;

import java.util.List;

/**
 * What a knowledge extractor found in one caption: a standardised diagnosis (null when none) with
 * its disease-aspect caption, and the visual concepts with their concept-aspect caption.
 */
public record Knowledge(String diagnosis, String diseaseCaption, List<String> concepts, String conceptCaption) {
    public static final String DISEASE_PREFIX = "This is a skin photo diagnosed as ";
    public static final String CONCEPT_PREFIX = "This skin photo shows ";

    /** The sentence openings of the two knowledge texts: a domain's own wording. */
    public record Templates(String diseasePrefix, String conceptPrefix) {
        /** MAKE's (Derm1M's) templates. */
        public static final Templates DERMATOLOGY = new Templates(DISEASE_PREFIX, CONCEPT_PREFIX);
    }

    public boolean hasDiagnosis() {
        return diagnosis != null && !diagnosis.isBlank();
    }

    public boolean hasConcepts() {
        return concepts != null && !concepts.isEmpty();
    }

    /** "This skin photo shows {c1, c2, ...}." or "" when no concept. */
    public static String conceptCaption(List<String> concepts) {
        return conceptCaption(concepts, CONCEPT_PREFIX);
    }

    public static String conceptCaption(List<String> concepts, String prefix) {
        return concepts.isEmpty() ? "" : prefix + String.join(", ", concepts) + ".";
    }
}
