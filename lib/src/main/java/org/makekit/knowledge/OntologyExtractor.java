package org.makekit.knowledge;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The kit's offline knowledge extractor: finds the diagnosis in a caption by matching the
 * ontology's synonyms (whole words, longest first), and the visual concepts by matching the concept
 * lexicon's terms (longest first, whole words, non-overlapping), concepts in order of first mention.
 * Some ontology nodes are also visual findings ("hyperpigmentation", "scar", "xerosis" under
 * "reaction patterns and descriptive terms"): a synonym that is also a concept term is taken only
 * when no other synonym matches, so "a melanoma with brown hyperpigmentation" gives melanoma.
 * Negated mentions do not count ({@link Negation}: "No pleural effusion. Impression: pneumothorax"
 * gives pneumothorax). Both inputs are files, so another medical domain swaps them.
 */
public final class OntologyExtractor implements KnowledgeExtractor {
    private final Ontology ontology;
    private final List<String[]> diseaseTerms; // {term, nodeKey}, longest first
    private final List<String[]> conceptTerms; // {term, concept}, longest first
    private final Knowledge.Templates templates;

    public OntologyExtractor(Ontology ontology, ConceptLexicon concepts) {
        this(ontology, concepts, Knowledge.Templates.DERMATOLOGY);
    }

    public OntologyExtractor(Ontology ontology, ConceptLexicon concepts, Knowledge.Templates templates) {
        this.ontology = ontology;
        this.templates = templates;
        java.util.Set<String> findings = new java.util.HashSet<>();
        concepts.terms().forEach((c, ts) -> {
            findings.add(c.toLowerCase(Locale.ROOT));
            findings.addAll(ts);
        });
        this.diseaseTerms = new ArrayList<>(ontology.synonymTerms());
        this.diseaseTerms.sort(Comparator.comparingInt((String[] t) -> findings.contains(t[0]) ? 1 : 0)
                .thenComparingInt(t -> -t[0].length()));
        this.conceptTerms = new ArrayList<>();
        concepts.terms().forEach((c, ts) -> {
            // The concept's own name matches too ("erythema"), besides its listed terms ("redness", ...).
            java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>(ts);
            all.add(c.toLowerCase(Locale.ROOT));
            for (String t : all) if (t.length() >= 3) conceptTerms.add(new String[] {t, c});
        });
        this.conceptTerms.sort(Comparator.comparingInt((String[] t) -> -t[0].length()));
    }

    public static OntologyExtractor builtin() {
        return new OntologyExtractor(Ontology.builtin(), ConceptLexicon.builtin());
    }

    @Override
    public String name() {
        return "ontology";
    }

    @Override
    public List<Knowledge> extract(List<String> captions) {
        List<Knowledge> out = new ArrayList<>(captions.size());
        for (String c : captions) out.add(extract(c));
        return out;
    }

    public Knowledge extract(String caption) {
        String text = caption == null ? "" : caption.toLowerCase(Locale.ROOT);
        String diagnosis = null;
        for (String[] t : diseaseTerms) {
            if (positive(text, t[0])) {
                diagnosis = t[0];
                break;
            }
        }
        // Concepts: longest terms claim their span first; order concepts by first mention.
        boolean[] taken = new boolean[text.length()];
        List<int[]> hits = new ArrayList<>(); // {position, conceptIndex}
        List<String> conceptNames = new ArrayList<>();
        for (String[] t : conceptTerms) {
            int from = 0;
            while (true) {
                int at = indexOfWord(text, t[0], from);
                if (at < 0) break;
                boolean free = true;
                for (int i = at; i < at + t[0].length(); i++) free &= !taken[i];
                if (free) {
                    for (int i = at; i < at + t[0].length(); i++) taken[i] = true;
                    int ci = conceptNames.indexOf(t[1]);
                    if (ci < 0) {
                        conceptNames.add(t[1]);
                        ci = conceptNames.size() - 1;
                    }
                    hits.add(new int[] {at, ci});
                }
                from = at + 1;
            }
        }
        hits.sort(Comparator.comparingInt(h -> h[0]));
        List<String> concepts = new ArrayList<>();
        for (int[] h : hits) {
            String c = conceptNames.get(h[1]);
            if (!concepts.contains(c)) concepts.add(c);
        }
        String disease = diagnosis == null ? "" : ontology.caption(diagnosis, templates.diseasePrefix());
        return new Knowledge(diagnosis, disease, concepts, Knowledge.conceptCaption(concepts, templates.conceptPrefix()));
    }

    /** Whether the text mentions the term at least once without a negation before it ("no pleural effusion"; {@link Negation}). */
    static boolean positive(String text, String term) {
        for (int at = indexOfWord(text, term, 0); at >= 0; at = indexOfWord(text, term, at + 1)) {
            if (!Negation.negatedAt(text, at)) return true;
        }
        return false;
    }

    /** Index of term in text at word boundaries (letters/digits on neither side), from a position; -1 if none. */
    static int indexOfWord(String text, String term, int from) {
        int at = text.indexOf(term, from);
        while (at >= 0) {
            boolean left = at == 0 || !Character.isLetterOrDigit(text.charAt(at - 1));
            int end = at + term.length();
            boolean right = end >= text.length() || !Character.isLetterOrDigit(text.charAt(end));
            if (left && right) return at;
            at = text.indexOf(term, at + 1);
        }
        return -1;
    }
}
