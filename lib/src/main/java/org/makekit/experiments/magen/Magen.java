package org.makekit.experiments.magen;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.makekit.data.ImageTextPairs;
import org.makekit.data.TrainingTable;
import org.makekit.eval.Embedder;
import org.makekit.eval.ZeroShotClassifier;
import org.makekit.eval.ZeroShotEval;
import org.makekit.knowledge.Augmenter;
import org.makekit.knowledge.JsonlCache;
import org.makekit.knowledge.Knowledge;
import org.makekit.knowledge.KnowledgeExtractor;
import org.makekit.knowledge.LlmClient;
import org.makekit.knowledge.Ontology;
import org.makekit.knowledge.OntologyExtractor;
import org.makekit.model.ClipModel;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;

/**
 * MAGEN, O-MAKE's multi-agent data generation (seed 000; official {@code magen/}), steps 0 to 4:
 * <ol start="0">
 *   <li>flag pairs whose caption agrees poorly with the image under a kit model (cosine of the image
 *       with its own caption; the threshold is a quantile of the scores, since the official 0.7 belongs
 *       to DermLIP-PanDerm);</li>
 *   <li>a top-k disease shortlist from the kit model's zero-shot probabilities ("no definitive
 *       diagnosis" dropped and the rest renormalised, as step 1 does);</li>
 * </ol>
 * agent 1 writes a morphology card per disease with a text LLM; agent 2 a new caption per flagged
 * image with a vision-language model given the image, the shortlist and the cards; agent 3 verifies
 * the diagnosis against the image, a shortlist of raw probabilities at or above 0.3 and the cards,
 * answering JSON {diagnosis, corrected_caption_paragraph}; a malformed or truncated answer keeps the
 * caption before verification and the row's diagnosis, and is counted. Step 4 writes the training
 * table as {@code augment} does, the ontology caption from the verified diagnosis.
 *
 * <p>Every step keeps its answers in a JSONL file in the work folder, written as they come: a killed
 * run resumes and asks nothing twice. Without an agent endpoint the agents are skipped with a
 * message and flagged rows keep their captions: the kit never writes captions of its own.
 */
public final class Magen {
    /** Bump when a prompt changes: cached answers of other prompts are not reused. */
    public static final String PROMPT_VERSION = "magen-v1";
    public static final String NO_DIAGNOSIS = "no definitive diagnosis";

    /**
     * @param flagQuantile share of pairs flagged as low quality (the lowest image-caption scores)
     * @param topK         shortlist length (5)
     * @param cardThreshold agent 3's shortlist keeps raw probabilities at or above this (0.3)
     * @param cardTokens   agent 1's max_new_tokens (256)
     * @param captionTokens agent 2's max_new_tokens (128)
     * @param verifyTokens agent 3's max_new_tokens (128; may cut the JSON, which is then counted)
     * @param workers      concurrent agent requests
     */
    public record Options(double flagQuantile, int topK, double cardThreshold, int cardTokens, int captionTokens,
                          int verifyTokens, int workers) {
        public static Options defaults() {
            return new Options(0.46, 5, 0.3, 256, 128, 128, 4);
        }
    }

    /** One pair: image (relative to the image root), caption, the row's label (its diagnosis, may be empty) and split. */
    public record Pair(String image, String caption, String label, String split) {}

    /** A shortlist: the top diseases by renormalised probability (step 1) and by raw probability (step 3). */
    public record Shortlist(List<String> names, double[] probs, List<String> rawNames, double[] rawProbs) {}

    /** What agent 3 decided for a row. */
    public record Verdict(String diagnosis, String caption, String status) {}

