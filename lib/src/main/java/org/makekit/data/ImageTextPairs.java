package org.makekit.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.makekit.util.KitException;

/**
 * Reads raw image-caption pairs from a CSV (the input of knowledge augmentation). Rows that cannot
 * be used safely are skipped, each with a message naming the file, line and field; the caller
 * reports the count. Problems that make the whole file unusable (missing, no such column) throw.
 */
public final class ImageTextPairs {
    private ImageTextPairs() {}

    /** One usable pair: the image path as written, its resolved file, caption, label and split. */
    public record Pair(String image, Path file, String caption, String label, String split, int line) {}

    /** Column names to read; label and split are optional (null). */
    public record Columns(String image, String caption, String label, String split) {
        public static Columns defaults() {
            return new Columns("image", "caption", "label", "split");
        }
    }

    /** Pairs read, and one message per skipped row or warning. */
    public record Result(List<Pair> pairs, List<String> skipped, List<String> warnings) {}

    /**
     * @param imageRoot   folder that image paths are relative to (the CSV's folder when null)
     * @param labels      allowed labels (null: any)
     * @param checkImages decode every image (catches truncated and corrupt files)
     */
    public static Result read(Path csv, Columns cols, Path imageRoot, Set<String> labels, boolean checkImages) {
        return read(csv, cols, imageRoot, labels, checkImages, false);
    }

    /** As {@link #read(Path, Columns, Path, Set, boolean)}, with a progress bar over the rows when asked. */
    public static Result read(Path csv, Columns cols, Path imageRoot, Set<String> labels, boolean checkImages,
                              boolean showProgress) {
        long approxRows = 0;
        if (showProgress) {
            try (java.util.stream.Stream<String> lines = Files.lines(csv, StandardCharsets.ISO_8859_1)) {
                approxRows = Math.max(1, lines.count() - 1);
            } catch (IOException | java.io.UncheckedIOException e) {
                approxRows = 1;
            }
        }
        org.makekit.util.Progress progress = showProgress
                ? new org.makekit.util.Progress(checkImages ? "read + check" : "read rows", approxRows, "rows") : null;
        try {
            return readRows(csv, cols, imageRoot, labels, checkImages, progress);
        } finally {
            if (progress != null) progress.close();
        }
    }

    private static Result readRows(Path csv, Columns cols, Path imageRoot, Set<String> labels, boolean checkImages,
                                   org.makekit.util.Progress progress) {
        Path root = imageRoot != null ? imageRoot : csv.toAbsolutePath().getParent();
        List<Pair> pairs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        // Decode leniently so one bad row does not stop the file; U+FFFD then marks the bad bytes.
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(csv),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)));
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            Map<String, Integer> header = p.getHeaderMap();
            for (String c : new String[] {cols.image(), cols.caption()}) {
                if (!header.containsKey(c)) {
                    throw new KitException(csv + ": no column '" + c + "' (columns: " + header.keySet() + ")");
                }
            }
            boolean hasLabel = cols.label() != null && header.containsKey(cols.label());
            boolean hasSplit = cols.split() != null && header.containsKey(cols.split());
            long prevLine = 1;
            for (CSVRecord rec : p) {
                if (progress != null) progress.step(1);
                long line = prevLine + 1; // the record's first line
                prevLine = p.getCurrentLineNumber();
                String at = csv + ", line " + line;
                if (rec.size() != header.size()) {
                    skipped.add(at + ": " + rec.size() + " fields, the header has " + header.size() + " (row skipped)");
                    continue;
                }
                String bad = null;
                for (Map.Entry<String, Integer> h : header.entrySet()) {
                    if (rec.get(h.getValue()).indexOf('\uFFFD') >= 0) {
                        bad = h.getKey();
                        break;
                    }
                }
                if (bad != null) {
                    skipped.add(at + ", field '" + bad + "': bytes that are not valid UTF-8 (row skipped)");
                    continue;
                }
                String image = rec.get(cols.image()).strip();
                String caption = rec.get(cols.caption()).strip();
                String label = hasLabel ? rec.get(cols.label()).strip() : "";
                String split = hasSplit ? rec.get(cols.split()).strip() : "";
                if (caption.isEmpty()) {
                    skipped.add(at + ", field '" + cols.caption() + "': empty caption (row skipped)");
                    continue;
                }
                if (labels != null && hasLabel && !labels.contains(label)) {
                    skipped.add(at + ", field '" + cols.label() + "': unknown label '" + label + "' (row skipped)");
                    continue;
                }
                if (image.isEmpty()) {
                    skipped.add(at + ", field '" + cols.image() + "': empty image path (row skipped)");
                    continue;
                }
                Path file = root.resolve(image);
                try {
                    if (!Files.exists(file)) {
                        skipped.add(at + ", field '" + cols.image() + "': image file not found: " + file + " (row skipped)");
                        continue;
                    }
                    if (checkImages) Images.read(file);
                } catch (KitException e) {
                    skipped.add(at + ", field '" + cols.image() + "': " + e.getMessage() + " (row skipped)");
                    continue;
                }
                if (caption.length() > 20_000) {
                    warnings.add(at + ", field '" + cols.caption() + "': caption of " + caption.length()
                            + " characters; only its first sentences and first 77 tokens are used");
                }
                pairs.add(new Pair(image, file, caption, label, split, (int) line));
            }
        } catch (NoSuchFileException e) {
            throw new KitException("input table not found: " + csv);
        } catch (IOException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new KitException("cannot parse " + csv + " as CSV", e);
        }
        return new Result(pairs, skipped, warnings);
    }
}
