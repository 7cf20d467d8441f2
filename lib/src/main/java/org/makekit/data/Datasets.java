package org.makekit.data;

import java.nio.file.Files;
import java.nio.file.Path;
import org.makekit.util.KitException;

/** Turns a named dataset (through its manifest) into raw image-caption pairs ready for augmentation. */
public final class Datasets {
    private Datasets() {}

    /** Generates SynthDerm into its data folder unless it is already there with the same config. */
    public static Path ensureSynthDerm(Path dir, SynthDerm.Config cfg) {
        Path stamp = dir.resolve(".config");
        String want = cfg.toString();
        try {
            if (Files.exists(dir.resolve("metadata.csv")) && Files.exists(stamp) && Files.readString(stamp).equals(want)) {
                return dir;
            }
            System.err.println("generating SynthDerm (" + cfg.total() + " images at " + cfg.imageSize() + " px) in " + dir);
            long t0 = System.nanoTime();
            SynthDerm.generate(dir, cfg);
            Files.writeString(stamp, want);
            System.err.printf("SynthDerm ready in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            return dir;
        } catch (java.io.IOException e) {
            throw new KitException("cannot write " + stamp, e);
        }
    }

    /**
     * A pairs CSV (columns image, caption, label, split; image paths relative to the CSV) for a
     * named dataset: SynthDerm (generated on demand) or HAM10000 (captions from its metadata).
     */
    public static Path pairs(String name, Path localDir, Path workDir, SynthDerm.Config synthConfig) {
        Manifest m = Manifest.find(name);
        Path dir = m.dataDir(localDir);
        switch (m.name()) {
            case "synthderm" -> {
                return ensureSynthDerm(dir, synthConfig).resolve("metadata.csv");
            }
            case "ham10000" -> {
                Manifest.Status st = m.status(dir);
                if (!st.present()) {
                    throw new KitException("HAM10000 is not available: " + st.detail() + ". " + String.join(" ", m.manualSteps()));
                }
                return Ham10000.writePairs(dir, workDir.resolve("ham10000-pairs.csv"));
            }
            default -> throw new KitException("dataset '" + m.name() + "' has no caption builder: give its image-caption "
                    + "table with --input (see data-manifests/" + m.name() + ".json for its columns)");
        }
    }
}
