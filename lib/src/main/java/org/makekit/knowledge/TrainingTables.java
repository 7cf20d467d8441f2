package org.makekit.knowledge;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.makekit.data.ImageTextPairs;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;

/**
 * The one pipeline from image-caption pairs to MAKE's training table: read the pairs CSV (the kit's
 * columns: image, caption, label, split), add disease and concept texts and sub-sentences with a
 * knowledge extractor, write the table. Scripts, tables, notebooks and the benchmark all call this.
 */
public final class TrainingTables {
    private TrainingTables() {}

    /** The pairs' training rows, augmented by {@code extractor} (the built-in ontology one when null). */
    public static List<TrainingRow> augment(Path pairsCsv, KnowledgeExtractor extractor) {
        var pairs = ImageTextPairs.read(pairsCsv, ImageTextPairs.Columns.defaults(), null, null, false);
        return new Augmenter(extractor != null ? extractor : OntologyExtractor.builtin()).augment(pairs.pairs(), 0).rows();
    }

    /** Writes the training table of {@code pairsCsv} to {@code table} unless it exists already; returns {@code table}. */
    public static Path fromPairs(Path pairsCsv, Path table, KnowledgeExtractor extractor) {
        if (!Files.exists(table)) TrainingTable.write(table, augment(pairsCsv, extractor));
        return table;
    }
}
