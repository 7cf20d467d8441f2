package org.makekit.knowledge;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.makekit.util.KitException;
import org.makekit.util.Progress;

/**
 * Knowledge extraction with a large language model, as MAKE did with Qwen2-72B (paper section 2.1):
 * one prompt for the disease aspect, one for the concept aspect, per caption. Answers are cached
 * in JSONL by content hash (model, prompt version, caption), requests run with bounded
 * concurrency, and a run killed at any point resumes without asking a cached question again.
 * Captions whose answers could not be had after retries get masked knowledge and are counted.
 */
public final class LlmExtractor implements KnowledgeExtractor {
    public static final String PROMPT_VERSION = "makekit-v1";
    static final String NO_DIAGNOSIS = "[No definitive diagnosis]";
    static final String NO_ATTRIBUTES = "[No matching attributes]";

    private final LlmClient client;
    private final JsonlCache cache;
    private final Ontology ontology;
    private final List<String> vocabulary;
    private final int concurrency;
    private final boolean showProgress;
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger asked = new AtomicInteger();
    private Knowledge.Templates templates = Knowledge.Templates.DERMATOLOGY;

    /** Uses another domain's openings for the knowledge texts. */
    public LlmExtractor withTemplates(Knowledge.Templates t) {
        this.templates = t;
        return this;
    }

    public LlmExtractor(LlmClient client, JsonlCache cache, Ontology ontology, ConceptLexicon concepts, int concurrency,
                        boolean showProgress) {
        this.client = client;
        this.cache = cache;
        this.ontology = ontology;
        this.vocabulary = concepts.concepts();
        this.concurrency = Math.max(1, concurrency);
        this.showProgress = showProgress;
    }

    @Override
    public String name() {
        return "llm";
    }

    public int failures() {
        return failures.get();
    }

    /** Questions sent to the endpoint in this run (cached ones are not asked). */
    public int asked() {
        return asked.get();
    }

    static String diseaseSystemPrompt() {
        return String.join("\n",
                "You standardise dermatology diagnoses. You read one image caption from a forum, a paper or a clinical note.",
                "Decide whether the caption itself names or clearly states a diagnosis of the pictured skin condition.",
                "Rules: use only disease terms that appear in the caption; leave out body sites, severity and other modifiers;",
                "if the caption gives one unified diagnosis, give that; a systemic disease shown in the skin becomes",
                "'cutaneous <disease> manifestation'; do not answer with 'secondary to' phrases or hyphenated compounds.",
                "Answer with exactly one line: the diagnosis in square brackets, e.g. [psoriasis], or " + NO_DIAGNOSIS
                        + " when the caption gives none.");
    }

    String conceptSystemPrompt() {
        return String.join("\n",
                "You list the visible dermatological attributes that an image caption describes.",
                "Allowed attributes, and no others: " + String.join(", ", vocabulary) + ".",
                "Leave out disease names, body sites and procedures. Keep the order in which the caption mentions them.",
                "Answer with exactly one line: the attributes in square brackets separated by commas, e.g. [erythema, scale],",
                "or " + NO_ATTRIBUTES + " when the caption describes none of them.");
    }

    String key(String kind, String caption) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            String s = client.settings().model() + "\n" + kind + "\n" + PROMPT_VERSION + "\n" + caption;
            return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<Knowledge> extract(List<String> captions) {
        ExecutorService pool = Executors.newFixedThreadPool(concurrency, r -> {
            Thread t = new Thread(r, "llm-request");
            t.setDaemon(true);
            return t;
        });
        List<Future<Knowledge>> futures = new ArrayList<>();
        try (Progress p = showProgress ? new Progress("llm knowledge", captions.size(), "captions") : null) {
            for (String c : captions) {
                futures.add(pool.submit(() -> {
                    Knowledge k = extractOne(c);
                    if (p != null) synchronized (p) {
                        p.step(1);
                    }
                    return k;
                }));
            }
            List<Knowledge> out = new ArrayList<>(captions.size());
            for (Future<Knowledge> f : futures) {
                try {
                    out.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof KitException ke) throw ke;
                    throw new KitException("LLM extraction failed", e.getCause());
                }
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KitException("LLM extraction interrupted; cached answers are kept in " + cache.file());
        } finally {
            pool.shutdownNow();
        }
    }

    Knowledge extractOne(String caption) throws InterruptedException {
        String d = answer("disease", diseaseSystemPrompt(), caption);
        String c = answer("concept", conceptSystemPrompt(), caption);
        String diagnosis = parseDiagnosis(d);
        List<String> concepts = parseConcepts(c, vocabulary);
        return new Knowledge(diagnosis, diagnosis == null ? "" : ontology.caption(diagnosis, templates.diseasePrefix()), concepts,
                Knowledge.conceptCaption(concepts, templates.conceptPrefix()));
    }

    private String answer(String kind, String system, String caption) throws InterruptedException {
        String key = key(kind, caption);
        String cached = cache.get(key);
        if (cached != null) return cached;
        asked.incrementAndGet();
        try {
            String a = client.chat(system, "Caption: " + caption);
            cache.put(key, kind, a);
            return a;
        } catch (KitException e) {
            if (e.getMessage().contains("answered HTTP 4")) throw e; // wrong model or key: every request would fail
            failures.incrementAndGet();
            return null; // not cached: asked again on the next run
        }
    }

    static String bracketed(String answer) {
        if (answer == null) return null;
        String a = answer.strip();
        int open = a.indexOf('[');
        int close = a.lastIndexOf(']');
        return open >= 0 && close > open ? a.substring(open + 1, close).strip() : a;
    }

    static String parseDiagnosis(String answer) {
        String b = bracketed(answer);
        if (b == null || b.isEmpty() || b.toLowerCase(Locale.ROOT).startsWith("no definitive")) return null;
        return b.toLowerCase(Locale.ROOT);
    }

    static List<String> parseConcepts(String answer, List<String> vocabulary) {
        List<String> out = new ArrayList<>();
        String b = bracketed(answer);
        if (b == null || b.isEmpty() || b.toLowerCase(Locale.ROOT).startsWith("no matching")) return out;
        for (String part : b.split(",")) {
            String t = part.strip().toLowerCase(Locale.ROOT);
            for (String v : vocabulary) {
                if (v.equalsIgnoreCase(t) && !out.contains(v)) out.add(v); // only the fixed vocabulary counts
            }
        }
        return out;
    }
}
