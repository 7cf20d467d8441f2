package org.makekit.knowledge;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.makekit.util.KitException;

/**
 * A disease ontology as a nested JSON tree ({node: {children}}, leaves {}), whose keys may list
 * comma-separated synonyms: the Derm1M tree by default, any domain's tree when given a file.
 * Paths follow the official rule (O-MAKE get_disease_path): depth-first search with a stack,
 * matching lower-cased synonyms; the caption joins the ancestors' full keys and the diagnosis.
 */
public final class Ontology {
    /** One node: its key as written, its synonyms (lower-cased), and the keys of its ancestors. */
    public record Node(String key, List<String> synonyms, List<String> ancestors) {}

    private final List<Node> dfsOrder;
    private final String source;

    private Ontology(List<Node> dfsOrder, String source) {
        this.dfsOrder = dfsOrder;
        this.source = source;
    }

    public static Ontology builtin() {
        try (InputStream in = Ontology.class.getResourceAsStream("derm1m-ontology-tree.json")) {
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in Derm1M ontology");
        } catch (IOException e) {
            throw new KitException("cannot read the built-in ontology", e);
        }
    }

    public static Ontology load(Path file) {
        try {
            return parse(Files.readString(file), "ontology file " + file);
        } catch (NoSuchFileException e) {
            throw new KitException("ontology file not found: " + file);
        } catch (IOException e) {
            throw new KitException("cannot read ontology file " + file, e);
        }
    }

    static Ontology parse(String json, String where) {
        JsonElement root;
        try {
            root = org.makekit.util.Json.parse(json);
        } catch (RuntimeException e) {
            throw new KitException(where + ": not valid JSON", e);
        }
        if (!root.isJsonObject()) throw new KitException(where + ": expected a JSON object of nodes");
        List<Node> order = new ArrayList<>();
        // The official search pops from a stack: children are pushed in order, so the last child is visited first.
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {root.getAsJsonObject(), List.<String>of()});
        // Emulate: stack = [(tree, [])]; while stack: node, path = stack.pop(); for k, v in node.items(): ... push
        while (!stack.isEmpty()) {
            Object[] top = stack.pop();
            JsonObject node = (JsonObject) top[0];
            @SuppressWarnings("unchecked")
            List<String> path = (List<String>) top[1];
            for (Map.Entry<String, JsonElement> e : node.entrySet()) {
                if (!e.getValue().isJsonObject()) {
                    throw new KitException(where + ": node '" + e.getKey() + "' must map to an object ({} for a leaf)");
                }
                List<String> syn = new ArrayList<>();
                for (String s : e.getKey().split(",")) syn.add(s.strip().toLowerCase(Locale.ROOT));
                order.add(new Node(e.getKey(), syn, path));
                List<String> childPath = new ArrayList<>(path);
                childPath.add(e.getKey());
                stack.push(new Object[] {e.getValue().getAsJsonObject(), childPath});
            }
        }
        return new Ontology(order, where);
    }

    public String source() {
        return source;
    }

    public List<Node> nodes() {
        return dfsOrder;
    }

    /** The first node (in the official search order) having this diagnosis as a synonym, or null. */
    public Node find(String diagnosis) {
        String d = diagnosis.strip().toLowerCase(Locale.ROOT);
        if (d.isEmpty()) return null;
        for (Node n : dfsOrder) if (n.synonyms().contains(d)) return n;
        return null;
    }

    /** The node's path of keys from its root: its ancestors, then itself. */
    public static List<String> path(Node n) {
        List<String> p = new ArrayList<>(n.ancestors());
        p.add(n.key());
        return p;
    }

    /** The node at a path of keys, or null. */
    public Node at(List<String> path) {
        for (Node n : dfsOrder) if (path(n).equals(path)) return n;
        return null;
    }

    /** The index (in {@link #nodes()}) of the diagnosis's node, or -1 when the tree does not know it. */
    public int indexOf(String diagnosis) {
        Node n = diagnosis == null ? null : find(diagnosis);
        return n == null ? -1 : dfsOrder.indexOf(n);
    }

    /**
     * Wu-Palmer similarity of two nodes, as O-MAKE's disease matrix: 2 depth(lca) / (depth a + depth b),
     * roots at depth 1, 0 for nodes under different roots. Inner nodes count for depth whether or not
     * any data is labelled with them.
     */
    public static double wuPalmer(Node a, Node b) {
        List<String> pa = path(a);
        List<String> pb = path(b);
        int common = 0;
        while (common < Math.min(pa.size(), pb.size()) && pa.get(common).equals(pb.get(common))) common++;
        return 2.0 * common / (pa.size() + pb.size());
    }

    /** Wu-Palmer similarity of nodes i and j of {@link #nodes()}; -1 (no label) gives 0. */
    public double wuPalmer(int i, int j) {
        return i < 0 || j < 0 ? 0.0 : wuPalmer(dfsOrder.get(i), dfsOrder.get(j));
    }

    /** "This is a skin photo diagnosed as {ancestor keys..., diagnosis}." (the diagnosis alone if not in the tree). */
    public String caption(String diagnosis) {
        return caption(diagnosis, Knowledge.DISEASE_PREFIX);
    }

    /** The disease-aspect text with another domain's opening, e.g. "This chest radiograph shows ". */
    public String caption(String diagnosis, String prefix) {
        Node n = find(diagnosis);
        List<String> parts = new ArrayList<>();
        if (n != null) parts.addAll(n.ancestors());
        parts.add(diagnosis);
        return prefix + String.join(", ", parts) + ".";
    }

    /** Every non-empty synonym with its node, for text matching. */
    public List<String[]> synonymTerms() {
        List<String[]> out = new ArrayList<>();
        for (Node n : dfsOrder) {
            for (String s : n.synonyms()) if (s.length() >= 3) out.add(new String[] {s, n.key()});
        }
        return out;
    }
}
