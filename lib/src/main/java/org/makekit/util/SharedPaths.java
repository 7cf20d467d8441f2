package org.makekit.util;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository root and the {@code shared/} folder (goldens, knowledge, real data) beside it. */
public final class SharedPaths {
    private SharedPaths() {}

    /** The shared folder: system property {@code makekit.shared}, env {@code MAKEKIT_SHARED}, or {@code ../shared} of a parent. */
    public static Path shared() {
        String p = System.getProperty("makekit.shared", System.getenv("MAKEKIT_SHARED"));
        if (p != null && !p.isBlank()) {
            Path path = Path.of(p).toAbsolutePath().normalize();
            if (Files.isDirectory(path)) return path;
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("golden"))) return candidate;
            if (Files.isDirectory(d.resolve("shared").resolve("golden"))) return d.resolve("shared");
        }
        throw new KitException("cannot find the shared/ folder (goldens, knowledge, data): set MAKEKIT_SHARED "
                + "or -Dmakekit.shared to its path (it lives beside the repository checkout)");
    }

    /** The repository root: system property {@code makekit.root}, env {@code MAKEKIT_ROOT}, or the parent holding jbang-catalog.json. */
    public static Path repoRoot() {
        String p = System.getProperty("makekit.root", System.getenv("MAKEKIT_ROOT"));
        if (p != null && !p.isBlank()) return Path.of(p).toAbsolutePath().normalize();
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.exists(d.resolve("jbang-catalog.json"))) return d;
        }
        throw new KitException("cannot find the MAKE-kit repository root (no jbang-catalog.json above "
                + Path.of("").toAbsolutePath() + "); set MAKEKIT_ROOT");
    }
}
