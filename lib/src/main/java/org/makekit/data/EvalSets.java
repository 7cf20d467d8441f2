package org.makekit.data;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.makekit.util.KitException;
import org.makekit.util.KnowledgeFiles;

/**
 * The paper's evaluation sets read from the files their owners release, into evaluation rows
 * (image path relative to the set's folder, class name, caption, split) plus the class list and,
 * for the concept sets, concept labels. Class names are exactly those of the zero-shot lists in
 * {@code zero-shot.json}; the class list always comes from the dataset, never from the labels
 * present. Rows whose image is not on disk are counted and reported, not fatal.
 */
public final class EvalSets {
    private EvalSets() {}

    /**
     * One evaluation set.
     *
     * @param dataset   its manifest name
     * @param classes   the zero-shot class list (empty for concept-only and retrieval-only sets)
     * @param rows      rows whose image was found, in file order
     * @param root      the folder row paths are relative to
     * @param concepts  concept labels by row path (null when the set has none)
     * @param listed    rows the release lists (after the split)
     * @param missing   listed rows whose image is not on disk
     * @param notes     what the reader did (dropped rows, kept concepts, ...)
     */
    public record EvalSet(String dataset, List<String> classes, List<TrainingRow> rows, Path root,
                          Map<String, Map<String, Boolean>> concepts, int listed, int missing, List<String> notes) {
        public String summary() {
            return dataset + ": " + listed + " rows listed, " + rows.size() + " images found, " + missing + " missing"
                    + (classes.isEmpty() ? "" : ", " + classes.size() + " classes")
                    + (concepts == null ? "" : ", " + concepts.values().stream().findFirst().map(Map::size).orElse(0) + " concepts");
        }
    }

    interface Reader {
        EvalSet read(Path dir, String split);
    }

    private static final Map<String, Reader> READERS = new LinkedHashMap<>();

    static {
        READERS.put("pad-ufes-20", EvalSets::pad);
        READERS.put("fitzpatrick17k", EvalSets::fitzpatrick);
        READERS.put("sd-128", (d, s) -> splitList("sd-128", "SD-128", "SD-128-LP.csv", d, s));
        READERS.put("snu-134", (d, s) -> splitList("snu-134", "SNU-134", "SNU-LP.csv", d, s));
        READERS.put("skincon", EvalSets::skincon);
        READERS.put("derm7pt", EvalSets::derm7pt);
        READERS.put("skincap", EvalSets::skincap);
    }

    /** The datasets with a reader, in Table 1/2 order. */
    public static Set<String> names() {
        return READERS.keySet();
    }

    /**
     * One line of what is on disk for a dataset: for a set with a reader, its rows, images found and
     * missing (or why it cannot be read); otherwise {@code otherwise}'s line.
     */
    public static String status(String dataset, Path dir, java.util.function.Supplier<String> otherwise) {
        if (!has(dataset)) return otherwise.get();
        if (!Files.isDirectory(dir)) return "missing (" + dir + ")";
        try {
            EvalSet s = read(dataset, dir, "all");
            return (s.rows().isEmpty() ? "no images: " : "present: ") + s.listed() + " rows, " + s.rows().size() + " images found, "
                    + s.missing() + " missing (" + dir + ")";
        } catch (KitException e) {
            return "incomplete: " + e.getMessage();
        }
    }

    public static boolean has(String dataset) {
        return READERS.containsKey(dataset.toLowerCase(Locale.ROOT));
    }

    /**
     * Reads a set from {@code dir}. {@code split}: "all" (or null) keeps every row (MAKE's zero-shot
     * protocol scores whole sets); another value keeps the rows of that split where the set has one
     * (Derm7pt's index files; O-MAKE's split lists beside PAD, F17K, SD-128 and SNU-134). A folder
     * holding the official MAKE bundle ({@code MAKE_*.csv}) is read through that bundle.
     */
    public static EvalSet read(String dataset, Path dir, String split) {
        String name = dataset.toLowerCase(Locale.ROOT);
        Reader r = READERS.get(name);
        if (r == null) throw new KitException("no reader for dataset '" + dataset + "' (readers: " + READERS.keySet() + ")");
        if (!Files.isDirectory(dir)) throw new KitException(dataset + ": folder " + dir + " not found");
        String bundle = BUNDLE.get(name);
        if (bundle != null && Files.isRegularFile(dir.resolve(bundle))) return makeBundle(name, dir, dir.resolve(bundle), split);
        return r.read(dir, split == null || split.isBlank() ? "all" : split);
    }

