package org.makekit.text;

import java.text.Normalizer;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.text.translate.EntityArrays;

/**
 * The text cleaning of CLIP's tokenizer: ftfy's {@code fix_text} (the fixes that matter for
 * captions: HTML entities, terminal escapes, UTF-8/Windows-1252 mojibake, C1 controls, Latin
 * ligatures, full-width characters, curly quotes, control characters, NFC), then Python's
 * {@code html.unescape} twice, then whitespace collapsing, as {@code open_clip.tokenizer} does.
 */
public final class TextCleaner {
    private TextCleaner() {}

    private static final Map<String, String> NAMED = new HashMap<>();
    private static final Map<String, String> LIGATURES = new HashMap<>();

    static {
        for (Map<CharSequence, CharSequence> m : java.util.List.of(EntityArrays.BASIC_UNESCAPE,
                EntityArrays.ISO8859_1_UNESCAPE, EntityArrays.HTML40_EXTENDED_UNESCAPE, EntityArrays.APOS_UNESCAPE)) {
            for (Map.Entry<CharSequence, CharSequence> e : m.entrySet()) {
                String k = e.getKey().toString(); // "&eacute;"
                NAMED.put(k.substring(1, k.length() - 1), e.getValue().toString());
            }
        }
        String[][] lig = {{"Ĳ", "IJ"}, {"ĳ", "ij"}, {"ŉ", "ʼn"}, {"Ǆ", "DŽ"}, {"ǅ", "Dž"}, {"ǆ", "dž"}, {"Ǉ", "LJ"},
            {"ǈ", "Lj"}, {"ǉ", "lj"}, {"Ǌ", "NJ"}, {"ǋ", "Nj"}, {"ǌ", "nj"}, {"Ǳ", "DZ"}, {"ǲ", "Dz"}, {"ǳ", "dz"},
            {"ʣ", "dz"}, {"ʦ", "ts"}, {"ʪ", "ls"}, {"ʫ", "lz"}, {"ﬀ", "ff"}, {"ﬁ", "fi"}, {"ﬂ", "fl"},
            {"ﬃ", "ffi"}, {"ﬄ", "ffl"}, {"ﬅ", "ſt"}, {"ﬆ", "st"}};
        for (String[] l : lig) LIGATURES.put(l[0], l[1]);
    }

    private static final Pattern FTFY_ENTITY = Pattern.compile("&#?[0-9A-Za-z]{1,24};");
    private static final Pattern PY_ENTITY = Pattern.compile("&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\\t\\n\\f <&#;]{1,32};?)");
    private static final Pattern TERMINAL_ESCAPE = Pattern.compile("\u001b\\[((?:\\d|;)*)([a-zA-Z])");
    /** A UTF-8 sequence shown as Windows-1252/Latin-1 characters: a lead byte and its continuation bytes. */
    private static final String CONT = "[\u0080-\u00BF\u20AC\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160"
            + "\u2039\u0152\u017D\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u017E\u0178]";
    private static final Pattern MOJIBAKE = Pattern.compile(
            "[\u00C2-\u00DF]" + CONT + "|[\u00E0-\u00EF]" + CONT + "{2}|[\u00F0-\u00F4]" + CONT + "{3}");
    private static final java.nio.charset.Charset CP1252 = java.nio.charset.Charset.forName("windows-1252");

