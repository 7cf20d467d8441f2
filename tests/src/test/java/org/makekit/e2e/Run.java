package org.makekit.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.makekit.util.SharedPaths;

/** Runs the kit's commands (JBang scripts) as a user would, capturing output. */
final class Run {
    final int exit;
    final String out;

    private Run(int exit, String out) {
        this.exit = exit;
        this.out = out;
    }

    static Path root() {
        return SharedPaths.repoRoot();
    }

    /** JBang: on PATH, or the copy ./kit setup put in .tools/bin. */
    static String jbang() {
        Path local = root().resolve(".tools/bin/jbang");
        if (Files.isExecutable(local)) return local.toString();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "jbang"))) return Path.of(dir, "jbang").toString();
        }
        throw new AssertionError("JBang not found: run ./kit setup (or ./kit test) first");
    }

    /** Runs scripts/SCRIPT.java, or the file SCRIPT (relative to the root) when it ends in .java. */
    static Run script(String script, long timeoutSeconds, String... args) throws IOException, InterruptedException {
        return script(java.util.Map.of(), script, timeoutSeconds, args);
    }

    /** As {@link #script(String, long, String...)}, with extra environment variables. */
    static Run script(java.util.Map<String, String> env, String script, long timeoutSeconds, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(jbang());
        cmd.add(script.endsWith(".java") ? root().resolve(script).toString() : root().resolve("scripts").resolve(script + ".java").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root().toFile()).redirectErrorStream(true);
        pb.environment().put("MAKEKIT_ROOT", root().toString());
        pb.environment().put("MKL_DYNAMIC", "FALSE");
        pb.environment().put("OMP_DYNAMIC", "FALSE");
        pb.environment().putAll(env);
        Path log = Files.createTempFile("makekit-run", ".log");
        pb.redirectOutput(log.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(script + " did not finish in " + timeoutSeconds + " s; output:\n"
                    + Files.readString(log, StandardCharsets.UTF_8));
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Files.deleteIfExists(log);
        return new Run(p.exitValue(), out);
    }
}
