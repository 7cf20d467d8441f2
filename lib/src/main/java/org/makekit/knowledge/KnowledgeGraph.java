package org.makekit.knowledge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An ontology as a knowledge graph, standing in for ARL's UMLS (seed 002; ../shared/notes
 * related-methods.md section 2.9): the entities are the tree's nodes (in the ontology's search
 * order), the relations {@code is_a} (child to parent) and {@code has_child} (parent to child), and
 * each entity's names are its synonyms, cleaned: {@code nos} dropped, the phrase inside parentheses
 * added as a name of its own, and a name shared by several nodes given to the first of them (the
 * others are listed in {@link #sharedNames()}).
 */
public final class KnowledgeGraph {
    public static final List<String> RELATIONS = List.of("is_a", "has_child");

    /** A triple of entity and relation indices. */
    public record Triple(int head, int relation, int tail) {}

    private final List<String> entities = new ArrayList<>();
    private final Map<String, Integer> byName = new LinkedHashMap<>();
    private final List<Triple> triples = new ArrayList<>();
    private final Map<String, List<String>> shared = new LinkedHashMap<>();

    public KnowledgeGraph(Ontology ontology) {
        Map<List<String>, Integer> byPath = new HashMap<>();
        for (Ontology.Node n : ontology.nodes()) {
            byPath.put(Ontology.path(n), entities.size());
            entities.add(n.key());
        }
        for (Ontology.Node n : ontology.nodes()) {
            int e = byPath.get(Ontology.path(n));
            for (String name : names(n)) {
                Integer first = byName.putIfAbsent(name, e);
                if (first != null && first != e) {
                    List<String> carriers = shared.computeIfAbsent(name, k -> new ArrayList<>(List.of(entities.get(first))));
                    carriers.add(n.key());
                }
            }
            if (!n.ancestors().isEmpty()) {
                int parent = byPath.get(n.ancestors());
                triples.add(new Triple(e, 0, parent));
                triples.add(new Triple(parent, 1, e));
            }
        }
    }

    /**
     * A node's cleaned names: its synonyms without "nos"; a parenthesised qualifier is dropped ("Psoriasis (plaque)"
     * is named "psoriasis (plaque)" and "psoriasis"). The phrase inside is not a name of its own: in the Derm1M tree it
     * is a synonym twice ("solar elastosis") but a finding or qualifier six times ("plaque", "telangiectasia",
     * "pigmentation", "acute and chronic"), and a finding word must not link to a disease.
     */
    static List<String> names(Ontology.Node n) {
        List<String> out = new ArrayList<>();
        for (String s : n.synonyms()) {
            String t = s.strip().toLowerCase(Locale.ROOT);
            if (t.isEmpty() || t.equals("nos")) continue;
            if (!out.contains(t)) out.add(t);
            int open = t.indexOf('(');
            int close = t.indexOf(')', open + 1);
            if (open >= 0 && close > open) {
                String outer = (t.substring(0, open) + " " + t.substring(close + 1)).strip().replaceAll("\\s+", " ");
                if (!outer.isEmpty() && !out.contains(outer)) out.add(outer);
            }
        }
        return out;
    }

    public List<String> entities() {
        return entities;
    }

    public List<Triple> triples() {
        return triples;
    }

    /** Every name and the entity it links to. */
    public Map<String, Integer> names() {
        return byName;
    }

    /** Names that several nodes carry, with those nodes (the first one gets the name). */
    public Map<String, List<String>> sharedNames() {
        return shared;
    }

    /** The entities one edge away (both directions), for a plot of a neighbourhood. */
    public List<Integer> neighbours(int entity) {
        List<Integer> out = new ArrayList<>();
        for (Triple t : triples) if (t.relation() == 0 && (t.head() == entity || t.tail() == entity)) out.add(t.head() == entity ? t.tail() : t.head());
        return out;
    }
}
