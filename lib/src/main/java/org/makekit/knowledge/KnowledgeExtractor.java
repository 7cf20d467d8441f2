package org.makekit.knowledge;

import java.util.List;

/** Turns raw captions into disease- and concept-aspect knowledge. */
public interface KnowledgeExtractor {
    /** Knowledge for each caption, in order; implementations may work concurrently and cache. */
    List<Knowledge> extract(List<String> captions);

    String name();
}
