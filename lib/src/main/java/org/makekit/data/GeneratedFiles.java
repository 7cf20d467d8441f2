package org.makekit.data;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.makekit.util.KitException;

/** The files every generated dataset writes (SynthDerm, SynthCXR): metadata.csv and concepts.csv. */
final class GeneratedFiles {
    private GeneratedFiles() {}

    /**
     * metadata.csv (image, caption, label, split, concepts ';'-joined) and concepts.csv (image, one 0/1
     * column per concept name).
     *
     * @param rows     image, caption, label, split of each sample
     * @param concepts each sample's concepts
     */
    static void write(Path dir, List<String[]> rows, List<List<String>> concepts, List<String> conceptNames) {
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("metadata.csv"), StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            p.printRecord("image", "caption", "label", "split", "concepts");
            for (int i = 0; i < rows.size(); i++) {
                String[] r = rows.get(i);
                p.printRecord(r[0], r[1], r[2], r[3], String.join(";", concepts.get(i)));
            }
        } catch (IOException e) {
            throw new KitException("cannot write " + dir.resolve("metadata.csv"), e);
        }
        try (BufferedWriter w = Files.newBufferedWriter(dir.resolve("concepts.csv"), StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            List<Object> h = new ArrayList<>(List.of("image"));
            h.addAll(conceptNames);
            p.printRecord(h);
            for (int i = 0; i < rows.size(); i++) {
                List<Object> r = new ArrayList<>(List.of(rows.get(i)[0]));
                for (String c : conceptNames) r.add(concepts.get(i).contains(c) ? 1 : 0);
                p.printRecord(r);
            }
        } catch (IOException e) {
            throw new KitException("cannot write " + dir.resolve("concepts.csv"), e);
        }
    }
}
