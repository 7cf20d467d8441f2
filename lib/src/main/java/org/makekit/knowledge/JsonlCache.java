package org.makekit.knowledge;

import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.makekit.util.KitException;

/**
 * An append-only JSONL cache of answers keyed by content hash: each answer is written and flushed
 * as one line the moment it arrives, so a run killed at any point loses at most the line being
 * written; a torn last line is ignored on reload and the question is asked again.
 */
public final class JsonlCache implements AutoCloseable {
    private final Path file;
    private final ConcurrentHashMap<String, String> entries = new ConcurrentHashMap<>();
    private final BufferedWriter out;
    private final FileOutputStream fos;
    private int ignoredLines;

    public JsonlCache(Path file) {
        this.file = file;
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            boolean endsClean = true;
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (String line : lines) {
                    if (line.isBlank()) continue;
                    try {
                        JsonObject o = org.makekit.util.Json.parse(line).getAsJsonObject();
                        entries.put(o.get("key").getAsString(), o.get("answer").getAsString());
                    } catch (RuntimeException e) {
                        ignoredLines++; // a line cut by a kill: its question is asked again
                    }
                }
                byte[] all = Files.readAllBytes(file);
                endsClean = all.length == 0 || all[all.length - 1] == '\n';
            }
            fos = new FileOutputStream(file.toFile(), true);
            out = new BufferedWriter(new OutputStreamWriter(fos, StandardCharsets.UTF_8));
            if (!endsClean) {
                out.write('\n'); // start new entries on a fresh line after a torn one
                out.flush();
            }
        } catch (IOException e) {
            throw new KitException("cannot open cache " + file, e);
        }
    }

    public String get(String key) {
        return entries.get(key);
    }

    public int size() {
        return entries.size();
    }

    public int ignoredLines() {
        return ignoredLines;
    }

    public Path file() {
        return file;
    }

    public synchronized void put(String key, String kind, String answer) {
        JsonObject o = new JsonObject();
        o.addProperty("key", key);
        o.addProperty("kind", kind);
        o.addProperty("answer", answer);
        try {
            out.write(o.toString());
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new KitException("cannot append to cache " + file, e);
        }
        entries.put(key, answer);
    }

    @Override
    public synchronized void close() {
        try {
            out.flush();
            fos.getFD().sync();
            out.close();
        } catch (IOException e) {
            throw new KitException("cannot close cache " + file, e);
        }
    }
}