    /** What a run did, in counts. */
    public record Report(int pairs, int flagged, double threshold, int cards, int captioned, int verified, int changed,
                         int malformed, int truncated, String agents, Path table) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d pairs, %d flagged (score < %.4f); %d cards, %d captions, %d verified "
                    + "(%d diagnoses changed; kept as before: %d malformed, %d truncated answers); agents: %s; table %s",
                    pairs, flagged, threshold, cards, captioned, verified, changed, malformed, truncated, agents, table);
        }
    }

    private final Path work;
    private final Options o;
    private final LlmClient text;
    private final LlmClient vision;

    /**
     * @param work   folder for the step files and caches
     * @param text   agent 1's endpoint, or null to skip the agents
     * @param vision agents 2 and 3's endpoint, or null to skip the agents
     */
    public Magen(Path work, Options o, LlmClient text, LlmClient vision) {
        this.work = work;
        this.o = o;
        this.text = text;
        this.vision = vision;
        try {
            Files.createDirectories(work);
        } catch (IOException e) {
            throw new KitException("cannot create " + work, e);
        }
    }

    /**
     * An agent endpoint from an option or the environment ({@code MAKEKIT_MAGEN_<ROLE>_URL} and
     * {@code _MODEL}; the key from MAKEKIT_LLM_API_KEY or OPENAI_API_KEY, never logged), or null when
     * no URL is set (the agents are then skipped).
     */
    public static LlmClient client(String role, String url, String model, java.time.Duration timeout) {
        String u = url != null ? url : System.getenv("MAKEKIT_MAGEN_" + role + "_URL");
        if (u == null || u.isBlank()) return null;
        String mdl = model != null ? model : System.getenv().getOrDefault("MAKEKIT_MAGEN_" + role + "_MODEL", "default");
        String key = System.getenv("MAKEKIT_LLM_API_KEY") != null ? System.getenv("MAKEKIT_LLM_API_KEY") : System.getenv("OPENAI_API_KEY");
        return new LlmClient(new LlmClient.Settings(u, mdl, key, timeout, 5, java.time.Duration.ofMillis(500)));
    }

    /** Pairs from a CSV with columns image, caption and optionally label and split. */
    public static List<Pair> readPairs(Path csv) {
        List<Pair> out = new ArrayList<>();
        try (var r = Files.newBufferedReader(csv, StandardCharsets.UTF_8);
             var p = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build().parse(r)) {
            for (String c : List.of("image", "caption")) {
                if (!p.getHeaderNames().contains(c)) throw new KitException(csv + ": no column '" + c + "' (have " + p.getHeaderNames() + ")");
            }
            boolean hasLabel = p.getHeaderNames().contains("label");
            boolean hasSplit = p.getHeaderNames().contains("split");
            for (var rec : p) {
                if (rec.get("image").isBlank()) throw new KitException(csv + ", line " + p.getCurrentLineNumber() + ", column 'image': empty");
                out.add(new Pair(rec.get("image"), rec.get("caption"), hasLabel ? rec.get("label") : "", hasSplit ? rec.get("split") : ""));
            }
        } catch (IOException e) {
            throw new KitException("cannot read " + csv, e);
        }
        if (out.isEmpty()) throw new KitException(csv + " has no rows");
        return out;
    }

    public boolean agentsAvailable() {
        return text != null && vision != null;
    }

    // ------------------------------------------------------------------ steps 0 and 1: the kit's model

    /** Step 0: per pair, the cosine of its image and its own caption (cached by image and caption). */
    public double[] scores(List<Pair> pairs, Path imageRoot, ClipModel model, Tokenizer tok) {
        double[] out = new double[pairs.size()];
        try (JsonlCache cache = new JsonlCache(work.resolve("0_scores.jsonl"))) {
            List<Integer> todo = new ArrayList<>();
            for (int i = 0; i < pairs.size(); i++) {
                String v = cache.get(key(pairs.get(i)));
                if (v == null) todo.add(i);
                else out[i] = Double.parseDouble(v);
            }
            Embedder emb = new Embedder(model, tok, 64);
            for (int s = 0; s < todo.size(); s += 256) {
                List<Integer> chunk = todo.subList(s, Math.min(todo.size(), s + 256));
                float[][] img = emb.images(chunk.stream().map(i -> imageRoot.resolve(pairs.get(i).image())).toList(), false);
                float[][] txt = emb.texts(chunk.stream().map(i -> pairs.get(i).caption()).toList(), false);
                for (int k = 0; k < chunk.size(); k++) {
                    double d = 0;
                    for (int j = 0; j < img[k].length; j++) d += (double) img[k][j] * txt[k][j];
                    out[chunk.get(k)] = d;
                    cache.put(key(pairs.get(chunk.get(k))), "score", Double.toString(d));
                }
            }
        }
        return out;
    }

    /** The flag threshold: the {@code flagQuantile} quantile of the scores; pairs below it are flagged. */
    public double threshold(double[] scores) {
        double[] s = scores.clone();
        java.util.Arrays.sort(s);
        return org.makekit.eval.Bootstrap.quantile(s, o.flagQuantile());
    }

    /** Flagged: below the threshold (every pair when the quantile is 1). */
    boolean flagged(double score, double thr) {
        return o.flagQuantile() >= 1 || score < thr;
    }

    /** Step 1 (and step 3's raw list): zero-shot probabilities over {@code diseases} (100 x cosine, softmax), cached by image. */
    public Map<String, Shortlist> shortlists(List<Pair> pairs, Path imageRoot, ClipModel model, Tokenizer tok, List<String> diseases) {
        Map<String, Shortlist> out = new LinkedHashMap<>();
        try (JsonlCache cache = new JsonlCache(work.resolve("1_shortlist.jsonl"))) {
            List<Pair> todo = new ArrayList<>();
            for (Pair p : pairs) {
                String v = cache.get(p.image() + "|" + String.join(";", diseases));
                if (v == null) todo.add(p);
                else out.put(p.image(), shortlist(diseases, parse(v)));
            }
            if (!todo.isEmpty()) {
                NDArray w = ZeroShotClassifier.build(model, tok, diseases, ZeroShotEval.templates());
                float[] wf = w.toType(DataType.FLOAT32, false).toFloatArray();
                int c = diseases.size();
                Embedder emb = new Embedder(model, tok, 64);
                float[][] img = emb.images(todo.stream().map(p -> imageRoot.resolve(p.image())).toList(), false);
                for (int i = 0; i < todo.size(); i++) {
                    double[] logits = new double[c];
                    for (int k = 0; k < c; k++) {
                        double d = 0;
                        for (int j = 0; j < img[i].length; j++) d += (double) img[i][j] * wf[j * c + k];
                        logits[k] = 100 * d;
                    }
                    double[] probs = org.makekit.eval.Metrics.softmax(new double[][] {logits})[0];
                    cache.put(todo.get(i).image() + "|" + String.join(";", diseases), "probs", format(probs));
                    out.put(todo.get(i).image(), shortlist(diseases, probs));
                }
            }
        }
        return out;
    }

    /** Step 1's top-k after dropping "no definitive diagnosis" and renormalising; step 3's top-k of the raw probabilities. */
    Shortlist shortlist(List<String> diseases, double[] probs) {
        double[] p = probs.clone();
        for (int k = 0; k < p.length; k++) if (diseases.get(k).equalsIgnoreCase(NO_DIAGNOSIS)) p[k] = 0;
        double z = 0;
        for (double v : p) z += v;
        for (int k = 0; k < p.length; k++) p[k] = z > 0 ? p[k] / z : 0;
        int[] top = top(p, o.topK());
        int[] raw = top(probs, o.topK());
        List<String> names = new ArrayList<>();
        double[] tp = new double[top.length];
        for (int k = 0; k < top.length; k++) {
            names.add(diseases.get(top[k]));
            tp[k] = p[top[k]];
        }
        List<String> rawNames = new ArrayList<>();
        double[] rp = new double[raw.length];
        for (int k = 0; k < raw.length; k++) {
            rawNames.add(diseases.get(raw[k]));
            rp[k] = probs[raw[k]];
        }
        return new Shortlist(names, tp, rawNames, rp);
    }

    private static int[] top(double[] p, int k) {
        Integer[] idx = new Integer[p.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> Double.compare(p[b], p[a]));
        int n = Math.min(k, p.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = idx[i];
        return out;
    }

    // ------------------------------------------------------------------ the agents

    static final String CARD_SYSTEM = "You write disease cards for dermatology image captioning. Given a disease name and what is "
            + "known about it, write a morphology-only card of at most 120 tokens with exactly these fields:\n"
            + "NAME: the disease\nPOS: 3-8 hallmark visual cues (morphology, colour, surface, border, distribution)\n"
            + "SITES: typical body sites\nMINSET: 2-4 cues that together suffice to recognise it\n"
            + "No treatment, no epidemiology, no history.";

    static final String CAPTION_SYSTEM = "You are a dermatologist describing a clinical or dermoscopic image for a medical "
            + "image-text dataset.";

    static final String CAPTION_INSTRUCTION = "Describe the skin condition in the image in 3-5 sentences: the lesion's morphology, "
            + "colour, surface, border, distribution and body site, then the most likely diagnosis. Use the candidate "
            + "diagnoses and their cards as a prior, but describe only what the image shows.";

    static final String VERIFY_SYSTEM = "You verify the diagnosis in a dermatology image caption.";

    /** Agent 3's decision rule, as the official prompt's steps 1-7. */
    static final String VERIFY_RULES = "Rules:\n"
            + "1. The morphology and site seen in the image and described in the caption are the primary evidence.\n"
            + "2. The candidate list is a prior; it must not override that evidence.\n"
            + "3. Compare the evidence with each candidate card's POS, MINSET and SITES; MINSET weighs most.\n"
            + "4. Choose the most consistent diagnosis.\n"
            + "5. On a tie, take the candidate with the higher probability.\n"
            + "6. If nothing fits or your confidence is low, keep the caption's diagnosis.\n"
            + "7. Change only the disease name in the caption: keep morphology and site, add no facts.\n"
            + "Answer with JSON only: {\"diagnosis\": \"...\", \"corrected_caption_paragraph\": \"...\"}";

    /** Agent 1: one card per disease (cached by disease, model and prompt version). */
    public Map<String, String> cards(List<String> diseases, Map<String, String> knowledge) throws InterruptedException {
        Map<String, String> out = new LinkedHashMap<>();
        if (!agentsAvailable()) return out;
        try (JsonlCache cache = new JsonlCache(work.resolve("agent1_cards.jsonl"))) {
            List<String> todo = new ArrayList<>();
            for (String d : new LinkedHashSet<>(diseases)) {
                if (d.equalsIgnoreCase(NO_DIAGNOSIS)) continue;
                String v = cache.get(cacheKey(text, d));
                if (v != null) out.put(d, v);
                else todo.add(d);
            }
            run(todo, d -> {
                String user = "NAME: " + d + "\n" + knowledge.getOrDefault(d, "");
                String card = text.chat(jsonArray(CARD_SYSTEM, user), o.cardTokens()).content().strip();
                cache.put(cacheKey(text, d), "card", card);
                synchronized (out) {
                    out.put(d, card);
                }
            });
        }
        return out;
    }

    /** The card for a disease: an exact match on a comma-separated variant of a card's name, else the first substring match in name order. */
    static String card(Map<String, String> cards, String disease) {
        String d = disease.strip().toLowerCase(Locale.ROOT);
        for (Map.Entry<String, String> e : cards.entrySet()) {
            for (String v : e.getKey().split(",")) if (v.strip().toLowerCase(Locale.ROOT).equals(d)) return e.getValue();
        }
        for (String k : new java.util.TreeSet<>(cards.keySet())) {
            String kl = k.toLowerCase(Locale.ROOT);
            if (kl.contains(d) || d.contains(kl)) return cards.get(k);
        }
        return "[Card not available]";
    }

    /** Agent 2's user prompt: the shortlist, the cards of its diseases, the instruction. */
    String captionPrompt(Shortlist s, Map<String, String> cards) {
        StringBuilder sb = new StringBuilder("Top " + s.names().size() + " possible diagnoses: " + String.join(", ", s.names()) + ".\n");
        for (String n : s.names()) sb.append("\nCard for ").append(n).append(":\n").append(card(cards, n)).append('\n');
        return sb.append('\n').append(CAPTION_INSTRUCTION).toString();
    }

    /** Agent 3's user prompt: the caption, the raw shortlist at or above the threshold ("name (p) | ..."), the cards, the rules. */
    String verifyPrompt(String caption, Shortlist s, Map<String, String> cards) {
        List<String> items = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        for (int k = 0; k < s.rawNames().size(); k++) {
            if (s.rawProbs()[k] >= o.cardThreshold()) {
                items.add(String.format(Locale.ROOT, "%s (%.2f)", s.rawNames().get(k), s.rawProbs()[k]));
                kept.add(s.rawNames().get(k));
            }
        }
        StringBuilder sb = new StringBuilder("Caption: ").append(caption).append("\n\nCandidate diagnoses: ")
                .append(items.isEmpty() ? "None above threshold" : String.join(" | ", items)).append('\n');
        for (String n : kept) sb.append("\nCard for ").append(n).append(":\n").append(card(cards, n)).append('\n');
        return sb.append('\n').append(VERIFY_RULES).toString();
    }

    /** Agent 2: a new caption per flagged pair (cached by image, prompt and model). */
    public Map<String, String> captions(List<Pair> flagged, Path imageRoot, Map<String, Shortlist> shortlists,
                                        Map<String, String> cards) throws InterruptedException {
        Map<String, String> out = new LinkedHashMap<>();
        if (!agentsAvailable()) return out;
        try (JsonlCache cache = new JsonlCache(work.resolve("agent2_captions.jsonl"))) {
            List<Pair> todo = new ArrayList<>();
            for (Pair p : flagged) {
                String v = cache.get(cacheKey(vision, p.image() + "|" + captionPrompt(shortlists.get(p.image()), cards)));
                if (v != null) out.put(p.image(), v);
                else todo.add(p);
            }
            run(todo, p -> {
                String prompt = captionPrompt(shortlists.get(p.image()), cards);
                LlmClient.Reply r = vision.chatWithImages(CAPTION_SYSTEM, prompt, List.of(imageRoot.resolve(p.image())), o.captionTokens());
                String caption = r.content().strip();
                cache.put(cacheKey(vision, p.image() + "|" + prompt), "caption", caption);
                synchronized (out) {
                    out.put(p.image(), caption);
                }
            });
        }
        return out;
    }

    /** Agent 3: a verdict per flagged pair (its draft caption from agent 2); malformed and truncated answers keep the draft. */
    public Map<String, Verdict> verify(List<Pair> flagged, Path imageRoot, Map<String, String> drafts, Map<String, Shortlist> shortlists,
                                       Map<String, String> cards) throws InterruptedException {
        Map<String, Verdict> out = new LinkedHashMap<>();
        if (!agentsAvailable()) return out;
        try (JsonlCache cache = new JsonlCache(work.resolve("agent3_verify.jsonl"))) {
            List<Pair> todo = new ArrayList<>();
            for (Pair p : flagged) {
                String draft = drafts.getOrDefault(p.image(), p.caption());
                String k = cacheKey(vision, p.image() + "|" + verifyPrompt(draft, shortlists.get(p.image()), cards));
                String v = cache.get(k);
                if (v != null) out.put(p.image(), verdict(v, p, draft));
                else todo.add(p);
            }
            run(todo, p -> {
                String draft = drafts.getOrDefault(p.image(), p.caption());
                String prompt = verifyPrompt(draft, shortlists.get(p.image()), cards);
                LlmClient.Reply r = vision.chatWithImages(VERIFY_SYSTEM, prompt, List.of(imageRoot.resolve(p.image())), o.verifyTokens());
                JsonObject stored = new JsonObject();
                stored.addProperty("content", r.content());
                stored.addProperty("finish_reason", r.finishReason());
                cache.put(cacheKey(vision, p.image() + "|" + prompt), "verdict", stored.toString());
                synchronized (out) {
                    out.put(p.image(), verdict(stored.toString(), p, draft));
                }
            });
        }
        return out;
    }

    /** Parses agent 3's stored answer (code fences tolerated); an unusable one keeps the draft and the row's diagnosis. */
    static Verdict verdict(String stored, Pair p, String draft) {
        JsonObject s = org.makekit.util.Json.parse(stored).getAsJsonObject();
        String content = s.get("content").getAsString().strip();
        boolean cut = "length".equals(s.get("finish_reason").getAsString());
        String body = content.replaceAll("(?s)^```(?:json)?\\s*", "").replaceAll("(?s)\\s*```\\s*$", "");
        try {
            JsonObject j = org.makekit.util.Json.parse(body).getAsJsonObject();
            String dx = j.get("diagnosis").getAsString().strip();
            String cap = j.get("corrected_caption_paragraph").getAsString().strip();
            if (dx.isEmpty() || cap.isEmpty()) throw new IllegalStateException("empty field");
            return new Verdict(dx, cap, "ok");
        } catch (RuntimeException e) {
            return new Verdict(p.label(), draft, cut ? "truncated" : "malformed");
        }
    }

    // ------------------------------------------------------------------ the whole pipeline and step 4

    /**
     * Steps 0-4 on {@code pairs}: score and flag with {@code model}, shortlist over {@code diseases}, the
     * agents on the flagged pairs (skipped with a message when no endpoint is set), then the training
     * table {@code work/train-table.csv}.
     */
    public Report run(List<Pair> pairs, Path imageRoot, ClipModel model, Tokenizer tok, List<String> diseases,
                      Map<String, String> knowledge, Ontology ontology) throws InterruptedException {
        double[] scores = scores(pairs, imageRoot, model, tok);
        double thr = threshold(scores);
        List<Pair> flagged = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) if (flagged(scores[i], thr)) flagged.add(pairs.get(i));
        writeScores(pairs, scores, thr);
        Map<String, Shortlist> lists = shortlists(flagged, imageRoot, model, tok, diseases);
        Map<String, String> cards = Map.of();
        Map<String, String> drafts = Map.of();
        Map<String, Verdict> verdicts = Map.of();
        String agents;
        if (agentsAvailable()) {
            cards = cards(diseases, knowledge);
            drafts = captions(flagged, imageRoot, lists, cards);
            verdicts = verify(flagged, imageRoot, drafts, lists, cards);
            agents = "text " + text.settings().model() + ", vision " + vision.settings().model();
        } else {
            agents = "skipped (no endpoint: set --llm-url/--vlm-url or MAKEKIT_MAGEN_LLM_URL/MAKEKIT_MAGEN_VLM_URL);"
                    + " flagged rows keep their captions";
            System.err.println("MAGEN: agents " + agents);
        }
        int changed = 0;
        int malformed = 0;
        int truncated = 0;
        List<Pair> rewritten = new ArrayList<>();
        Map<Integer, String> diagnosis = new LinkedHashMap<>();
        for (int i = 0; i < pairs.size(); i++) {
            Pair p = pairs.get(i);
            Verdict v = verdicts.get(p.image());
            String cap = v != null ? v.caption() : drafts.getOrDefault(p.image(), p.caption());
            if (v != null) {
                if (v.status().equals("malformed")) malformed++;
                if (v.status().equals("truncated")) truncated++;
                if (v.status().equals("ok") && !v.diagnosis().equalsIgnoreCase(p.label())) changed++;
                if (v.status().equals("ok")) diagnosis.put(i, v.diagnosis());
            }
            rewritten.add(new Pair(p.image(), cap, p.label(), p.split()));
        }
        Path table = step4(rewritten, imageRoot, diagnosis, ontology);
        return new Report(pairs.size(), flagged.size(), thr, cards.size(), drafts.size(), verdicts.size(), changed, malformed,
                truncated, agents, table);
    }

    /** Step 4: the training table (augment's columns); a verified diagnosis gives the row's disease text through the ontology. */
    public Path step4(List<Pair> pairs, Path imageRoot, Map<Integer, String> verified, Ontology ontology) {
        Path csv = work.resolve("4_pairs.csv");
        try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            p.printRecord("image", "caption", "label", "split");
            for (Pair x : pairs) p.printRecord(imageRoot.resolve(x.image()).toAbsolutePath().normalize().toString(), x.caption(), x.label(), x.split());
        } catch (IOException e) {
            throw new KitException("cannot write " + csv, e);
        }
        var read = ImageTextPairs.read(csv, ImageTextPairs.Columns.defaults(), null, null, false);
        KnowledgeExtractor base = OntologyExtractor.builtin();
        KnowledgeExtractor withVerdicts = new KnowledgeExtractor() {
            public List<Knowledge> extract(List<String> captions) {
                List<Knowledge> k = new ArrayList<>(base.extract(captions));
                for (Map.Entry<Integer, String> e : verified.entrySet()) {
                    Knowledge old = k.get(e.getKey());
                    k.set(e.getKey(), new Knowledge(e.getValue(), ontology.caption(e.getValue()), old.concepts(), old.conceptCaption()));
                }
                return k;
            }

            public String name() {
                return "ontology, with MAGEN's verified diagnoses";
            }
        };
        Path table = work.resolve("train-table.csv");
        TrainingTable.write(table, new Augmenter(withVerdicts).augment(read.pairs(), 0).rows());
        return table;
    }

    private void writeScores(List<Pair> pairs, double[] scores, double thr) {
        Path f = work.resolve("0_scores.csv");
        try (BufferedWriter w = Files.newBufferedWriter(f, StandardCharsets.UTF_8); CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT)) {
            p.printRecord("image", "score", "flagged");
            for (int i = 0; i < pairs.size(); i++) p.printRecord(pairs.get(i).image(), scores[i], flagged(scores[i], thr) ? 1 : 0);
        } catch (IOException e) {
            throw new KitException("cannot write " + f, e);
        }
    }

    // ------------------------------------------------------------------ helpers

    @FunctionalInterface
    interface Job<T> {
        void run(T item) throws InterruptedException;
    }

    /** Runs a job per item on the worker pool; the first failure stops the run (answers so far stay cached). */
    private <T> void run(List<T> items, Job<T> job) throws InterruptedException {
        if (items.isEmpty()) return;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(o.workers(), items.size())));
        AtomicInteger done = new AtomicInteger();
        try (org.makekit.util.Progress progress = new org.makekit.util.Progress("magen", items.size(), "req")) {
            List<Future<?>> fs = new ArrayList<>();
            for (T it : items) {
                fs.add(pool.submit(() -> {
                    job.run(it);
                    done.incrementAndGet();
                    progress.step(1);
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof KitException k) throw k;
                    throw new KitException("MAGEN agent request failed: " + c, c);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String cacheKey(LlmClient c, String item) {
        return PROMPT_VERSION + "|" + c.settings().model() + "|" + item;
    }

    private static com.google.gson.JsonArray jsonArray(String system, String user) {
        com.google.gson.JsonArray a = new com.google.gson.JsonArray();
        for (String[] m : new String[][] {{"system", system}, {"user", user}}) {
            JsonObject o = new JsonObject();
            o.addProperty("role", m[0]);
            o.addProperty("content", m[1]);
            a.add(o);
        }
        return a;
    }

    private static String key(Pair p) {
        return p.image() + "|" + p.caption();
    }

    private static String format(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) sb.append(sb.length() > 0 ? "," : "").append(x);
        return sb.toString();
    }

    private static double[] parse(String s) {
        String[] f = s.split(",");
        double[] v = new double[f.length];
        for (int i = 0; i < f.length; i++) v[i] = Double.parseDouble(f[i]);
        return v;
    }
}
