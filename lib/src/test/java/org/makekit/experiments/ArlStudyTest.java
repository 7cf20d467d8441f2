package org.makekit.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ARL study's saved scores read back as written (NaN included), so a rerun scores nothing twice. */
class ArlStudyTest {
    @Test
    void savedScoresReadBackExactly() {
        Map<String, Double> v = new LinkedHashMap<>();
        v.put("retrieval mean recall", 0.1 / 3);
        v.put("VQA open (diagnosis)", Double.NaN);
        var o = new ArlStudy.Outcome(v, new int[] {0, 7, 3}, new int[] {2, 0, 1}, new boolean[] {true, false}, new boolean[] {false, true, true});
        String json = ArlStudy.write(o, "k");
        var back = ArlStudy.read(org.makekit.util.Json.parse(json).getAsJsonObject());
        assertEquals(v, back.values());
        assertArrayEquals(o.imageToText(), back.imageToText());
        assertArrayEquals(o.textToImage(), back.textToImage());
        assertArrayEquals(o.classification(), back.classification());
        assertArrayEquals(o.vqa(), back.vqa());
    }
}
