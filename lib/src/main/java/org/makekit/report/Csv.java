package org.makekit.report;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.makekit.util.KitException;

/** RFC 4180 CSV writing (quoting fields with commas, quotes or newlines). */
public final class Csv {
    private Csv() {}

    public static String quote(String s) {
        if (s == null) return "";
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** Writes rows of (key, vector): header key,e0..e{d-1}. */
    public static void writeVectors(Path file, String keyName, List<String> keys, float[][] vectors) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                int d = vectors.length > 0 ? vectors[0].length : 0;
                StringBuilder h = new StringBuilder(keyName);
                for (int i = 0; i < d; i++) h.append(",e").append(i);
                w.write(h.append('\n').toString());
                for (int r = 0; r < keys.size(); r++) {
                    StringBuilder sb = new StringBuilder(quote(keys.get(r)));
                    for (float v : vectors[r]) sb.append(',').append(String.format(Locale.ROOT, "%.8g", v));
                    w.write(sb.append('\n').toString());
                }
            }
        } catch (IOException e) {
            throw new KitException("cannot write " + file, e);
        }
    }
}
