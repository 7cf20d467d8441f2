package org.makekit.knowledge;

import java.util.Locale;
import java.util.Set;

/**
 * A simple NegEx-style rule for positive mentions: a term is negated when a negation word ("no",
 * "not", "without", "negative", "free", "excludes", "excluded") is among the four words before it in
 * its sentence, with no scope end ("but", "however", "although", "though", "except", "aside", "yet")
 * in between. "No pneumothorax or pleural effusion" negates both; "no effusion but cardiomegaly"
 * does not negate cardiomegaly. Not a full clinical labeller (no uncertainty, no post-negation).
 */
public final class Negation {
    private Negation() {}

    public static final Set<String> NEGATIONS = Set.of("no", "not", "without", "negative", "free", "excludes", "excluded");
    public static final Set<String> SCOPE_ENDS = Set.of("but", "however", "although", "though", "except", "aside", "yet");

    /** Whether the term starting at word {@code at} of {@code words} (lower case, one sentence) is negated. */
    public static boolean negated(String[] words, int at) {
        for (int k = at - 1; k >= Math.max(0, at - 4); k--) {
            if (SCOPE_ENDS.contains(words[k])) return false;
            if (NEGATIONS.contains(words[k])) return true;
        }
        return false;
    }

    /** Whether a term starting at character {@code at} of {@code text} is negated (its sentence's words before it). */
    public static boolean negatedAt(String text, int at) {
        String before = text.substring(0, at);
        int cut = Math.max(Math.max(before.lastIndexOf('.'), before.lastIndexOf('!')), before.lastIndexOf('?'));
        String[] w = before.substring(cut + 1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{Nd}]+", " ").strip().split(" ");
        if (w.length == 1 && w[0].isEmpty()) return false;
        return negated(w, w.length);
    }
}
