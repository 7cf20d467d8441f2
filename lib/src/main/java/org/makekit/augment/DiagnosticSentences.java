package org.makekit.augment;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.knowledge.Ontology;

/**
 * MedCutMix's "disease-centric label extraction" and "sentence identification" (the kit's
 * interpretation; the authors' code is not public): a report is split into sentences by MAKE's rule
 * (runs of '.', '!' or '?'), and a sentence is <em>diagnostic</em> when it names a node of the
 * domain's ontology. Names are matched as whole words, longest first, each word claimed once. A
 * synonym that is also a term of the concept lexicon (the Derm1M tree's "psoriasis" is also a plaque
 * term) is a weak mention: it counts only in a report that names no node otherwise, the knowledge
 * extractor's rule for findings terms. A mention with a negation among the four words before it ("no
 * pneumothorax", "without pleural effusion"; the scope ends at "but", "however", ...) is not a mention: only positive findings make a
 * sentence diagnostic ({@link org.makekit.knowledge.Negation}, a simple NegEx-style rule, not a full radiology labeller). Works for any ontology file, so the
 * same code finds "Impression: pleural effusion" in a chest radiograph report and "The final
 * diagnosis was psoriasis" in a dermatology caption.
 */
public final class DiagnosticSentences {
    private static final Pattern PIECE = Pattern.compile("[^.!?]+");
    private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{Nd}]+");

    /** A sentence: its text (stripped), where it sits in the report [start, end), and the ontology nodes it names. */
    public record Sentence(String text, int start, int end, List<String> nodes) {
        public boolean diagnostic() {
            return !nodes.isEmpty();
        }
    }

    private final Map<String, String> terms = new HashMap<>(); // normalised synonym -> node key
    private final Set<String> weak = new java.util.HashSet<>(); // synonyms that are also findings terms
    private final int maxWords;

    /**
     * @param ontology the domain's disease tree
     * @param findings the domain's concept lexicon, whose terms are findings and not diagnoses (null: none)
     */
    public DiagnosticSentences(Ontology ontology, ConceptLexicon findings) {
        Set<String> exclude = new java.util.HashSet<>();
        if (findings != null) {
            findings.terms().forEach((c, ts) -> {
                exclude.add(normalise(c));
                for (String t : ts) exclude.add(normalise(t));
            });
        }
        int longest = 1;
        for (String[] t : ontology.synonymTerms()) {
            String n = normalise(t[0]);
            if (n.isEmpty()) continue;
            terms.putIfAbsent(n, t[1]);
            if (exclude.contains(n)) weak.add(n);
            longest = Math.max(longest, n.split(" ").length);
        }
        this.maxWords = longest;
    }

    /** Lower case, every run of characters other than letters and digits one space, stripped. */
    static String normalise(String s) {
        return NON_WORD.matcher(s.toLowerCase(Locale.ROOT)).replaceAll(" ").strip();
    }

    /** The report's sentences in order (empty pieces dropped, as MAKE's splitter), each tagged with the nodes it names. */
    public List<Sentence> split(String report) {
        List<Sentence> out = new ArrayList<>();
        if (report == null) return out;
        List<int[]> spans = new ArrayList<>();
        List<List<String[]>> found = new ArrayList<>();
        boolean strong = false;
        Matcher m = PIECE.matcher(report);
        while (m.find()) {
            int s = m.start();
            int e = m.end();
            while (s < e && Character.isWhitespace(report.charAt(s))) s++;
            while (e > s && Character.isWhitespace(report.charAt(e - 1))) e--;
            if (s == e) continue;
            List<String[]> f = find(report.substring(s, e));
            for (String[] x : f) strong |= !weak.contains(x[0]);
            spans.add(new int[] {s, e});
            found.add(f);
        }
        for (int i = 0; i < spans.size(); i++) {
            List<String> nodes = new ArrayList<>();
            for (String[] x : found.get(i)) if ((!strong || !weak.contains(x[0])) && !nodes.contains(x[1])) nodes.add(x[1]);
            out.add(new Sentence(report.substring(spans.get(i)[0], spans.get(i)[1]), spans.get(i)[0], spans.get(i)[1], nodes));
        }
        return out;
    }

    /** The ontology nodes a text names, in order of mention (longest match first at each word; each node once; weak mentions too). */
    public List<String> mentions(String text) {
        List<String> nodes = new ArrayList<>();
        for (String[] x : find(text)) if (!nodes.contains(x[1])) nodes.add(x[1]);
        return nodes;
    }

    /** {matched synonym, node} for each positive mention, in order. */
    private List<String[]> find(String text) {
        String[] w = normalise(text).split(" ");
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < w.length; ) {
            int taken = 0;
            for (int n = Math.min(maxWords, w.length - i); n >= 1 && taken == 0; n--) {
                String term = String.join(" ", java.util.Arrays.asList(w).subList(i, i + n));
                String node = terms.get(term);
                if (node != null) {
                    if (!org.makekit.knowledge.Negation.negated(w, i)) out.add(new String[] {term, node});
                    taken = n;
                }
            }
            i += Math.max(1, taken);
        }
        return out;
    }

    /**
     * The report with some sentences replaced (by index into {@code sentences}, which must be this
     * report's {@link #split}); everything between sentences (delimiters, spaces) is kept, so the
     * sentence count and order do not change as long as the new sentences hold no '.', '!' or '?'.
     */
    public static String replace(String report, List<Sentence> sentences, Map<Integer, String> replacements) {
        StringBuilder sb = new StringBuilder();
        int at = 0;
        for (int i = 0; i < sentences.size(); i++) {
            String r = replacements.get(i);
            if (r == null) continue;
            Sentence s = sentences.get(i);
            sb.append(report, at, s.start()).append(r);
            at = s.end();
        }
        return sb.append(report.substring(at)).toString();
    }
}
