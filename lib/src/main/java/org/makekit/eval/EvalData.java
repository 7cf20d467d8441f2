package org.makekit.eval;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.util.KitException;

/** Evaluation rows from a training table, or from any CSV with an image column and label/caption columns. */
public final class EvalData {
    private EvalData() {}

    public static List<TrainingRow> read(Path csv, String split, String imageColumn, String labelColumn,
                                         String captionColumn) {
        String header;
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
            header = r.readLine();
        } catch (IOException e) {
            throw new KitException("cannot read " + csv, e);
        }
        if (header == null) throw new KitException(csv + " is empty");
        List<TrainingRow> rows;
        if (header.contains("sub_caption_mask")) {
            rows = TrainingTable.read(csv);
        } else {
            rows = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
                 CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
                var h = p.getHeaderMap();
                if (!h.containsKey(imageColumn)) throw new KitException(csv + ": no image column '" + imageColumn + "' (columns " + h.keySet() + ")");
                for (CSVRecord rec : p) {
                    String cap = h.containsKey(captionColumn) ? rec.get(captionColumn) : "";
                    String label = h.containsKey(labelColumn) ? rec.get(labelColumn) : "";
                    String sp = h.containsKey("split") ? rec.get("split") : "";
                    List<String> subs = new ArrayList<>();
                    for (int i = 0; i < TrainingTable.K; i++) subs.add("");
                    rows.add(new TrainingRow(rec.get(imageColumn), cap, cap, "", "", subs, new boolean[TrainingTable.K],
                            new boolean[] {!cap.isEmpty(), false, false}, "", "", label, sp));
                }
            } catch (IOException e) {
                throw new KitException("cannot read " + csv, e);
            }
        }
        if (split != null && !split.isEmpty() && rows.stream().anyMatch(x -> !x.split().isEmpty())) {
            rows = rows.stream().filter(x -> x.split().equals(split)).toList();
        }
        if (rows.isEmpty()) throw new KitException(csv + ": no rows to evaluate" + (split != null ? " in split '" + split + "'" : ""));
        return rows;
    }
}
