package org.makekit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.KitException;

class ConfigAndLogTest {
    @Test
    void trainConfigRejectsUnknownFieldsByName() {
        TrainConfig c = TrainConfig.fromJson("{\"method\": \"clip\", \"steps\": 7, \"slraSigma\": 0.2}");
        assertEquals("clip", c.method);
        assertEquals(7, c.steps);
        assertEquals(0.2, c.slraSigma);
        KitException e = assertThrows(KitException.class, () -> TrainConfig.fromJson("{\"method\": \"clip\", \"batch_size\": 8}"));
        assertTrue(e.getMessage().contains("'batch_size'") && e.getMessage().contains("batchSize"), e.getMessage());
        assertThrows(KitException.class, () -> TrainConfig.fromJson("[1, 2]"));
        assertThrows(KitException.class, () -> TrainConfig.fromJson("{\"steps\": \"many\"}"));
        TrainConfig round = TrainConfig.fromJson(TrainConfig.paper().toJson());
        assertEquals("ViT-B-16", round.model);
    }

    @Test
    void metricsLogHasOneColumnListForWritingReadingAndResuming(@TempDir Path tmp) throws Exception {
        Path csv = tmp.resolve("metrics.csv");
        List<String> cols = MetricsLog.columns(List.of("mkcl_i2t", "slra"));
        assertEquals(List.of("step", "epoch", "loss", "mkcl_i2t", "slra", "lr", "logit_scale", "images_per_s", "loss_scale",
                "skipped", "seconds"), cols);
        try (MetricsLog log = MetricsLog.open(csv, cols, 0)) {
            for (int s = 1; s <= 4; s++) {
                Map<String, Double> v = new LinkedHashMap<>();
                v.put("step", (double) s);
                v.put("loss", 10.0 - s);
                v.put("lr", 1e-4 * s);
                v.put("slra", 0.5);
                log.write(v);
            }
            assertThrows(IllegalArgumentException.class, () -> log.write(Map.of("no_such_column", 1.0)));
        }
        Files.writeString(csv, Files.readString(csv) + "5,0,4.9"); // a row cut by a kill
        Map<String, double[]> m = MetricsLog.read(csv);
        assertArrayEquals(new double[] {9, 8, 7, 6}, m.get("loss"));
        assertTrue(Double.isNaN(m.get("mkcl_i2t")[0]), "a missing value reads as NaN");
        try (MetricsLog log = MetricsLog.open(csv, cols, 2)) {
            log.write(Map.of("step", 3.0, "loss", 1.5));
        }
        assertArrayEquals(new double[] {9, 8, 1.5}, MetricsLog.read(csv).get("loss"), "resume keeps rows up to its step");
        KitException e = assertThrows(KitException.class, () -> MetricsLog.open(csv, MetricsLog.columns(List.of()), 2));
        assertTrue(e.getMessage().contains("has columns"), e.getMessage());
        MetricsLog.plot(csv, "test", tmp.resolve("loss.png"));
        assertTrue(Files.size(tmp.resolve("loss.png")) > 1000);
    }
}
