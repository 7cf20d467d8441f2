package org.makekit.knowledge;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.makekit.data.ImageTextPairs;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.text.ClipBpeTokenizer;
import org.makekit.text.SentenceSplitter;
import org.makekit.text.TextCleaner;
import org.makekit.text.Tokenizer;

/**
 * Knowledge augmentation (paper section 2.1): each raw caption becomes MAKE's multi-aspect texts,
 * i.e. the caption cut to 77 tokens, a disease-aspect text and a concept-aspect text from a
 * knowledge extractor, and up to K sub-sentences, with their masks.
 */
public final class Augmenter {
    private final KnowledgeExtractor extractor;
    private final Tokenizer tokenizer;

    public Augmenter(KnowledgeExtractor extractor) {
        this(extractor, ClipBpeTokenizer.builtin(77));
    }

    public Augmenter(KnowledgeExtractor extractor, Tokenizer tokenizer) {
        this.extractor = extractor;
        this.tokenizer = tokenizer;
    }

    /** Counts for the run's summary. */
    public record Summary(int rows, int withDiagnosis, int withConcepts, double meanSubtexts, int truncated, int skipped) {
        public String describe() {
            return String.format(Locale.ROOT, "%d rows: %.1f%% with a diagnosis, %.1f%% with concepts, %.2f sub-sentences "
                    + "on average, %.1f%% of captions longer than 77 tokens; %d input rows skipped", rows,
                    pct(withDiagnosis), pct(withConcepts), meanSubtexts, pct(truncated), skipped);
        }

        private double pct(int n) {
            return rows == 0 ? 0 : 100.0 * n / rows;
        }
    }

    public record Output(List<TrainingRow> rows, Summary summary) {}

    public Output augment(List<ImageTextPairs.Pair> pairs, int skipped) {
        return augment(pairs, skipped, false);
    }

    /** As {@link #augment(List, int)}, with a progress bar over the rows when asked. */
    public Output augment(List<ImageTextPairs.Pair> pairs, int skipped, boolean showProgress) {
        List<String> captions = new ArrayList<>(pairs.size());
        for (ImageTextPairs.Pair p : pairs) captions.add(p.caption());
        List<Knowledge> know = extractor.extract(captions);
        List<TrainingRow> rows = new ArrayList<>(pairs.size());
        int dx = 0;
        int co = 0;
        int trunc = 0;
        long subs = 0;
        org.makekit.util.Progress progress = showProgress
                ? new org.makekit.util.Progress("augment", pairs.size(), "rows") : null;
        for (int i = 0; i < pairs.size(); i++) {
            if (progress != null) progress.step(1);
            ImageTextPairs.Pair p = pairs.get(i);
            Knowledge k = know.get(i);
            SentenceSplitter.Split split = SentenceSplitter.split(p.caption(), TrainingTable.K);
            String truncated = truncate(p.caption());
            if (!truncated.equals(TextCleaner.collapseWhitespace(p.caption()))) trunc++;
            boolean[] km = {true, k.hasDiagnosis(), k.hasConcepts()};
            if (k.hasDiagnosis()) dx++;
            if (k.hasConcepts()) co++;
            subs += split.count();
            rows.add(new TrainingRow(p.image(), p.caption(), truncated, k.hasDiagnosis() ? k.diseaseCaption() : "",
                    k.hasConcepts() ? k.conceptCaption() : "", split.sentences(), split.mask(), km,
                    k.hasDiagnosis() ? k.diagnosis() : "", k.hasConcepts() ? String.join(", ", k.concepts()) : "",
                    p.label(), p.split()));
        }
        if (progress != null) progress.close();
        Summary s = new Summary(rows.size(), dx, co, rows.isEmpty() ? 0 : (double) subs / rows.size(), trunc, skipped);
        return new Output(rows, s);
    }

    /** The longest word prefix of the caption whose BPE fits the context (75 tokens between SOT and EOT). */
    public String truncate(String caption) {
        String c = TextCleaner.collapseWhitespace(caption);
        int budget = tokenizer.contextLength() - 2;
        if (tokenizer.countTokens(c) <= budget) return c;
        String[] words = c.split(" ");
        int lo = 0;
        int hi = words.length;
        while (lo < hi) { // largest n with tokens(first n words) <= budget
            int mid = (lo + hi + 1) / 2;
            if (tokenizer.countTokens(String.join(" ", java.util.Arrays.copyOf(words, mid))) <= budget) lo = mid;
            else hi = mid - 1;
        }
        return String.join(" ", java.util.Arrays.copyOf(words, lo));
    }
}
