package org.makekit.knowledge;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.util.KitException;

/** Concepts and their synonym terms ({concept: [term, ...]}), Derm1M's ConceptTerms.json by default. */
public final class ConceptLexicon {
    private final Map<String, List<String>> terms;

    private ConceptLexicon(Map<String, List<String>> terms) {
        this.terms = terms;
    }

    public static ConceptLexicon builtin() {
        try (InputStream in = ConceptLexicon.class.getResourceAsStream("concept-terms.json")) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in concept terms");
        } catch (IOException e) {
            throw new KitException("cannot read the built-in concept terms", e);
        }
    }

    public static ConceptLexicon load(Path file) {
        try {
            return parse(Files.readString(file), "concept file " + file);
        } catch (NoSuchFileException e) {
            throw new KitException("concept file not found: " + file);
        } catch (IOException e) {
            throw new KitException("cannot read concept file " + file, e);
        }
    }

    static ConceptLexicon parse(String json, String where) {
        JsonObject o;
        try {
            o = org.makekit.util.Json.parse(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new KitException(where + ": expected a JSON object {concept: [terms]}", e);
        }
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (!e.getValue().isJsonArray()) throw new KitException(where + ": concept '" + e.getKey() + "' needs a list of terms");
            List<String> t = new ArrayList<>();
            for (JsonElement x : e.getValue().getAsJsonArray()) t.add(x.getAsString().strip().toLowerCase(Locale.ROOT));
            m.put(e.getKey(), t);
        }
        return new ConceptLexicon(m);
    }

    public Map<String, List<String>> terms() {
        return terms;
    }

    public List<String> concepts() {
        return new ArrayList<>(terms.keySet());
    }
}
