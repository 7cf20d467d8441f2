package org.makekit.data;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.makekit.util.AtomicFiles;
import org.makekit.util.KitException;

/**
 * MAKE's training table, in the official CSV columns ({@code filename, caption, truncated_caption,
 * ontology_caption, visual_concept_caption, subcaption_1..8, sub_caption_mask, knowledge_masks},
 * plus {@code standardized_disease, skin_concept_standarized, label, split}), so a table from the
 * kit reads in the official code and Derm1M as released reads here.
 */
public final class TrainingTable {
    public static final int K = 8;
    public static final List<String> REQUIRED = List.of("filename", "ontology_caption", "visual_concept_caption",
            "sub_caption_mask", "knowledge_masks");

    private TrainingTable() {}

    public static List<String> header() {
        List<String> h = new ArrayList<>(List.of("filename", "caption", "truncated_caption", "ontology_caption",
                "visual_concept_caption"));
        for (int j = 1; j <= K; j++) h.add("subcaption_" + j);
        h.addAll(List.of("sub_caption_mask", "knowledge_masks", "standardized_disease", "skin_concept_standarized",
                "label", "split"));
        return h;
    }

    /** Python-list text of a mask, as the official CSVs store it: "[1, 1, 0]". */
    public static String maskString(boolean[] mask) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < mask.length; i++) sb.append(i > 0 ? ", " : "").append(mask[i] ? 1 : 0);
        return sb.append(']').toString();
    }

    static boolean[] parseMask(String s, int n, String where) {
        String body = s.strip();
        if (body.startsWith("[") && body.endsWith("]")) body = body.substring(1, body.length() - 1);
        String[] parts = body.isBlank() ? new String[0] : body.split(",");
        if (parts.length != n) throw new KitException(where + ": expected a list of " + n + " flags like [1, 0, ...], got '" + s + "'");
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) {
            String p = parts[i].strip();
            switch (p) {
                case "1", "1.0", "True", "true" -> m[i] = true;
                case "0", "0.0", "False", "false" -> m[i] = false;
                default -> throw new KitException(where + ": flag '" + p + "' is not 0 or 1");
            }
        }
        return m;
    }

    /** Reads a training table; every problem names the file, the line and the column. */
    public static List<TrainingRow> read(Path csv) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Files.newInputStream(csv),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)));
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            Map<String, Integer> cols = p.getHeaderMap();
            for (String c : REQUIRED) {
                if (!cols.containsKey(c)) throw new KitException("training table " + csv + ": missing column '" + c + "'");
            }
            if (!cols.containsKey("caption") && !cols.containsKey("truncated_caption")) {
                throw new KitException("training table " + csv + ": needs a 'caption' or 'truncated_caption' column");
            }
            List<TrainingRow> rows = new ArrayList<>();
            for (CSVRecord rec : p) {
                String where = "training table " + csv + ", line " + p.getCurrentLineNumber();
                if (rec.size() != cols.size()) {
                    throw new KitException(where + ": " + rec.size() + " fields, the header has " + cols.size());
                }
                List<String> subs = new ArrayList<>();
                for (int j = 1; j <= K; j++) subs.add(cleanNa(get(rec, cols, "subcaption_" + j)));
                boolean[] subMask = parseMask(rec.get("sub_caption_mask"), K, where + ", column sub_caption_mask");
                boolean[] kMask = parseMask(rec.get("knowledge_masks"), 3, where + ", column knowledge_masks");
                String caption = cleanNa(get(rec, cols, "caption"));
                String truncated = cleanNa(get(rec, cols, "truncated_caption"));
                String filename = rec.get("filename").strip();
                if (filename.isEmpty()) throw new KitException(where + ", column filename: empty");
                if (caption.isEmpty() && truncated.isEmpty()) throw new KitException(where + ", column caption: empty caption");
                rows.add(new TrainingRow(filename, caption, truncated, cleanNa(rec.get("ontology_caption")),
                        cleanNa(rec.get("visual_concept_caption")), subs, subMask, kMask,
                        cleanNa(get(rec, cols, "standardized_disease")), cleanNa(get(rec, cols, "skin_concept_standarized")),
                        cleanNa(get(rec, cols, "label")), cleanNa(get(rec, cols, "split"))));
            }
            return rows;
        } catch (NoSuchFileException e) {
            throw new KitException("training table not found: " + csv);
        } catch (CharacterCodingException e) {
            throw new KitException("training table " + csv + " is not valid UTF-8");
        } catch (java.io.UncheckedIOException e) {
            if (e.getCause() instanceof CharacterCodingException) {
                throw new KitException("training table " + csv + " is not valid UTF-8");
            }
            throw new KitException("cannot parse training table " + csv, e);
        } catch (IOException | IllegalStateException | IllegalArgumentException e) {
            throw new KitException("cannot parse training table " + csv, e);
        }
    }

    private static String get(CSVRecord rec, Map<String, Integer> cols, String name) {
        return cols.containsKey(name) ? rec.get(name) : "";
    }

    /** pandas writes missing text as NaN; the official loader turns it into "". */
    static String cleanNa(String s) {
        if (s == null) return "";
        String t = s.strip();
        return t.equals("nan") || t.equals("NaN") ? "" : t;
    }

    /** Writes the table atomically (temporary file, then rename). */
    public static void write(Path csv, List<TrainingRow> rows) {
        AtomicFiles.write(csv, out -> {
            BufferedWriter w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            CSVPrinter pr = new CSVPrinter(w, CSVFormat.DEFAULT);
            pr.printRecord(header());
            for (TrainingRow r : rows) {
                List<Object> f = new ArrayList<>(List.of(r.filename(), r.caption(), r.truncatedCaption(),
                        r.diseaseCaption(), r.conceptCaption()));
                for (int j = 0; j < K; j++) f.add(j < r.subcaptions().size() ? r.subcaptions().get(j) : "");
                f.addAll(Arrays.asList(maskString(r.subMask()), maskString(r.knowledgeMask()), r.diagnosis(),
                        r.concepts(), r.label(), r.split()));
                pr.printRecord(f);
            }
            pr.flush();
        });
    }
}
