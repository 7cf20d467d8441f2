package org.makekit.data;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;
import org.makekit.util.KitException;

/**
 * HAM10000 as image-text pairs: a caption from each image's metadata (diagnosis, how it was
 * confirmed, age, sex, body site), the Derm1M class name as label, and the lesion-level split.
 * Reads the kit's layout (metadata.csv with image, lesion_id, dx, dx_type, age, sex, localization,
 * split) and the official release's HAM10000_metadata.csv (image_id, no split: the split rule below
 * is applied).
 */
public final class Ham10000 {
    private Ham10000() {}

    /** Derm1M's zero-shot class names in dx-code order (zero-shot.json, HAM10000). */
    public static final Map<String, String> CLASSNAMES = new LinkedHashMap<>();
    static final Map<String, String> DX_NAME = Map.of("akiec", "actinic keratosis", "bcc", "basal cell carcinoma",
            "bkl", "benign keratosis", "df", "dermatofibroma", "mel", "melanoma", "nv", "melanocytic nevus",
            "vasc", "vascular lesion");
    static final Map<String, String> CONFIRMED = Map.of("histo", "histopathology", "follow_up",
            "follow-up examination", "consensus", "expert consensus", "confocal", "in-vivo confocal microscopy");

    static {
        // From the shipped zero-shot.json: Derm1M's HAM10000 class names in the order of their dx codes.
        var ham = org.makekit.util.KnowledgeFiles.json("zero-shot.json").getAsJsonObject("datasets")
                .getAsJsonObject("HAM10000");
        var codes = ham.getAsJsonArray("dx_codes");
        var names = ham.getAsJsonArray("classnames");
        for (int i = 0; i < codes.size(); i++) CLASSNAMES.put(codes.get(i).getAsString(), names.get(i).getAsString());
    }

    public record Row(String image, String lesionId, String dx, String dxType, String age, String sex, String site,
                      String split) {}

    public static List<Row> readMetadata(Path dir) {
        Path kit = dir.resolve("metadata.csv");
        Path official = dir.resolve("HAM10000_metadata.csv");
        Path csv = Files.exists(kit) ? kit : official;
        List<Row> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            boolean hasSplit = p.getHeaderMap().containsKey("split");
            boolean kitLayout = p.getHeaderMap().containsKey("image");
            for (String col : new String[] {"lesion_id", "dx", "dx_type", "age", "sex", "localization"}) {
                if (!p.getHeaderMap().containsKey(col)) throw new KitException(csv + ": missing column '" + col + "'");
            }
            for (CSVRecord rec : p) {
                String image = kitLayout ? rec.get("image") : "images/" + rec.get("image_id") + ".jpg";
                if (!DX_NAME.containsKey(rec.get("dx"))) {
                    throw new KitException(csv + ", line " + p.getCurrentLineNumber() + ", field 'dx': unknown code '"
                            + rec.get("dx") + "'");
                }
                rows.add(new Row(image, rec.get("lesion_id"), rec.get("dx"), rec.get("dx_type"), rec.get("age"),
                        rec.get("sex"), rec.get("localization"), hasSplit ? rec.get("split") : ""));
            }
        } catch (NoSuchFileException e) {
            throw new KitException("HAM10000 metadata not found: expected " + kit + " or " + official);
        } catch (IOException e) {
            throw new KitException("cannot read " + csv, e);
        }
        if (rows.stream().anyMatch(r -> r.split().isEmpty())) rows = withSplit(rows);
        return rows;
    }

    /**
     * The lesion-level split of ../shared/data/ham10000: per diagnosis, lesions sorted by
     * sha256("ham10000-split-v1:" + lesion_id); the first round(0.7n) train, the next round(0.1n)
     * val, the rest test (round half to even, as Python).
     */
    public static List<Row> withSplit(List<Row> rows) {
        Map<String, List<String>> lesionsByDx = new TreeMap<>();
        for (Row r : rows) {
            List<String> l = lesionsByDx.computeIfAbsent(r.dx(), k -> new ArrayList<>());
            if (!l.contains(r.lesionId())) l.add(r.lesionId());
        }
        Map<String, String> splitOf = new LinkedHashMap<>();
        for (List<String> lesions : lesionsByDx.values()) {
            lesions.sort((a, b) -> digest(a).compareTo(digest(b)));
            int n = lesions.size();
            long train = Math.round(Math.rint(0.7 * n));
            long val = Math.round(Math.rint(0.1 * n));
            for (int i = 0; i < n; i++) splitOf.put(lesions.get(i), i < train ? "train" : i < train + val ? "val" : "test");
        }
        List<Row> out = new ArrayList<>();
        for (Row r : rows) {
            out.add(new Row(r.image(), r.lesionId(), r.dx(), r.dxType(), r.age(), r.sex(), r.site(), splitOf.get(r.lesionId())));
        }
        return out;
    }

    static String digest(String lesionId) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(("ham10000-split-v1:" + lesionId).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A caption from the metadata, e.g. "Dermoscopic image of a skin lesion on the trunk of a 45-year-old man. ..." */
    public static String caption(Row r) {
        StringBuilder sb = new StringBuilder("Dermoscopic image of a skin lesion");
        if (!r.site().isBlank() && !r.site().equals("unknown")) sb.append(" on the ").append(r.site());
        String who = switch (r.sex()) {
            case "male" -> "man";
            case "female" -> "woman";
            default -> "patient";
        };
        if (!r.age().isBlank()) {
            sb.append(" of a ").append((int) Double.parseDouble(r.age())).append("-year-old ").append(who);
        } else if (!who.equals("patient")) {
            sb.append(" of a ").append(who);
        }
        sb.append(". The lesion was diagnosed as ").append(DX_NAME.get(r.dx())).append('.');
        String how = CONFIRMED.get(r.dxType());
        if (how != null) sb.append(" The diagnosis was confirmed by ").append(how).append('.');
        return sb.toString();
    }

    /** Writes pairs.csv (image, caption, label, split, dx) for augmentation; images stay where they are. */
    public static Path writePairs(Path dir, Path out) {
        List<Row> rows = readMetadata(dir);
        try {
            Files.createDirectories(out.toAbsolutePath().getParent());
            try (BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8);
                 CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
                p.printRecord("image", "caption", "label", "split", "dx");
                Path base = out.toAbsolutePath().getParent();
                for (Row r : rows) {
                    String rel = base.relativize(dir.toAbsolutePath().resolve(r.image())).toString();
                    p.printRecord(rel, caption(r), CLASSNAMES.get(r.dx()), r.split(), r.dx());
                }
            }
        } catch (IOException e) {
            throw new KitException("cannot write " + out, e);
        }
        return out;
    }

    public static String describe(List<Row> rows) {
        Map<String, Integer> n = new TreeMap<>();
        for (Row r : rows) n.merge(r.split(), 1, Integer::sum);
        return String.format(Locale.ROOT, "%d images %s", rows.size(), n);
    }
}
