package org.makekit.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's packages follow the data's journey and depend only on packages before them, so
 * there is no cycle: util, then model and text, data, knowledge, augment and loss (apart), train, eval, report,
 * experiments, and the benchmark last. Imports and fully qualified names both count.
 */
class LayersTest {
    /** Each package's layer; a package may use packages of lower layers only. */
    static final Map<String, Integer> LAYER = Map.ofEntries(
            Map.entry("util", 0), Map.entry("model", 1), Map.entry("text", 2), Map.entry("data", 3),
            Map.entry("knowledge", 4), Map.entry("augment", 5), Map.entry("loss", 5), Map.entry("train", 6), Map.entry("eval", 7),
            Map.entry("report", 8), Map.entry("experiments", 9), Map.entry("bench", 10));
    static final Pattern REF = Pattern.compile("\\borg\\.makekit\\.([a-z]+)\\.");

    @Test
    void packagesDependOnlyOnEarlierLayers() throws IOException {
        Path root = Path.of("src/main/java/org/makekit");
        List<String> back = new ArrayList<>();
        TreeSet<String> seen = new TreeSet<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String pkg = root.relativize(f).getName(0).toString();
                seen.add(pkg);
                back.addAll(backEdges(pkg, root.relativize(f).toString(), Files.readString(f)));
            }
        }
        assertEquals(new TreeSet<>(LAYER.keySet()), seen, "every package has a layer (add a new one to LAYER)");
        assertEquals(List.of(), back, "dependencies against the layer order");
    }

    @Test
    void aBackEdgeIsCaught() {
        String src = "package org.makekit.data;\nimport org.makekit.train.Method;\nclass X { Object o = org.makekit.knowledge.Ontology.class; }\n";
        List<String> back = backEdges("data", "data/X.java", src);
        assertEquals(2, back.size(), back.toString());
        assertTrue(back.get(0).contains("data -> train"), back.get(0));
        assertEquals(List.of(), backEdges("train", "train/Y.java", "import org.makekit.data.TrainingRow;\n"));
    }

    static List<String> backEdges(String pkg, String file, String src) {
        List<String> out = new ArrayList<>();
        Integer mine = LAYER.get(pkg);
        String[] lines = src.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher m = REF.matcher(lines[i]);
            while (m.find()) {
                String dep = m.group(1);
                if (dep.equals(pkg)) continue;
                Integer theirs = LAYER.get(dep);
                if (mine == null || theirs == null || theirs >= mine) {
                    out.add(file + ":" + (i + 1) + ": " + pkg + " -> " + dep);
                }
            }
        }
        return out;
    }
}
