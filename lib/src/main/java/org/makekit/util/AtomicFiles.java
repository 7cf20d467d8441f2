package org.makekit.util;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** Files written whole or not at all: a temporary file beside the target, synced, then renamed over it. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Something that writes a file's bytes. */
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Writes to a temporary sibling, forces it to disk, then renames it over {@code file}. */
    public static void write(Path file, Writer writer) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(dir);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream os = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 20)) {
                writer.write(os);
                os.flush();
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
            throw new KitException("cannot write " + file, e);
        }
    }

    /** Writes a text file atomically (UTF-8). */
    public static void writeString(Path file, String text) {
        write(file, o -> o.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }
}
