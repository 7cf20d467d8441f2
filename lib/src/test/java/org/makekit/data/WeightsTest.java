package org.makekit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.model.ModelConfig;
import org.makekit.util.KitException;

/** Released-weights manifests and what --init / --weights accept. */
class WeightsTest {
    @TempDir Path cache;
    String before;

    @BeforeEach
    void pointTheCacheAtATempFolder() {
        before = System.getProperty("makekit.cache");
        System.setProperty("makekit.cache", cache.toString());
    }

    @AfterEach
    void restore() {
        if (before == null) System.clearProperty("makekit.cache");
        else System.setProperty("makekit.cache", before);
    }

    @Test
    void everyReleasedModelNamesItsSourceLicenceCitationAndAConfigTheKitHas() {
        List<Weights> all = Weights.all();
        Set<String> names = new TreeSet<>();
        for (Weights w : all) {
            names.add(w.name());
            assertTrue(w.homepage().startsWith("https://"), w.name());
            assertFalse(w.license().isBlank(), w.name());
            assertFalse(w.citation().isBlank(), w.name());
            assertFalse(w.downloads().isEmpty(), w.name() + " says where to get it");
            for (Manifest.Download d : w.downloads()) assertTrue(d.url().startsWith("https://"), d.url());
            assertTrue(ModelConfig.BUILTIN.contains(w.config()), w.name() + ": config " + w.config());
            assertEquals(w.name() + ".json", w.file().getFileName().toString());
        }
        assertEquals(Set.of("openai", "openai-hf", "make", "dermlip", "omake"), names);
        Weights openai = Weights.find("openai");
        // clip.py's _MODELS path carries the file's SHA-256
        assertTrue(openai.downloads().get(0).url().contains(openai.downloads().get(0).sha256()));
    }

    @Test
    void resolveTakesNoneAPathOrANameThatIsOnDisk() throws Exception {
        assertNull(Weights.resolve(null));
        assertNull(Weights.resolve("none"));
        Path f = cache.resolve("some.pt");
        Files.writeString(f, "x");
        assertEquals(f, Weights.resolve(f.toString()));

        KitException missing = assertThrows(KitException.class, () -> Weights.resolve("openai"));
        assertTrue(missing.getMessage().contains("./kit fetch-data openai") && missing.getMessage().contains("openaipublic"),
                missing.getMessage());
        assertTrue(missing.getMessage().contains(cache.toString()), "names the folder it looked in: " + missing.getMessage());

        Path dir = cache.resolve("weights/make");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("open_clip_pytorch_model.bin"), "x");
        assertThrows(KitException.class, () -> Weights.resolve("make"), "the config file is still missing");
        Files.writeString(dir.resolve("open_clip_config.json"), "{}");
        assertEquals(dir, Weights.resolve("make"));
        assertTrue(Weights.find("make").status().startsWith("present"));

        KitException unknown = assertThrows(KitException.class, () -> Weights.resolve("no-such-model"));
        assertTrue(unknown.getMessage().contains("known: [") && unknown.getMessage().contains("dermlip"), unknown.getMessage());
        assertThrows(KitException.class, () -> Weights.require("none"));
    }

    @Test
    void aLocalCopyIsCheckedNotDownloaded() throws Exception {
        Weights w = Weights.find("omake");
        KitException e = assertThrows(KitException.class, () -> w.fetch(cache, false));
        assertTrue(e.getMessage().contains("not on disk in " + cache), e.getMessage());
        Files.writeString(cache.resolve("O-MAKE_epoch_15.pt"), "x");
        assertEquals(cache, w.fetch(cache, false));
    }
}