    // ------------------------------------------------------------------ class lists and helpers

    static List<String> classnames(String zeroShotKey) {
        JsonObject d = KnowledgeFiles.json("zero-shot.json").getAsJsonObject("datasets").getAsJsonObject(zeroShotKey);
        List<String> out = new ArrayList<>();
        for (var e : d.getAsJsonArray("classnames")) out.add(e.getAsString());
        return out;
    }

    /** Image files under a folder by lower-cased relative path and by lower-cased file name (unique names only). */
    static final class ImageIndex {
        final Map<String, Path> byRelative = new HashMap<>();
        final Map<String, Path> byName = new HashMap<>();
        final Set<String> ambiguous = new java.util.HashSet<>();
        final Path root;

        ImageIndex(Path root) {
            this.root = root;
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(Files::isRegularFile)
                        .filter(f -> f.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(jpe?g|png|bmp|tiff?)$"))
                        .forEach(f -> {
                            byRelative.put(root.relativize(f).toString().replace('\\', '/').toLowerCase(Locale.ROOT), f);
                            String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                            if (byName.putIfAbsent(n, f) != null) ambiguous.add(n);
                        });
            } catch (IOException e) {
                throw new KitException("cannot list images under " + root, e);
            }
        }

        /** The image a release path names: exact relative path (any case, under root or root/images), else its unique file name. */
        Path find(String releasePath) {
            String p = releasePath.replace('\\', '/').toLowerCase(Locale.ROOT);
            for (String pre : List.of("", "images/")) {
                Path f = byRelative.get(pre + p);
                if (f != null) return f;
            }
            String name = p.substring(p.lastIndexOf('/') + 1);
            return ambiguous.contains(name) ? null : byName.get(name);
        }

        String rel(Path f) {
            return root.relativize(f).toString().replace('\\', '/');
        }
    }

