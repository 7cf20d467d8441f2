package org.makekit.knowledge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.Golden;

/** Wu-Palmer similarity on the ontology tree against O-MAKE's released matrix, on the indices whose node is known. */
class OntologySimilarityTest {
    @Test
    void wuPalmerEqualsTheOfficialMatrixOnEveryNamedPair() {
        JsonObject g = Golden.json(Golden.dir("omake-loss").resolve("ontology_similarity.json")).getAsJsonObject();
        JsonArray matrix = g.getAsJsonArray("matrix");
        JsonObject inferred = g.getAsJsonObject("inferred");
        Ontology o = Ontology.builtin();
        List<Integer> idx = new ArrayList<>();
        List<Ontology.Node> nodes = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : inferred.getAsJsonObject("named_indices").entrySet()) {
            List<String> path = new ArrayList<>();
            for (JsonElement k : e.getValue().getAsJsonArray()) path.add(k.getAsString());
            Ontology.Node n = o.at(path);
            assertNotNull(n, "the tree has " + path);
            int i = Integer.parseInt(e.getKey());
            assertEquals(inferred.getAsJsonArray("depth_by_index").get(i).getAsInt(), Ontology.path(n).size(), "depth of " + path);
            assertEquals(inferred.getAsJsonArray("root_by_index").get(i).getAsString(), path.get(0), "root of " + path);
            idx.add(i);
            nodes.add(n);
        }
        assertEquals(31, idx.size());
        int checked = 0;
        for (int a = 0; a < idx.size(); a++) {
            for (int b = 0; b < idx.size(); b++) {
                double want = matrix.get(idx.get(a)).getAsJsonArray().get(idx.get(b)).getAsDouble();
                assertEquals(want, Ontology.wuPalmer(nodes.get(a), nodes.get(b)), 1e-15, Ontology.path(nodes.get(a)) + " vs " + Ontology.path(nodes.get(b)));
                checked++;
            }
        }
        assertEquals(961, checked);
        // The README's verified entries by name: Keratosis pilaris (2) and its child (3): 2*2/5.
        Ontology.Node kp = o.find("keratosis pilaris");
        assertEquals(0.8, Ontology.wuPalmer(kp, o.at(List.of("hereditary", kp.key(), "Keratosis pilaris rubra faciei"))), 1e-15);
        assertEquals(0.0, o.wuPalmer(o.indexOf("psoriasis"), -1), "no label: 0");
        assertEquals(-1, o.indexOf("not a disease at all"));
    }

    @Test
    void anyDomainsTreeGetsItsSimilarity(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("cxr.json");
        Files.writeString(f, "{\"lung\": {\"opacity\": {\"pneumonia\": {}, \"atelectasis\": {}}, \"pneumothorax\": {}}, \"heart\": {\"cardiomegaly\": {}}}");
        Ontology o = Ontology.load(f);
        // pneumonia (3) and atelectasis (3) share opacity (2): 4/6; pneumonia and pneumothorax (2) share lung (1): 2/5.
        assertEquals(4.0 / 6, o.wuPalmer(o.indexOf("pneumonia"), o.indexOf("atelectasis")), 1e-15);
        assertEquals(2.0 / 5, o.wuPalmer(o.indexOf("pneumonia"), o.indexOf("pneumothorax")), 1e-15);
        assertEquals(0.0, o.wuPalmer(o.indexOf("pneumonia"), o.indexOf("cardiomegaly")), "other root");
        assertEquals(1.0, o.wuPalmer(o.indexOf("cardiomegaly"), o.indexOf("cardiomegaly")));
    }
}
