package org.makekit.util;

import picocli.CommandLine;

/**
 * Runs a picocli command the kit's way: user errors ({@link KitException}, bad flags) print one
 * clear line and exit 2; anything else is a bug and prints its stack trace (exit 1).
 */
public final class Cli {
    private Cli() {}

    public static int run(Object command, String... args) {
        CommandLine cl = new CommandLine(command);
        cl.setExecutionExceptionHandler((ex, cmd, parse) -> {
            if (ex instanceof KitException) {
                cmd.getErr().println("error: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /** {@link #run} then System.exit with its status (for scripts). */
    public static void main(Object command, String... args) {
        System.exit(run(command, args));
    }
}
