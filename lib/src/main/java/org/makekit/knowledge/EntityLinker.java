package org.makekit.knowledge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.makekit.text.Tokenizer;

/**
 * ARL's entity linking in the kit (scispaCy and UMLS replaced by the ontology): each name of the
 * knowledge graph is tokenised with the model's tokenizer (on its own and after another word, lower
 * case and capitalised, so GPT-2's space-led tokens match as well as CLIP's word-local BPE), and a
 * text's ids are scanned left to right for the longest name at each position; matches do not overlap.
 */
public final class EntityLinker {
    /** A linked entity and its token positions [start, end) in the framed id row. */
    public record Mention(int entity, int start, int end) {}

    private static final class Node {
        final Map<Long, Node> next = new HashMap<>();
        int entity = -1;
    }

    private final Node root = new Node();
    private final Tokenizer tokenizer;

    public EntityLinker(KnowledgeGraph graph, Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        for (Map.Entry<String, Integer> e : graph.names().entrySet()) {
            String n = e.getKey();
            String cap = Character.toUpperCase(n.charAt(0)) + n.substring(1);
            for (String form : List.of(n, cap)) {
                add(tokenizer.bpe(form), e.getValue());
                add(afterAWord(form), e.getValue());
            }
        }
    }

    /** The ids of a name as it reads after another word ("a " + name, the ids of "a" dropped): GPT-2's space-led tokens. */
    private int[] afterAWord(String form) {
        int[] lead = tokenizer.bpe("a");
        int[] all = tokenizer.bpe("a " + form);
        if (all.length <= lead.length || !java.util.Arrays.equals(java.util.Arrays.copyOf(all, lead.length), lead)) return new int[0];
        return java.util.Arrays.copyOfRange(all, lead.length, all.length);
    }

    private void add(int[] ids, int entity) {
        if (ids.length == 0) return;
        Node at = root;
        for (int id : ids) at = at.next.computeIfAbsent((long) id, k -> new Node());
        if (at.entity < 0) at.entity = entity;
    }

    /** Mentions in a framed id row (SOT, BPE ids, EOT, padding), left to right. */
    public List<Mention> link(long[] ids) {
        List<Mention> out = new ArrayList<>();
        int end = ids.length;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == tokenizer.eotId()) {
                end = i;
                break;
            }
        }
        int i = ids.length > 0 && ids[0] == tokenizer.sotId() ? 1 : 0;
        while (i < end) {
            Node at = root;
            int best = -1;
            int bestEnd = -1;
            for (int j = i; j < end; j++) {
                at = at.next.get(ids[j]);
                if (at == null) break;
                if (at.entity >= 0 && wholeWords(ids, i, j + 1, end)) {
                    best = at.entity;
                    bestEnd = j + 1;
                }
            }
            if (best >= 0) {
                out.add(new Mention(best, i, bestEnd));
                i = bestEnd;
            } else {
                i++;
            }
        }
        return out;
    }

    /**
     * Whether tokens [from, to) cover whole words: the text does not run on from the token before into the first
     * one, nor from the last into the token after (GPT-2's BPE is not word-local: " scar" + "ring" is "scarring").
     */
    private boolean wholeWords(long[] ids, int from, int to, int end) {
        String span = text(ids, from, to);
        if (span.isEmpty()) return false;
        if (to < end) {
            String more = text(ids, from, to + 1);
            if (more.length() > span.length() && Character.isLetterOrDigit(more.charAt(span.length()))
                    && Character.isLetterOrDigit(span.charAt(span.length() - 1))) {
                return false;
            }
        }
        boolean first = from == 0 || ids[from - 1] == tokenizer.sotId();
        if (!first) {
            String before = text(ids, from - 1, from);
            String both = text(ids, from - 1, to);
            int at = both.length() - span.length();
            if (at > 0 && before.length() > 0 && Character.isLetterOrDigit(both.charAt(at - 1)) && Character.isLetterOrDigit(span.charAt(0))) {
                return false;
            }
        }
        return true;
    }

    private String text(long[] ids, int from, int to) {
        return tokenizer.decode(java.util.Arrays.copyOfRange(ids, from, to));
    }

    /** Mentions of a text, on the ids the model reads. */
    public List<Mention> link(String text) {
        return link(tokenizer.encode(text));
    }
}
