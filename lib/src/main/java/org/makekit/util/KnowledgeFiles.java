package org.makekit.util;

import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;



/** The knowledge files shipped with the kit (org/makekit/knowledge/*.json), parsed once. */
public final class KnowledgeFiles {
    private KnowledgeFiles() {}

    private static final Map<String, JsonObject> CACHE = new ConcurrentHashMap<>();

    /** A shipped JSON file by name, e.g. "zero-shot.json". Callers must not modify the result. */
    public static JsonObject json(String file) {
        return CACHE.computeIfAbsent(file, f -> {
            try (InputStream in = KnowledgeFiles.class.getResourceAsStream("/org/makekit/knowledge/" + f)) {
                if (in == null) throw new KitException("built-in knowledge file missing from the jar: " + f);
                return Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
            } catch (IOException e) {
                throw new KitException("cannot read built-in knowledge file " + f, e);
            }
        });
    }
}