    /** ftfy.fix_text for the cases captions meet. */
    public static String fixText(String text) {
        if (text.indexOf('<') < 0) text = ftfyUnescape(text); // ftfy leaves text that looks like HTML alone
        text = TERMINAL_ESCAPE.matcher(text).replaceAll("");
        text = fixMojibake(text);
        text = fixC1Controls(text);
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            String s = new String(Character.toChars(cp));
            String lig = LIGATURES.get(s);
            if (lig != null) {
                sb.append(lig);
            } else if (cp == 0x3000) {
                sb.append(' ');
            } else if (cp >= 0xFF01 && cp <= 0xFFEF) {
                sb.append(Normalizer.normalize(s, Normalizer.Form.NFKC));
            } else if (cp == 0x02BC || (cp >= 0x2018 && cp <= 0x201B)) {
                sb.append('\'');
            } else if (cp >= 0x201C && cp <= 0x201F) {
                sb.append('"');
            } else if (!isControl(cp)) {
                sb.appendCodePoint(cp);
            }
        });
        return Normalizer.normalize(sb.toString(), Normalizer.Form.NFC);
    }

    private static boolean isControl(int cp) {
        return (cp <= 0x08) || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F || (cp >= 0x206A && cp <= 0x206F)
                || cp == 0xFEFF || (cp >= 0xFFF9 && cp <= 0xFFFC) || (cp >= 0x1D173 && cp <= 0x1D17A)
                || (cp >= 0xE0000 && cp <= 0xE007F);
    }

    private static String ftfyUnescape(String text) {
        Matcher m = FTFY_ENTITY.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String ent = m.group();
            String rep = entity(ent.substring(1, ent.length() - 1));
            if (rep == null) {
                // ftfy also accepts upper-case named entities such as &EACUTE;
                String lower = ent.substring(1, ent.length() - 1).toLowerCase(java.util.Locale.ROOT);
                rep = ent.startsWith("&#") ? null : NAMED.get(lower);
                if (rep != null) rep = rep.toUpperCase(java.util.Locale.ROOT);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(rep != null ? rep : ent));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Python's html.unescape. */
    public static String htmlUnescape(String text) {
        if (text.indexOf('&') < 0) return text;
        Matcher m = PY_ENTITY.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String body = m.group(1);
            String rep;
            if (body.startsWith("#")) {
                rep = entity(body.endsWith(";") ? body.substring(0, body.length() - 1) : body);
            } else if (body.endsWith(";")) {
                rep = NAMED.get(body.substring(0, body.length() - 1));
                if (rep == null) rep = legacyPrefix(body);
            } else {
                rep = legacyPrefix(body);
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(rep != null ? rep : m.group()));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Entities that HTML5 accepts without a semicolon, as a prefix: "&ampx" becomes "&x". */
    private static String legacyPrefix(String body) {
        for (int i = Math.min(body.length(), 6); i > 1; i--) {
            String name = body.substring(0, i);
            if (LEGACY.contains(name)) return NAMED.get(name) + body.substring(i);
        }
        return null;
    }

    private static final java.util.Set<String> LEGACY = java.util.Set.of("amp", "lt", "gt", "quot", "nbsp", "copy",
            "reg", "AMP", "LT", "GT", "QUOT", "COPY", "REG", "eacute", "egrave", "aacute", "agrave", "uuml", "ouml",
            "auml", "szlig", "deg", "plusmn", "micro", "para", "middot", "frac12", "frac14", "frac34", "times", "divide");

    private static String entity(String body) {
        if (body.startsWith("#")) {
            try {
                int cp = body.length() > 1 && (body.charAt(1) == 'x' || body.charAt(1) == 'X')
                        ? Integer.parseInt(body.substring(2), 16) : Integer.parseInt(body.substring(1));
                if (cp >= 0x80 && cp <= 0x9F) return new String(new byte[] {(byte) cp}, CP1252);
                if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return "\uFFFD";
                return new String(Character.toChars(cp));
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return NAMED.get(body);
    }

    private static String fixMojibake(String text) {
        Matcher m = MOJIBAKE.matcher(text);
        if (!m.find()) return text;
        m.reset();
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String run = m.group();
            String fixed = run;
            byte[] bytes = toCp1252(run);
            if (bytes != null) {
                try {
                    fixed = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                            .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    fixed = run;
                }
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(fixed));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static byte[] toCp1252(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0xFF) {
                out[i] = (byte) c;
            } else {
                byte[] b = String.valueOf(c).getBytes(CP1252);
                if (b.length != 1 || b[0] == '?') return null;
                out[i] = b[0];
            }
        }
        return out;
    }

    private static String fixC1Controls(String text) {
        StringBuilder sb = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80 && c <= 0x9F) {
                if (sb == null) sb = new StringBuilder(text.substring(0, i));
                sb.append(new String(new byte[] {(byte) c}, CP1252));
            } else if (sb != null) {
                sb.append(c);
            }
        }
        return sb == null ? text : sb.toString();
    }

    /** Python's str.isspace(). */
    public static boolean isPythonSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** re.sub(r'\s+', ' ', text).strip(). */
    public static String collapseWhitespace(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        boolean pendingSpace = false;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isPythonSpace(cp)) {
                pendingSpace = sb.length() > 0;
            } else {
                if (pendingSpace) sb.append(' ');
                pendingSpace = false;
                sb.appendCodePoint(cp);
            }
        }
        return sb.toString();
    }

    /** The official basic_clean + whitespace_clean: fix_text, unescape twice, strip, collapse whitespace. */
    public static String clean(String text) {
        String t = fixText(text);
        t = htmlUnescape(htmlUnescape(t));
        return collapseWhitespace(t);
    }

    /** clean(text) lower-cased, as CLIP's tokenizer in clean mode "lower". */
    public static String cleanLower(String text) {
        return clean(text).toLowerCase(java.util.Locale.ROOT);
    }
}
