package org.makekit.data;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.util.KitException;

/**
 * Released model weights named by a manifest in {@code data-manifests/weights/NAME.json}: where to
 * get them, licence, citation, the kit config they load into, and a checksum where one is known.
 * {@link #resolve} turns what a user types ({@code --init openai}, {@code --weights make}, a file or
 * a folder) into a path; named weights live in a cache folder ({@code ~/.cache/makekit/weights/NAME},
 * moved with {@code MAKEKIT_CACHE}) or in a folder given with {@code --local-dir}.
 */
public record Weights(String name, String title, String homepage, String license, String citation, String config,
                      String format, List<Manifest.Download> downloads, List<String> manualSteps, String notes, Path file) {

    static final Set<String> FIELDS = Set.of("name", "title", "homepage", "license", "citation", "config", "format",
            "downloads", "manual_steps", "notes", "used_in");

    public static Path directory() {
        return Manifest.directory().resolve("weights");
    }

    /** The cache root: $MAKEKIT_CACHE, else the system property makekit.cache, else ~/.cache/makekit. */
    public static Path cacheRoot() {
        String env = System.getenv("MAKEKIT_CACHE");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("makekit.cache");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of(System.getProperty("user.home"), ".cache", "makekit");
    }

    public static List<Weights> all() {
        Path dir = directory();
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            List<Weights> out = new ArrayList<>();
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) out.add(load(p));
            return out;
        } catch (IOException e) {
            throw new KitException("cannot list weights manifests in " + dir, e);
        }
    }

    /** The manifest of a name, or null. */
    public static Weights find(String name) {
        Path p = directory().resolve(name.toLowerCase(Locale.ROOT) + ".json");
        return Files.isRegularFile(p) ? load(p) : null;
    }

    public static Weights load(Path file) {
        JsonObject o;
        try {
            o = org.makekit.util.Json.parse(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new KitException("cannot read weights manifest " + file, e);
        } catch (RuntimeException e) {
            throw new KitException("weights manifest " + file + ": not a JSON object", e);
        }
        for (String k : o.keySet()) {
            if (!FIELDS.contains(k)) throw new KitException("weights manifest " + file + ": unknown field '" + k + "'");
        }
        for (String k : List.of("name", "title", "homepage", "license", "citation", "config", "format")) {
            if (!o.has(k)) throw new KitException("weights manifest " + file + ": missing field '" + k + "'");
        }
        List<Manifest.Download> downloads = new ArrayList<>();
        if (o.has("downloads")) {
            for (JsonElement e : o.getAsJsonArray("downloads")) {
                JsonObject d = e.getAsJsonObject();
                downloads.add(new Manifest.Download(d.get("url").getAsString(), d.get("file").getAsString(),
                        d.has("sha256") && !d.get("sha256").isJsonNull() ? d.get("sha256").getAsString() : null, false));
            }
        }
        return new Weights(o.get("name").getAsString(), o.get("title").getAsString(), o.get("homepage").getAsString(),
                o.get("license").getAsString(), o.get("citation").getAsString(), o.get("config").getAsString(),
                o.get("format").getAsString(), downloads, Manifest.strings(o, "manual_steps"),
                o.has("notes") ? o.get("notes").getAsString() : "", file);
    }

    /** Where this model's files are: {@code localDir} if given, else the cache folder. */
    public Path folder(Path localDir) {
        return localDir != null ? localDir.toAbsolutePath().normalize() : cacheRoot().resolve("weights").resolve(name);
    }

    /** True when every file of the manifest is in the folder. */
    public boolean present(Path localDir) {
        Path dir = folder(localDir);
        if (downloads.isEmpty()) return false;
        for (Manifest.Download d : downloads) {
            if (!Files.isRegularFile(dir.resolve(d.file()))) return false;
        }
        return true;
    }

    /** The one command that gets these weights. */
    public String fetchCommand() {
        return "./kit fetch-data " + name;
    }

    /** What to do when the weights are not on disk, as one message. */
    public String howToGet(Path localDir) {
        StringBuilder sb = new StringBuilder("weights '" + name + "' (" + title + ") are not on disk in " + folder(localDir)
                + ". Get them with: " + fetchCommand());
        if (!downloads.isEmpty()) sb.append(" (downloads ").append(downloads.get(0).url()).append(")");
        sb.append(", or point at a copy you have: a file or folder path instead of the name, or fetch-data ").append(name)
                .append(" --local-dir DIR. Licence: ").append(license);
        return sb.toString();
    }

    /** Downloads the files into the folder (resuming, checking SHA-256 where known); returns the folder. */
    public Path fetch(Path localDir, boolean progress) {
        Path dir = folder(localDir);
        if (localDir != null) {
            if (!present(localDir)) throw new KitException(howToGet(localDir));
            return dir;
        }
        Fetcher f = new Fetcher(progress);
        for (Manifest.Download d : downloads) {
            String sha = f.download(d.url(), dir.resolve(d.file()), d.sha256());
            System.out.println("  " + d.file() + " sha256 " + sha + (d.sha256() == null
                    ? " (no checksum in the manifest: pin this one)" : " (verified)"));
        }
        return dir;
    }

    /**
     * What a user typed as weights: null or "none" is null (a fresh model); an existing file or
     * folder is itself; a manifest name is its folder when the files are there, else an error that
     * says how to get them; anything else is an error naming the known names.
     */
    public static Path resolve(String spec) {
        if (spec == null || spec.isBlank() || spec.equals("none")) return null;
        Path p = Path.of(spec);
        if (Files.exists(p)) return p;
        Weights w = find(spec);
        if (w != null) {
            if (!w.present(null)) throw new KitException(w.howToGet(null));
            return w.folder(null);
        }
        List<String> names = all().stream().map(Weights::name).toList();
        throw new KitException("weights '" + spec + "': no such file or folder, and not a released model the kit knows "
                + "(known: " + names + "; see data-manifests/weights/)");
    }

    /** As {@link #resolve}, but "none" or nothing is an error: for commands that need weights. */
    public static Path require(String spec) {
        Path p = resolve(spec);
        if (p == null) throw new KitException("weights are required here; got '" + spec + "'");
        return p;
    }

    /**
     * The model at {@code spec} (a name, file or folder; see {@link #resolve}) in config {@code mc}.
     * Prints what the loader did when it had to do more than read OpenCLIP-named safetensors, and
     * always prints where the folder's open_clip_config.json disagrees with {@code mc}.
     */
    public static ClipModel open(ModelConfig mc, String spec, NDManager manager, DataType dtype) {
        Path p = require(spec);
        ClipModel.Loaded l = ClipModel.loadWithReport(mc, p, manager, dtype);
        if (!l.report().format().equals("safetensors") || l.report().lines().size() > 1) {
            System.err.println("loaded " + l.report());
        }
        for (String w : l.configWarnings()) System.err.println("WARNING: " + w);
        return l.model();
    }

    /** One line of what is on disk. */
    public String status() {
        return present(null) ? "present: " + folder(null) : "missing (" + fetchCommand() + ")";
    }
}
