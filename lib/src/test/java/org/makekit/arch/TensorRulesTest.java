package org.makekit.arch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tensor memory rule, enforced on the sources: only {@code org.makekit.util.Tensors} builds
 * arrays from Java data ({@code manager.create(...)}) and passes Java numbers to
 * mul/div/add/sub/maximum/minimum/pow. Anywhere else that would put a Java-backed tensor where
 * autograd may read it after the GC freed it. A line outside any graph may opt out with the
 * comment {@code // no graph} (and says why).
 */
public class TensorRulesTest {
    static final Pattern OP = Pattern.compile("\\.(mul|div|add|sub|maximum|minimum|pow)\\(");
    static final Pattern CREATE = Pattern.compile("([\\w.()]+)\\.create\\(\\s*[^)\\s]");
    static final Pattern NUMERIC_DECL = Pattern.compile(
            "\\b(?:double|float|int|long|short|byte|Double|Float|Integer|Long|Short|Number)\\s+(\\w+)\\s*[,;=)]");
    static final Pattern ARRAY_DECL = Pattern.compile("\\b(?:NDArray|NDList)\\s+(\\w+)\\b");
    static final Pattern OTHER_DECL = Pattern.compile("\\b(?!NDArray\\b)[A-Z]\\w*(?:<[^;=()]*>)?(?:\\[\\])*\\s+(\\w+)\\s*[,;=)]");
    static final Pattern RECEIVER = Pattern.compile("(\\w+)\\s*$");
    static final Pattern MANAGER_DECL = Pattern.compile("\\bNDManager\\s+(\\w+)\\b");
    static final Pattern ATOM = Pattern.compile("\\d[\\w.]*|((?:[A-Za-z_]\\w*\\.)*)([A-Za-z_]\\w*)(\\s*\\()?");
    /** Methods and record components that return a Java number, in any main source (config.lnEps(), o.lambdaM()). */
    static final Pattern NUMERIC_METHOD = Pattern.compile("\\b(?:double|float|int|long|short|byte)\\s+(\\w+)\\s*\\(");
    static final Pattern RECORD_HEADER = Pattern.compile("\\brecord\\s+\\w+\\s*\\(([^)]*)\\)");
    static final Pattern COMPONENT = Pattern.compile("\\b(?:double|float|int|long|short|byte)\\s+(\\w+)");

    /** Main sources: the library, the scripts and the bench script. */
    static List<Path> mainSources() throws IOException {
        Path lib = Path.of("src/main/java");
        List<Path> out = new ArrayList<>();
        for (Path root : List.of(lib, Path.of("../scripts"), Path.of("../bench"))) {
            if (!Files.isDirectory(root)) continue;
            try (Stream<Path> s = Files.walk(root)) {
                s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(out::add);
            }
        }
        assertTrue(out.size() > 50, "found the main sources: " + out.size());
        return out;
    }

    @Test
    void onlyTensorsBuildsArraysFromJavaDataOrTakesJavaNumbersAsOperands() throws IOException {
        List<Path> files = mainSources();
        Set<String> numericMethods = new HashSet<>();
        for (Path f : files) numericMethods.addAll(numericMethods(Files.readString(f)));
        List<String> violations = new ArrayList<>();
        for (Path f : files) {
            if (f.endsWith(Path.of("org/makekit/util/Tensors.java"))) continue;
            violations.addAll(violations(f.toString(), Files.readString(f), numericMethods));
        }
        assertEquals(List.of(), violations, "use org.makekit.util.Tensors (of, scalar, mul, div, ...) instead");
    }

    @Test
    void theScanCatchesTheKnownBadShapes() {
        String src = """
                class X {
                    double sum = 2;
                    NDArray f(NDArray values, NDManager m, NDArray norm, long b) {
                        NDArray a = values.mul(wa).sum().div(sum);
                        NDArray c = values.mul(1.702);
                        NDArray d = values.maximum(1e-12);
                        NDArray e = values.div(norm);
                        NDArray g = m.create(new float[] {1f});
                        NDArray h = values.div(Math.sqrt(b));
                        NDArray i = values.mul(o.lambdaM());
                        NDArray k = values.add(config.lnEps()).sqrt();
                        NDArray j = values.mul(2); // no graph: evaluation only
                        List<Double> times = new ArrayList<>();
                        times.add(sum);
                        times.add("" + b);
                        return values.sub(b * 2);
                    }
                    record O(double lambdaM) {}
                }
                """;
        List<String> v = violations("X.java", src, numericMethods(src + "record C(double lnEps) {}"));
        assertEquals(8, v.size(), String.join("\n", v));
        assertTrue(v.get(0).contains("X.java:4"), v.get(0));
    }

    /** Names of methods and record components declared to return a Java number. */
    static Set<String> numericMethods(String src) {
        Set<String> out = names(NUMERIC_METHOD, src);
        Matcher r = RECORD_HEADER.matcher(src);
        while (r.find()) out.addAll(names(COMPONENT, r.group(1)));
        return out;
    }

    static List<String> violations(String file, String src, Set<String> numericMethods) {
        Set<String> numeric = names(NUMERIC_DECL, src);
        Set<String> arrays = names(ARRAY_DECL, src);
        numeric.removeAll(arrays); // a name used for both is left to review, not guessed
        Set<String> managers = names(MANAGER_DECL, src);
        Set<String> others = names(OTHER_DECL, src); // lists, sets, builders: their add() is not tensor arithmetic
        others.removeAll(arrays);
        List<String> out = new ArrayList<>();
        String[] lines = src.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String code = line.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
            if (code.strip().startsWith("*") || code.strip().startsWith("//") || code.contains("// no graph")) continue;
            Matcher m = OP.matcher(code);
            while (m.find()) {
                String arg = argument(code, m.end());
                if (arg != null && isArray(code.substring(0, m.start()), arrays, others) && isJavaNumber(arg, numeric, numericMethods)) {
                    out.add(file + ":" + (i + 1) + ": Java number operand in ." + m.group(1) + "(" + arg + ")");
                }
            }
            Matcher c = CREATE.matcher(code);
            while (c.find()) {
                String recv = c.group(1);
                String last = recv.substring(recv.lastIndexOf('.') + 1);
                if (managers.contains(recv) || last.endsWith("anager()") || last.equals("getManager()")) {
                    out.add(file + ":" + (i + 1) + ": array from Java data via " + recv + ".create(...)");
                }
            }
        }
        return out;
    }

    static Set<String> names(Pattern p, String src) {
        Set<String> s = new HashSet<>();
        Matcher m = p.matcher(src);
        while (m.find()) s.add(m.group(1));
        return s;
    }

    /** The text of the call's single argument, or null when it spans lines or has several. */
    static String argument(String line, int from) {
        int depth = 1;
        for (int j = from; j < line.length(); j++) {
            char ch = line.charAt(j);
            if (ch == '(') depth++;
            else if (ch == ')' && --depth == 0) return line.substring(from, j).strip();
            else if (ch == ',' && depth == 1) return null;
        }
        return null;
    }

    /** Whether the receiver before {@code .op(} may be an array: an expression, or a name not declared as something else. */
    static boolean isArray(String before, Set<String> arrays, Set<String> others) {
        Matcher r = RECEIVER.matcher(before);
        if (!r.find()) return true; // a call chain or an indexed value
        return arrays.contains(r.group(1)) || !others.contains(r.group(1));
    }

    /** True when every atom of the expression is a literal, a Math function or constant, or a name declared as a Java number. */
    static boolean isJavaNumber(String arg, Set<String> numeric, Set<String> numericMethods) {
        if (arg.contains("\"")) return false; // string concatenation
        Matcher m = ATOM.matcher(arg.replaceAll("\\((?:double|float|int|long)\\)", ""));
        boolean any = false;
        while (m.find()) {
            any = true;
            if (m.group(2) == null || "Math.".equals(m.group(1))) continue; // a literal, or Math.*
            boolean call = m.group(3) != null; // a qualified call such as config.lnEps() is judged by its last name
            if (!(call ? numericMethods.contains(m.group(2)) : numeric.contains(m.group(2)))) return false;
        }
        return any;
    }
}
