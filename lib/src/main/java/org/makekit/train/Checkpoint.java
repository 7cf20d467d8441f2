package org.makekit.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.makekit.model.Safetensors;
import org.makekit.util.AtomicFiles;
import org.makekit.util.KitException;

/**
 * Training checkpoints, written so that a run killed at any moment leaves only whole checkpoints:
 * each is built in a hidden temporary folder (weights in OpenCLIP names, optimizer state, and
 * state.json with the step, loss-scaler state, seeds and config), synced, renamed into place in one
 * step, and only then named in {@code checkpoints/latest}.
 */
public final class Checkpoint {
    private Checkpoint() {}

    public static Path dir(Path out) {
        return out.resolve("checkpoints");
    }

    /** Writes checkpoint {@code step}; returns its folder. */
    public static Path save(Path out, long step, Map<String, NDArray> weights, Map<String, NDArray> optimizer,
                            JsonObject state, int keep) {
        Path root = dir(out);
        String name = String.format("step-%09d", step);
        Path tmp = root.resolve(".tmp-" + name + "-" + ProcessHandle.current().pid());
        Path fin = root.resolve(name);
        try {
            Files.createDirectories(root);
            deleteTree(tmp);
            Files.createDirectories(tmp);
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("step", String.valueOf(step));
            Safetensors.write(tmp.resolve("model.safetensors"), weights, meta);
            Safetensors.write(tmp.resolve("optimizer.safetensors"), optimizer, meta);
            AtomicFiles.write(tmp.resolve("state.json"), o -> o.write(state.toString().getBytes(StandardCharsets.UTF_8)));
            sync(tmp);
            deleteTree(fin);
            Files.move(tmp, fin, StandardCopyOption.ATOMIC_MOVE);
            sync(root);
            AtomicFiles.write(root.resolve("latest"), o -> o.write(name.getBytes(StandardCharsets.UTF_8)));
            prune(root, keep);
            return fin;
        } catch (IOException e) {
            throw new KitException("cannot write checkpoint " + fin, e);
        }
    }

    /** The latest complete checkpoint folder, or null. */
    public static Path latest(Path out) {
        Path root = dir(out);
        Path pointer = root.resolve("latest");
        try {
            if (!Files.exists(pointer)) return null;
            Path d = root.resolve(Files.readString(pointer).strip());
            for (String f : List.of("model.safetensors", "optimizer.safetensors", "state.json")) {
                if (!Files.exists(d.resolve(f))) throw new KitException("checkpoint " + d + " lacks " + f);
            }
            return d;
        } catch (IOException e) {
            throw new KitException("cannot read " + pointer, e);
        }
    }

    public static JsonObject state(Path ckpt) {
        try {
            return org.makekit.util.Json.parse(Files.readString(ckpt.resolve("state.json"))).getAsJsonObject();
        } catch (IOException | RuntimeException e) {
            throw new KitException("checkpoint " + ckpt + ": unreadable state.json", e);
        }
    }

    public static Map<String, NDArray> tensors(Path file, NDManager m) {
        return Safetensors.withTensors(file, tensors -> {
            Map<String, NDArray> out = new LinkedHashMap<>();
            tensors.forEach((k, t) -> out.put(k, t.toNDArray(m)));
            return out;
        });
    }

    /** Removes stale temporary folders of killed runs. */
    public static void cleanTemporaries(Path out) {
        Path root = dir(out);
        if (!Files.isDirectory(root)) return;
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".tmp-")).toList()) deleteTree(p);
        } catch (IOException e) {
            throw new KitException("cannot clean " + root, e);
        }
    }

    static void prune(Path root, int keep) throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.list(root)) {
            all = s.filter(p -> p.getFileName().toString().startsWith("step-")).sorted().toList();
        }
        for (int i = 0; i < all.size() - Math.max(1, keep); i++) deleteTree(all.get(i));
    }

    static void sync(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot sync a folder; the rename is still atomic
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
