package org.makekit.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.makekit.util.Json;

/** Every alias in jbang-catalog.json names a script that compiles and answers --help. */
class CatalogHelpTest {
    @Test
    void everyCatalogScriptAnswersHelp() throws Exception {
        JsonObject aliases = Json.parse(Files.readString(Run.root().resolve("jbang-catalog.json"))).getAsJsonObject()
                .getAsJsonObject("aliases");
        assertTrue(aliases.size() >= 10, "catalog: " + aliases.keySet());
        List<String> failures = new ArrayList<>();
        for (String name : aliases.keySet()) {
            String ref = aliases.getAsJsonObject(name).get("script-ref").getAsString();
            // Scripts live in scripts/NAME.java; the benchmark is bench/main.java (so that `jbang bench` in the
            // repository root finds it although bench/ is a folder).
            assertEquals(name.equals("bench") ? "bench/main.java" : "scripts/" + name + ".java", ref, "alias and file name agree");
            Run r = Run.script(ref, 300, "--help");
            if (r.exit != 0 || !r.out.contains("Usage: " + name)) failures.add(name + " (exit " + r.exit + "):\n" + r.out);
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }
}
