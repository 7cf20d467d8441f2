package org.makekit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.makekit.util.SharedPaths;

/** Access to ../shared/golden and tolerance checks for tests. */
public final class Golden {
    private Golden() {}

    public static Path dir(String name) {
        return SharedPaths.shared().resolve("golden").resolve(name);
    }

    public static JsonObject json(Path file) {
        try {
            return org.makekit.util.Json.parse(Files.readString(file)).getAsJsonObject();
        } catch (IOException e) {
            throw new AssertionError("cannot read golden " + file, e);
        }
    }

    public static double[] flat(JsonElement e) {
        java.util.List<Double> out = new java.util.ArrayList<>();
        flatten(e, out);
        double[] d = new double[out.size()];
        for (int i = 0; i < d.length; i++) d[i] = out.get(i);
        return d;
    }

    private static void flatten(JsonElement e, java.util.List<Double> out) {
        if (e.isJsonArray()) {
            for (JsonElement c : e.getAsJsonArray()) flatten(c, out);
        } else {
            out.add(e.isJsonNull() ? Double.NaN : e.getAsDouble()); // null: NaN or "no value" in the goldens
        }
    }

    public static long[] shapeOf(JsonElement e) {
        java.util.List<Long> s = new java.util.ArrayList<>();
        while (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            s.add((long) a.size());
            if (a.size() == 0) break;
            e = a.get(0);
        }
        return s.stream().mapToLong(Long::longValue).toArray();
    }

    public static double[] toDoubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** Max absolute difference, failing with the worst index if over {@code tol}. */
    public static double assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (Double.isNaN(actual[i]) || d > worst) {
                worst = Double.isNaN(actual[i]) ? Double.POSITIVE_INFINITY : d;
                at = i;
            }
        }
        if (worst > tol) {
            fail(what + ": max |diff| " + worst + " > " + tol + " at " + at + " (expected " + expected[at] + ", got "
                    + actual[at] + ")");
        }
        return worst;
    }

    /** Relative check: |e-a| <= rtol*max(|e|, floor). */
    public static void assertRelClose(double[] expected, double[] actual, double rtol, double floor, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double tol = rtol * Math.max(Math.abs(expected[i]), floor);
            if (!(Math.abs(expected[i] - actual[i]) <= tol)) {
                fail(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + " (rtol " + rtol + ")");
            }
        }
    }
}