    static List<CSVRecord> csv(Path file, String... required) {
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setAllowMissingColumnNames(true)
                     .build().parse(r)) {
            for (String c : required) {
                if (!p.getHeaderMap().containsKey(c)) {
                    throw new KitException(file + ": no column '" + c + "' (columns: " + p.getHeaderNames() + ")");
                }
            }
            return p.getRecords();
        } catch (NoSuchFileException e) {
            throw new KitException("file not found: " + file);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new KitException("cannot read " + file + " (" + e.getMessage() + ")", e);
        }
    }

    static TrainingRow row(String path, String caption, String label, String split) {
        return row(path, caption, label, label, split);
    }

    static TrainingRow row(String path, String caption, String label, String diagnosis, String split) {
        List<String> subs = new ArrayList<>();
        for (int i = 0; i < TrainingTable.K; i++) subs.add("");
        return new TrainingRow(path, caption, caption, "", "", subs, new boolean[TrainingTable.K],
                new boolean[] {!caption.isEmpty(), false, false}, diagnosis, "", label, split);
    }

    /** O-MAKE's split list (image_path, diag, split, label) by lower-cased file name, if the file is in the folder. */
    static Map<String, String> omakeSplits(Path dir, String file) {
        Path f = findFile(dir, file);
        if (f == null) return null;
        Map<String, String> out = new HashMap<>();
        for (CSVRecord r : csv(f, "image_path", "split")) {
            String p = r.get("image_path");
            out.put(p.substring(p.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT), r.get("split"));
        }
        return out;
    }

    static Path findFile(Path dir, String name) {
        for (Path p : List.of(dir.resolve(name), dir.resolve("meta").resolve(name), dir.resolve("splits").resolve(name))) {
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** Builds a set from (release path, label, split) entries: images looked up, the split applied, missing ones counted. */
    private static EvalSet assemble(String dataset, Path dir, List<String> classes, List<String[]> entries, String split,
                                    List<String> notes) {
        ImageIndex idx = new ImageIndex(dir);
        List<TrainingRow> rows = new ArrayList<>();
        int listed = 0;
        int missing = 0;
        List<String> missingExamples = new ArrayList<>();
        for (String[] e : entries) {
            if (!split.equals("all") && !split.equals(e[2])) continue;
            listed++;
            Path f = idx.find(e[0]);
            if (f == null) {
                missing++;
                if (missingExamples.size() < 3) missingExamples.add(e[0]);
                continue;
            }
            rows.add(row(idx.rel(f), "", e[1], e[2]));
        }
        if (!split.equals("all") && listed == 0) {
            throw new KitException(dataset + ": no rows in split '" + split + "'" + (entries.stream().allMatch(x -> x[2].isEmpty())
                    ? " (this folder has no split list; use --split all, MAKE's zero-shot protocol)" : ""));
        }
        if (missing > 0) notes.add(missing + " listed images not found under " + dir + ", e.g. " + missingExamples);
        return new EvalSet(dataset, classes, rows, dir, null, listed, missing, notes);
    }

    // ------------------------------------------------------------------ PAD-UFES-20

    static final Map<String, String> BUNDLE = Map.of("pad-ufes-20", "MAKE_PAD.csv", "fitzpatrick17k", "MAKE_F17K.csv",
            "snu-134", "MAKE_SNU.csv", "sd-128", "MAKE_SD-128.csv");
    static final Map<String, String> ZERO_SHOT_KEY = Map.of("pad-ufes-20", "PAD-UFES-20", "fitzpatrick17k", "Fitzpatrick17k",
            "snu-134", "SNU-134", "sd-128", "SD-128");

    /** PAD-UFES-20: metadata.csv (diagnostic codes NEV, BCC, ACK, SEK, SCC, MEL; images PAT_*.png anywhere below). */
    static EvalSet pad(Path dir, String split) {
        Path meta = findFile(dir, "metadata.csv");
        if (meta == null) throw new KitException("pad-ufes-20: no metadata.csv in " + dir);
        List<String> classes = classnames("PAD-UFES-20");
        JsonArray codes = KnowledgeFiles.json("zero-shot.json").getAsJsonObject("datasets").getAsJsonObject("PAD-UFES-20")
                .getAsJsonArray("dx_codes");
        Map<String, String> byCode = new HashMap<>();
        for (int i = 0; i < codes.size(); i++) byCode.put(codes.get(i).getAsString(), classes.get(i));
        Map<String, String> splits = omakeSplits(dir, "PAD-LP.csv");
        List<String[]> entries = new ArrayList<>();
        List<CSVRecord> recs = csv(meta, "img_id", "diagnostic");
        for (CSVRecord r : recs) {
            String cls = byCode.get(r.get("diagnostic").trim());
            if (cls == null) {
                throw new KitException(meta + ", row " + (r.getRecordNumber() + 1) + ", field 'diagnostic': unknown code '"
                        + r.get("diagnostic") + "' (expected one of " + byCode.keySet() + ")");
            }
            String img = r.get("img_id");
            entries.add(new String[] {img, cls, splits == null ? "" : splits.getOrDefault(img.toLowerCase(Locale.ROOT), "")});
        }
        List<String> notes = new ArrayList<>();
        notes.add("classes from diagnostic codes " + byCode);
        return assemble("pad-ufes-20", dir, classes, entries, split, notes);
    }

    // ------------------------------------------------------------------ Fitzpatrick17k

    /** Fitzpatrick17k: fitzpatrick17k.csv (md5hash, label); images md5hash.jpg; classes matched by name. */
    static EvalSet fitzpatrick(Path dir, String split) {
        Path meta = findFile(dir, "fitzpatrick17k.csv");
        if (meta == null) throw new KitException("fitzpatrick17k: no fitzpatrick17k.csv in " + dir);
        List<String> classes = classnames("Fitzpatrick17k");
        Set<String> known = new java.util.HashSet<>(classes);
        Map<String, String> splits = omakeSplits(dir, "F17K-LP.csv");
        List<String[]> entries = new ArrayList<>();
        int unknown = 0;
        for (CSVRecord r : csv(meta, "md5hash", "label")) {
            String label = r.get("label").trim();
            if (!known.contains(label)) {
                unknown++;
                continue;
            }
            String img = r.get("md5hash").trim() + ".jpg";
            entries.add(new String[] {img, label, splits == null ? "" : splits.getOrDefault(img.toLowerCase(Locale.ROOT), "")});
        }
        List<String> notes = new ArrayList<>();
        notes.add("classes matched by name to the 114-name list" + (unknown > 0 ? "; " + unknown + " rows with other labels left out" : ""));
        return assemble("fitzpatrick17k", dir, classes, entries, split, notes);
    }

    // ------------------------------------------------------------------ SD-128, SNU-134

    /** O-MAKE's split list (label = list index), else a folder per class (folder name = class name, any case, '_' for ' '). */
    static EvalSet splitList(String dataset, String key, String listFile, Path dir, String split) {
        List<String> classes = classnames(key);
        List<String> notes = new ArrayList<>();
        List<String[]> entries = new ArrayList<>();
        Path list = findFile(dir, listFile);
        if (list != null) {
            for (CSVRecord r : csv(list, "image_path", "split", "label")) {
                int id = classIndex(list, r, classes);
                entries.add(new String[] {r.get("image_path"), classes.get(id), r.get("split")});
            }
            notes.add("rows and splits from " + list.getFileName() + " (label = index into the " + classes.size() + "-class list)");
        } else {
            Map<String, String> byFolder = new HashMap<>();
            for (String c : classes) byFolder.put(norm(c), c);
            List<String> unmatched = new ArrayList<>();
            Path images = Files.isDirectory(dir.resolve("images")) ? dir.resolve("images") : dir;
            try (Stream<Path> s = Files.list(images)) {
                for (Path folder : s.filter(Files::isDirectory).sorted().toList()) {
                    String cls = byFolder.get(norm(folder.getFileName().toString()));
                    if (cls == null) {
                        unmatched.add(folder.getFileName().toString());
                        continue;
                    }
                    try (Stream<Path> f = Files.list(folder)) {
                        for (Path img : f.filter(Files::isRegularFile).sorted().toList()) {
                            entries.add(new String[] {dir.relativize(img).toString().replace('\\', '/'), cls, ""});
                        }
                    }
                }
            } catch (IOException e) {
                throw new KitException("cannot list " + images, e);
            }
            if (entries.isEmpty()) {
                throw new KitException(dataset + ": neither " + listFile + " nor class folders named after the "
                        + classes.size() + " classes in " + dir);
            }
            notes.add("rows from class folders in " + images + (unmatched.isEmpty() ? ""
                    : "; " + unmatched.size() + " folders match no class name and are left out: " + unmatched));
        }
        return assemble(dataset, dir, classes, entries, split, notes);
    }

    /** The integer in {@code field}, in [0, size); errors name the file, row and field, and say {@code outside} when out of range. */
    static int index(Path file, CSVRecord r, String field, int size, String outside) {
        String where = file + ", row " + (r.getRecordNumber() + 1) + ", field '" + field + "': ";
        int i;
        try {
            i = Integer.parseInt(r.get(field).trim());
        } catch (NumberFormatException e) {
            throw new KitException(where + "not an integer: '" + r.get(field) + "'");
        }
        if (i < 0 || i >= size) throw new KitException(where + i + " " + outside);
        return i;
    }

    /** A label column holding an index into the zero-shot class list. */
    static int classIndex(Path file, CSVRecord r, List<String> classes) {
        return index(file, r, "label", classes.size(), "is outside the " + classes.size() + "-class list");
    }

    static String norm(String s) {
        return s.toLowerCase(Locale.ROOT).replace('_', ' ').replaceAll("\\s+", " ").strip();
    }

    // ------------------------------------------------------------------ the official MAKE bundle

    /** MAKE's own evaluation CSV (filename, label = index into the zero-shot list). */
    static EvalSet makeBundle(String dataset, Path dir, Path csvFile, String split) {
        List<String> classes = classnames(ZERO_SHOT_KEY.get(dataset));
        List<String[]> entries = new ArrayList<>();
        for (CSVRecord r : csv(csvFile, "filename", "label")) {
            int id = classIndex(csvFile, r, classes);
            entries.add(new String[] {r.get("filename"), classes.get(id), r.isMapped("split") ? r.get("split") : ""});
        }
        List<String> notes = new ArrayList<>();
        notes.add("the official MAKE bundle file " + csvFile.getFileName());
        return assemble(dataset, dir, classes, entries, split, notes);
    }

    // ------------------------------------------------------------------ SkinCon

    /** Concepts SkinCon's evaluation keeps: at least this many positive images over both annotation files. */
    public static final int SKINCON_MIN_POSITIVES = 30;

    /**
     * SkinCon: annotations_fitzpatrick17k.csv and annotations_ddi.csv (an unnamed index, ImageID, 48
     * concept columns, "Do not consider this image"). Flagged rows are dropped; concepts with at least
     * 30 positive images pooled over both files are kept (32 in the release). Images: Fitzpatrick17k's
     * md5.jpg and DDI's 000001.png, anywhere below the folder.
     */
    static EvalSet skincon(Path dir, String split) {
        List<Path> files = new ArrayList<>();
        for (String f : List.of("annotations_fitzpatrick17k.csv", "annotations_ddi.csv")) {
            Path p = findFile(dir, f);
            if (p != null) files.add(p);
        }
        if (files.isEmpty()) throw new KitException("skincon: neither annotations_fitzpatrick17k.csv nor annotations_ddi.csv in " + dir);
        String flag = "Do not consider this image";
        List<String[]> entries = new ArrayList<>();
        List<Map<String, Boolean>> labels = new ArrayList<>();
        Map<String, Integer> positives = new TreeMap<>();
        int flagged = 0;
        for (Path f : files) {
            List<CSVRecord> recs = csv(f, "ImageID", flag);
            List<String> concepts = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                for (String h : CSVFormat.DEFAULT.parse(new java.io.StringReader(r.readLine())).getRecords().get(0)) {
                    if (!h.isEmpty() && !h.equals("ImageID") && !h.equals(flag)) concepts.add(h);
                }
            } catch (IOException e) {
                throw new KitException("cannot read " + f, e);
            }
            for (CSVRecord r : recs) {
                if (bool(r.get(flag), f, r, flag)) {
                    flagged++;
                    continue;
                }
                Map<String, Boolean> l = new LinkedHashMap<>();
                for (String c : concepts) {
                    boolean v = bool(r.get(c), f, r, c);
                    l.put(c.toLowerCase(Locale.ROOT), v);
                    if (v) positives.merge(c.toLowerCase(Locale.ROOT), 1, Integer::sum);
                }
                entries.add(new String[] {r.get("ImageID"), "", ""});
                labels.add(l);
            }
        }
        Set<String> keep = new java.util.TreeSet<>();
        positives.forEach((c, n) -> {
            if (n >= SKINCON_MIN_POSITIVES) keep.add(c);
        });
        List<String> notes = new ArrayList<>();
        notes.add(flagged + " rows flagged 'Do not consider this image' dropped; " + keep.size()
                + " concepts with at least " + SKINCON_MIN_POSITIVES + " positive images kept");
        return withConcepts("skincon", dir, entries, labels, keep, notes);
    }

    private static boolean bool(String v, Path f, CSVRecord r, String col) {
        String s = v.trim();
        if (s.equals("1") || s.equalsIgnoreCase("true") || s.equals("1.0")) return true;
        if (s.equals("0") || s.equalsIgnoreCase("false") || s.equals("0.0") || s.isEmpty()) return false;
        throw new KitException(f + ", row " + (r.getRecordNumber() + 1) + ", field '" + col + "': expected 0 or 1, got '" + v + "'");
    }

    /** A concept set: images looked up (missing ones counted), labels restricted to {@code keep}. */
    private static EvalSet withConcepts(String dataset, Path dir, List<String[]> entries, List<Map<String, Boolean>> labels,
                                        Set<String> keep, List<String> notes) {
        ImageIndex idx = new ImageIndex(dir);
        List<TrainingRow> rows = new ArrayList<>();
        Map<String, Map<String, Boolean>> concepts = new LinkedHashMap<>();
        int missing = 0;
        List<String> examples = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            Path f = idx.find(entries.get(i)[0]);
            if (f == null) {
                missing++;
                if (examples.size() < 3) examples.add(entries.get(i)[0]);
                continue;
            }
            String rel = idx.rel(f);
            rows.add(row(rel, "", entries.get(i)[1], entries.get(i)[2]));
            Map<String, Boolean> l = new LinkedHashMap<>();
            for (String c : keep) l.put(c, labels.get(i).getOrDefault(c, false));
            concepts.put(rel, l);
        }
        if (missing > 0) notes.add(missing + " images not found under " + dir + ", e.g. " + examples);
        return new EvalSet(dataset, List.of(), rows, dir, concepts, entries.size(), missing, notes);
    }

    // ------------------------------------------------------------------ Derm7pt

    /** The seven-point checklist criteria (Derm7pt columns); a criterion is present when its value is not "absent". */
    public static final List<String> DERM7PT_CRITERIA = List.of("pigment_network", "streaks", "pigmentation",
            "regression_structures", "dots_and_globules", "blue_whitish_veil", "vascular_structures");

    /**
     * Derm7pt (release_v0): meta/meta.csv and meta/{train,valid,test}_indexes.csv (0-based row
     * numbers, column "indexes"); the dermoscopic image of each case at images/&lt;derm&gt;, found
     * even where the release's case differs from the file system's.
     */
    static EvalSet derm7pt(Path dir, String split) {
        Path meta = findFile(dir, "meta.csv");
        if (meta == null) throw new KitException("derm7pt: no meta/meta.csv in " + dir);
        List<String> required = new ArrayList<>(List.of("case_num", "diagnosis", "derm"));
        required.addAll(DERM7PT_CRITERIA);
        List<CSVRecord> recs = csv(meta, required.toArray(new String[0]));
        String[] splitOf = new String[recs.size()];
        java.util.Arrays.fill(splitOf, "");
        for (String s : List.of("train", "valid", "test")) {
            Path f = meta.resolveSibling(s + "_indexes.csv");
            if (!Files.isRegularFile(f)) continue;
            for (CSVRecord r : csv(f, "indexes")) {
                int i = index(f, r, "indexes", recs.size(), "is not a row of meta.csv (0.." + (recs.size() - 1) + ")");
                splitOf[i] = s;
            }
        }
        List<String[]> entries = new ArrayList<>();
        List<Map<String, Boolean>> labels = new ArrayList<>();
        for (int i = 0; i < recs.size(); i++) {
            CSVRecord r = recs.get(i);
            if (!split.equals("all") && !split.equals(splitOf[i])) continue;
            Map<String, Boolean> l = new LinkedHashMap<>();
            for (String c : DERM7PT_CRITERIA) l.put(c.replace('_', ' '), !r.get(c).trim().equalsIgnoreCase("absent"));
            entries.add(new String[] {r.get("derm"), "", splitOf[i]});
            labels.add(l);
        }
        if (entries.isEmpty()) throw new KitException("derm7pt: no cases in split '" + split + "'");
        Set<String> keep = new java.util.LinkedHashSet<>();
        for (String c : DERM7PT_CRITERIA) keep.add(c.replace('_', ' '));
        List<String> notes = new ArrayList<>();
        notes.add("the dermoscopic image of each case; the seven criteria, present when not 'absent'");
        return withConcepts("derm7pt", dir, entries, labels, keep, notes);
    }

    // ------------------------------------------------------------------ SkinCAP

    /** SkinCAP: the release CSV (skincap_file_path, caption_zh_polish_en, disease); one caption per image, for retrieval. */
    static EvalSet skincap(Path dir, String split) {
        Path meta = null;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.toString().toLowerCase(Locale.ROOT).endsWith(".csv")).sorted().toList()) {
                try (BufferedReader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                    String h = r.readLine();
                    if (h != null && h.contains("skincap_file_path") && h.contains("caption_zh_polish_en")) {
                        meta = p;
                        break;
                    }
                }
            }
        } catch (IOException e) {
            throw new KitException("cannot list " + dir, e);
        }
        if (meta == null) throw new KitException("skincap: no CSV with columns skincap_file_path and caption_zh_polish_en in " + dir);
        List<String[]> entries = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        int empty = 0;
        for (CSVRecord r : csv(meta, "skincap_file_path", "caption_zh_polish_en")) {
            String cap = r.get("caption_zh_polish_en").strip();
            if (cap.isEmpty()) {
                empty++;
                continue;
            }
            entries.add(new String[] {r.get("skincap_file_path"), r.isMapped("disease") ? r.get("disease") : "", ""});
            captions.add(cap);
        }
        ImageIndex idx = new ImageIndex(dir);
        List<TrainingRow> rows = new ArrayList<>();
        int missing = 0;
        for (int i = 0; i < entries.size(); i++) {
            Path f = idx.find(entries.get(i)[0]);
            if (f == null) {
                missing++;
                continue;
            }
            // the disease goes in the diagnosis, not the label: retrieval only, no zero-shot over free-text names
            rows.add(row(idx.rel(f), captions.get(i), "", entries.get(i)[1], ""));
        }
        List<String> notes = new ArrayList<>();
        notes.add("one English caption per image (caption_zh_polish_en)" + (empty > 0 ? "; " + empty + " rows without a caption left out" : ""));
        if (missing > 0) notes.add(missing + " images not found under " + dir);
        return new EvalSet("skincap", List.of(), rows, dir, null, entries.size(), missing, notes);
    }
}
