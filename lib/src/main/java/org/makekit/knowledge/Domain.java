package org.makekit.knowledge;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.makekit.util.KitException;

/**
 * A medical domain as the kit needs it: the disease ontology, the concept (findings) lexicon, the
 * openings of the knowledge texts, the zero-shot class names and prompts. Dermatology is built in;
 * another domain is a folder with {@code ontology.json}, {@code concept-terms.json} and
 * {@code classes.json} ({"classnames": [...], "prompts": ["... {} ..."], "disease_prefix": "...",
 * "concept_prefix": "..."}), as SynthCXR writes them; replace them with yours.
 *
 * @param ontologyFile the ontology's file (null: the built-in Derm1M tree)
 * @param lexiconFile  the lexicon's file (null: the built-in one)
 * @param prompts      zero-shot templates with "{}" (null: MAKE's dermatology templates)
 */
public record Domain(String name, Ontology ontology, ConceptLexicon lexicon, Knowledge.Templates templates, List<String> classes,
                     List<String> prompts, Path ontologyFile, Path lexiconFile) {

    /** The built-in dermatology domain (Derm1M ontology and lexicon, MAKE's templates; classes from the data). */
    public static Domain dermatology() {
        return new Domain("dermatology", Ontology.builtin(), ConceptLexicon.builtin(), Knowledge.Templates.DERMATOLOGY, null, null,
                null, null);
    }

    /** A domain folder (see the class comment); each missing or malformed file is named. */
    public static Domain load(Path dir) {
        Path cls = dir.resolve("classes.json");
        JsonObject o;
        try {
            o = org.makekit.util.Json.parse(Files.readString(cls)).getAsJsonObject();
        } catch (java.nio.file.NoSuchFileException e) {
            throw new KitException("domain folder " + dir + " has no classes.json (class names, prompts, knowledge-text openings)");
        } catch (IOException | RuntimeException e) {
            throw new KitException(cls + ": expected a JSON object with classnames, prompts, disease_prefix, concept_prefix", e);
        }
        List<String> classes = strings(o, "classnames", cls);
        List<String> prompts = strings(o, "prompts", cls);
        for (String p : prompts) {
            if (!p.contains("{}") && !p.contains("{c}")) throw new KitException(cls + ": prompt '" + p + "' has no {} for the class name");
        }
        Knowledge.Templates t = new Knowledge.Templates(string(o, "disease_prefix", cls), string(o, "concept_prefix", cls));
        Path ont = dir.resolve("ontology.json");
        Path lex = dir.resolve("concept-terms.json");
        String name = o.has("name") ? o.get("name").getAsString() : dir.getFileName().toString();
        return new Domain(name, Ontology.load(ont), ConceptLexicon.load(lex), t, classes, prompts, ont, lex);
    }

    /** The knowledge extractor of this domain (ontology, lexicon and the domain's wording). */
    public OntologyExtractor extractor() {
        return new OntologyExtractor(ontology, lexicon, templates);
    }

    private static List<String> strings(JsonObject o, String key, Path where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() == 0) { // (not isEmpty: IJava ships an older Gson)
            throw new KitException(where + ": '" + key + "' must be a non-empty list of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonElement x : e.getAsJsonArray()) out.add(x.getAsString());
        return List.copyOf(out);
    }

    private static String string(JsonObject o, String key, Path where) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive()) throw new KitException(where + ": '" + key + "' must be a string");
        return e.getAsString();
    }
}
