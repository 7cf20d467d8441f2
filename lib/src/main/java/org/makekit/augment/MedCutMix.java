package org.makekit.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.makekit.data.TrainingRow;
import org.makekit.model.ClipModel;
import org.makekit.model.Features;
import org.makekit.text.TextCleaner;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * MedCutMix (seed 003, arXiv 2509.16673): disease-centric image-text mixing as a training
 * augmentation for any contrastive method. Only the paper's abstract is public, so everything below
 * is <b>the kit's interpretation</b> (../shared/notes/related-methods.md section 1.3), with each
 * choice exposed as an option:
 * <ol>
 *   <li>each report's diagnostic sentences are found with the domain's ontology ({@link DiagnosticSentences});</li>
 *   <li>each sample with a diagnostic sentence is mixed with probability {@code p}; its partner is drawn
 *       from the batch among samples with a diagnostic sentence naming another disease set;</li>
 *   <li>text: one of its diagnostic sentences (or all, {@code sentences=all}) is replaced by one of the
 *       partner's, in place, so the sentence count and order stay; the sub-sentence that held it is
 *       swapped likewise; the disease-aspect text and diagnosis become the partner's (the diagnosis
 *       changed); the concept text stays;</li>
 *   <li>cross-attention of the inserted sentence's text embedding over the partner image's projected
 *       patch tokens, a = softmax(P s / tau), computed without gradient;</li>
 *   <li>lambda ~ Uniform(lambdaMin, lambdaMax); the mask M is the ceil(lambda N) most attended of the
 *       N patches;</li>
 *   <li>attentive manifold mix inside the image tower before block {@code layer} (random in 0..L/3 per
 *       step when {@code auto}): patch tokens h~ = h_i + w (h_j - h_i), with w = 1 on M ({@code hard})
 *       or w = a / max(a) on M ({@code soft}), 0 elsewhere and on the class token;</li>
 *   <li>targets: the mixed pair (x~, t~) is a positive pair that replaces sample i ({@code replace}) or
 *       joins the batch as an extra row ({@code append}).</li>
 * </ol>
 * Which images mix and how is a pure function of (seed, step, batch), so a resumed run mixes as an
 * uninterrupted one would.
 */
public final class MedCutMix {
    public enum Mix { HARD, SOFT }

    public enum Targets { REPLACE, APPEND }

    /**
     * The knobs.
     *
     * @param probability share of samples (with a diagnostic sentence) that are mixed
     * @param swapAll     swap every diagnostic sentence (partner's in turn) instead of one
     * @param lambdaMin   lower end of the patch share
     * @param lambdaMax   upper end of the patch share
     * @param layer       block before which tokens mix (0 = the embedded tokens); -1 = random in 0..L/3 per step
     * @param mix         hard (swap the masked tokens) or soft (attention-weighted interpolation on the mask)
     * @param targets     replace sample i by the mixed pair, or append the mixed pair to the batch
     * @param tau         temperature of the attention softmax
     */
    public record Options(double probability, boolean swapAll, double lambdaMin, double lambdaMax, int layer, Mix mix,
                          Targets targets, double tau) {
        public Options {
            if (!(probability >= 0 && probability <= 1)) throw new KitException("medcutmix: p must be in [0, 1], got " + probability);
            if (!(lambdaMin >= 0 && lambdaMin <= lambdaMax && lambdaMax <= 1)) {
                throw new KitException("medcutmix: lambda must be a range lo:hi with 0 <= lo <= hi <= 1, got " + lambdaMin + ":" + lambdaMax);
            }
            if (layer < -1) throw new KitException("medcutmix: layer must be auto or a block index >= 0, got " + layer);
            if (!(tau > 0) || Double.isInfinite(tau)) throw new KitException("medcutmix: tau must be positive, got " + tau);
            if (mix == null || targets == null) throw new KitException("medcutmix: mix and targets must be given");
        }

        /** The documented choices: p 0.5, one sentence, lambda in [0.1, 0.5], layer auto, hard mix, replace, tau 0.07. */
        public static Options defaults() {
            return new Options(0.5, false, 0.1, 0.5, -1, Mix.HARD, Targets.REPLACE, 0.07);
        }

        /**
         * Parses {@code on} (the defaults) or comma-separated {@code key=value} settings over the
         * defaults: {@code p}, {@code sentences=one|all}, {@code lambda=lo:hi}, {@code layer=auto|N},
         * {@code mix=hard|soft}, {@code targets=replace|append}, {@code tau}.
         */
        public static Options parse(String spec) {
            Options o = defaults();
            String s = spec == null ? "" : spec.strip();
            if (s.isEmpty() || s.equalsIgnoreCase("on") || s.equalsIgnoreCase("true")) return o;
            double p = o.probability, lo = o.lambdaMin, hi = o.lambdaMax, tau = o.tau;
            boolean all = o.swapAll;
            int layer = o.layer;
            Mix mix = o.mix;
            Targets targets = o.targets;
            for (String kv : s.split(",")) {
                String[] f = kv.split("=", 2);
                if (f.length != 2) throw new KitException("--medcutmix '" + spec + "': expected on or key=value,..., got '" + kv + "'");
                String k = f[0].strip().toLowerCase(Locale.ROOT);
                String v = f[1].strip().toLowerCase(Locale.ROOT);
                try {
                    switch (k) {
                        case "p" -> p = Double.parseDouble(v);
                        case "sentences" -> all = switch (v) {
                            case "one" -> false;
                            case "all" -> true;
                            default -> throw new KitException("--medcutmix sentences='" + v + "': expected one or all");
                        };
                        case "lambda" -> {
                            String[] r = v.split(":");
                            lo = Double.parseDouble(r[0]);
                            hi = r.length > 1 ? Double.parseDouble(r[1]) : lo;
                        }
                        case "layer" -> layer = v.equals("auto") ? -1 : Integer.parseInt(v);
                        case "mix" -> mix = enumValue(Mix.class, v, "mix");
                        case "targets" -> targets = enumValue(Targets.class, v, "targets");
                        case "tau" -> tau = Double.parseDouble(v);
                        default -> throw new KitException("--medcutmix: unknown setting '" + k
                                + "' (known: p, sentences, lambda, layer, mix, targets, tau)");
                    }
                } catch (NumberFormatException e) {
                    throw new KitException("--medcutmix " + k + "='" + v + "': not a number");
                }
            }
            return new Options(p, all, lo, hi, layer, mix, targets, tau);
        }

        private static <E extends Enum<E>> E enumValue(Class<E> c, String v, String what) {
            for (E e : c.getEnumConstants()) if (e.name().equalsIgnoreCase(v)) return e;
            throw new KitException("--medcutmix " + what + "='" + v + "': expected one of "
                    + Arrays.stream(c.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
        }

        /** What a run's config records for a {@code --medcutmix} value: null for off, else the settings in full. */
        public static String configValue(String spec) {
            if (spec == null || spec.isBlank() || spec.strip().equalsIgnoreCase("off") || spec.strip().equalsIgnoreCase("false")) return null;
            return parse(spec).spec();
        }

        /** The settings written out in full (what a run's config records). */
        public String spec() {
            return String.format(Locale.ROOT, "p=%s,sentences=%s,lambda=%s:%s,layer=%s,mix=%s,targets=%s,tau=%s", num(probability),
                    swapAll ? "all" : "one", num(lambdaMin), num(lambdaMax), layer < 0 ? "auto" : Integer.toString(layer),
                    mix.name().toLowerCase(Locale.ROOT), targets.name().toLowerCase(Locale.ROOT), num(tau));
        }

        private static String num(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
        }
    }

    /**
     * One mixed pair: batch row {@code row} of the plan holds image {@code base}'s tokens mixed with
     * image {@code partner}'s; the sentences removed from the base's report and those put in their
     * place; the patch share and the chosen patches (ascending); the attention over the partner's
     * patches; the mixed report.
     */
    public record Pair(int row, int base, int partner, List<String> removed, List<String> inserted, double lambda, int[] patches,
                       float[] attention, String caption) {}

    /**
     * A batch after mixing: its rows (texts as the method reads them), and for each row the image
     * whose tokens it starts from, the partner image and the per-token weight of the partner (row-major,
     * {@code tokens} = 1 + patches per row; 0 everywhere for an unmixed row), the block, and the pairs.
     */
    public record Plan(List<TrainingRow> rows, long[] base, long[] partner, float[] weights, int tokens, int layer,
                       List<Pair> pairs) {
        public boolean mixes() {
            return !pairs.isEmpty();
        }

        /** Rows of the mixed batch (the loaded batch's, plus the appended pairs with targets=append). */
        public int size() {
            return rows.size();
        }

        /** The images (batch indices, ascending) whose tokens rows [from, from + n) need. */
        public int[] sources(int from, int n) {
            TreeSet<Integer> s = new TreeSet<>();
            for (int v = from; v < from + n; v++) {
                s.add((int) base[v]);
                s.add((int) partner[v]);
            }
            return s.stream().mapToInt(Integer::intValue).toArray();
        }

        /**
         * The token hook that turns the tokens of {@code sources} (in that order) into those of rows
         * [from, from + n): gathers of both images and the interpolation, all in the graph; the weights
         * are constants.
         */
        public ClipModel.TokenHook hook(int from, int n, int[] sources) {
            Map<Integer, Integer> pos = new LinkedHashMap<>();
            for (int k = 0; k < sources.length; k++) pos.put(sources[k], k);
            long[] a = new long[n];
            long[] b = new long[n];
            for (int v = 0; v < n; v++) {
                Integer pa = pos.get((int) base[from + v]);
                Integer pb = pos.get((int) partner[from + v]);
                if (pa == null || pb == null) throw new KitException("medcutmix: row " + (from + v) + " needs images missing from the sources");
                a[v] = pa;
                b[v] = pb;
            }
            float[] w = Arrays.copyOfRange(weights, from * tokens, (from + n) * tokens);
            return new ClipModel.TokenHook(layer, x -> mix(x, a, b, w, tokens));
        }
    }

    /** h_a + w (h_b - h_a) per row and token, on the graph; {@code w} (n x tokens) is a constant. */
    static NDArray mix(NDArray x, long[] a, long[] b, float[] w, int tokens) {
        Shape s = x.getShape();
        if (s.dimension() != 3 || s.get(1) != tokens) {
            throw new KitException("medcutmix: tokens of shape " + s + ", expected (N, " + tokens + ", W)");
        }
        long rows = s.get(0);
        long width = s.get(2);
        NDArray flat = x.reshape(rows, tokens * width);
        NDArray xa = Features.gatherRows(flat, a).reshape(a.length, tokens, width);
        NDArray xb = Features.gatherRows(flat, b).reshape(b.length, tokens, width);
        NDArray wt = Tensors.of(x.getManager(), w, new Shape(a.length, tokens, 1), x.getDataType());
        return xa.add(xb.sub(xa).mul(wt));
    }

    /** How the attention is obtained: for each pair, the distribution over the partner image's patches given the sentence. */
    @FunctionalInterface
    public interface Attention {
        float[][] weights(int[] images, List<String> sentences);
    }

    private final Options o;
    private final DiagnosticSentences finder;
    private final long seed;

    public MedCutMix(Options options, DiagnosticSentences finder, long seed) {
        this.o = options;
        this.finder = finder;
        this.seed = seed;
    }

    public Options options() {
        return o;
    }

    public DiagnosticSentences finder() {
        return finder;
    }

    /** The random stream of one step: a pure function of the run seed and the step. */
    static SplittableRandom rng(long seed, long step) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + (step + 1) * 0xBF58476D1CE4E5B9L);
    }

    private record Pending(int i, int j, Map<Integer, String> swap, List<String> removed, List<String> inserted, double lambda) {}

    /**
     * Mixes a batch.
     *
     * @param rows      the batch's rows, in image order
     * @param step      the training step (with the seed, fixes every random choice)
     * @param blocks    the image tower's blocks L (layer auto draws from 0..L/3)
     * @param patches   patch tokens per image N
     * @param attention the attention (called once, only when some sample is mixed)
     */
    public Plan plan(List<TrainingRow> rows, long step, int blocks, int patches, Attention attention) {
        int batch = rows.size();
        int tokens = 1 + patches;
        if (o.layer() > blocks) throw new KitException("medcutmix: layer " + o.layer() + " but the image tower has blocks 0.." + blocks);
        SplittableRandom rng = rng(seed, step);
        int layer = o.layer() >= 0 ? o.layer() : rng.nextInt(blocks / 3 + 1);
        List<List<DiagnosticSentences.Sentence>> sentences = new ArrayList<>(batch);
        List<List<Integer>> dx = new ArrayList<>(batch);
        List<Set<String>> diseases = new ArrayList<>(batch);
        for (TrainingRow r : rows) {
            List<DiagnosticSentences.Sentence> s = finder.split(r.caption());
            List<Integer> d = new ArrayList<>();
            Set<String> nodes = new HashSet<>();
            for (int k = 0; k < s.size(); k++) {
                if (s.get(k).diagnostic()) {
                    d.add(k);
                    nodes.addAll(s.get(k).nodes());
                }
            }
            sentences.add(s);
            dx.add(d);
            diseases.add(nodes);
        }
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            double u = rng.nextDouble(); // one draw per sample, eligible or not
            if (u >= o.probability() || dx.get(i).isEmpty()) continue;
            List<Integer> partners = new ArrayList<>();
            for (int j = 0; j < batch; j++) {
                if (j != i && !dx.get(j).isEmpty() && !diseases.get(j).equals(diseases.get(i))) partners.add(j);
            }
            if (partners.isEmpty()) continue;
            int j = partners.get(rng.nextInt(partners.size()));
            Map<Integer, String> swap = new LinkedHashMap<>();
            List<String> removed = new ArrayList<>();
            List<String> inserted = new ArrayList<>();
            List<Integer> di = dx.get(i);
            List<Integer> dj = dx.get(j);
            if (o.swapAll()) {
                for (int k = 0; k < di.size(); k++) {
                    String in = sentences.get(j).get(dj.get(k % dj.size())).text();
                    swap.put(di.get(k), in);
                    removed.add(sentences.get(i).get(di.get(k)).text());
                    if (!inserted.contains(in)) inserted.add(in);
                }
            } else {
                int ki = di.get(rng.nextInt(di.size()));
                String in = sentences.get(j).get(dj.get(rng.nextInt(dj.size()))).text();
                swap.put(ki, in);
                removed.add(sentences.get(i).get(ki).text());
                inserted.add(in);
            }
            double lambda = o.lambdaMin() + (o.lambdaMax() - o.lambdaMin()) * rng.nextDouble();
            pending.add(new Pending(i, j, swap, removed, inserted, lambda));
        }
        int virtual = o.targets() == Targets.APPEND ? batch + pending.size() : batch;
        List<TrainingRow> out = new ArrayList<>(rows);
        long[] base = new long[virtual];
        long[] partner = new long[virtual];
        for (int v = 0; v < virtual; v++) base[v] = partner[v] = v < batch ? v : 0;
        float[] weights = new float[virtual * tokens];
        List<Pair> pairs = new ArrayList<>();
        if (!pending.isEmpty()) {
            int[] images = pending.stream().mapToInt(Pending::j).toArray();
            List<String> texts = pending.stream().map(p -> String.join(". ", p.inserted())).toList();
            float[][] att = attention.weights(images, texts);
            if (att.length != pending.size()) throw new KitException("medcutmix: attention gave " + att.length + " maps for " + pending.size() + " pairs");
            for (int q = 0; q < pending.size(); q++) {
                Pending p = pending.get(q);
                if (att[q].length != patches) throw new KitException("medcutmix: attention over " + att[q].length + " patches, the model has " + patches);
                int[] chosen = topPatches(att[q], (int) Math.ceil(p.lambda() * patches - 1e-9));
                int row = o.targets() == Targets.APPEND ? batch + q : p.i();
                TrainingRow mixed = swapText(rows.get(p.i()), rows.get(p.j()), sentences.get(p.i()), p.swap(), p.removed());
                if (o.targets() == Targets.APPEND) out.add(mixed);
                else out.set(row, mixed);
                base[row] = p.i();
                partner[row] = p.j();
                float max = 0;
                for (float a : att[q]) max = Math.max(max, a);
                for (int c : chosen) weights[row * tokens + 1 + c] = o.mix() == Mix.HARD ? 1f : (max > 0 ? att[q][c] / max : 0f);
                pairs.add(new Pair(row, p.i(), p.j(), List.copyOf(p.removed()), List.copyOf(p.inserted()), p.lambda(), chosen,
                        att[q].clone(), mixed.caption()));
            }
        }
        return new Plan(List.copyOf(out), base, partner, weights, tokens, layer, List.copyOf(pairs));
    }

    /** The {@code k} largest entries' indices (ties: the lower index first), ascending. */
    static int[] topPatches(float[] a, int k) {
        Integer[] idx = new Integer[a.length];
        for (int i = 0; i < a.length; i++) idx[i] = i;
        Arrays.sort(idx, (x, y) -> a[x] != a[y] ? Float.compare(a[y], a[x]) : Integer.compare(x, y));
        int[] out = new int[Math.max(0, Math.min(k, a.length))];
        for (int i = 0; i < out.length; i++) out[i] = idx[i];
        Arrays.sort(out);
        return out;
    }

    /**
     * Row i's texts with the swap: the raw caption (and its truncated form) with the sentences
     * replaced in place; each sub-sentence equal to a removed sentence replaced by what took its
     * place (mask unchanged); the disease-aspect text, its mask and the diagnosis and label from the
     * partner; the concept text and the image kept.
     */
    static TrainingRow swapText(TrainingRow r, TrainingRow partner, List<DiagnosticSentences.Sentence> sentences,
                                Map<Integer, String> swap, List<String> removed) {
        String caption = DiagnosticSentences.replace(r.caption(), sentences, swap);
        Map<String, String> byText = new LinkedHashMap<>();
        for (Map.Entry<Integer, String> e : swap.entrySet()) byText.put(sentences.get(e.getKey()).text(), e.getValue());
        String truncated = r.truncatedCaption();
        if (!truncated.isEmpty()) {
            if (truncated.equals(TextCleaner.collapseWhitespace(r.caption()))) {
                truncated = TextCleaner.collapseWhitespace(caption);
            } else {
                for (Map.Entry<String, String> e : byText.entrySet()) {
                    String from = TextCleaner.collapseWhitespace(e.getKey());
                    if (truncated.contains(from)) truncated = truncated.replace(from, e.getValue());
                }
            }
        }
        List<String> subs = new ArrayList<>(r.subcaptions());
        for (int k = 0; k < subs.size(); k++) {
            String to = byText.get(subs.get(k).strip());
            if (to != null) subs.set(k, to);
        }
        boolean[] km = r.knowledgeMask().clone();
        km[1] = partner.knowledgeMask()[1];
        return new TrainingRow(r.filename(), caption, truncated, partner.diseaseCaption(), r.conceptCaption(), List.copyOf(subs),
                r.subMask().clone(), km, partner.diagnosis(), r.concepts(), partner.label(), r.split());
    }

    /**
     * The attention of each sentence over its image's projected, normalised patch tokens,
     * softmax(P s / tau) over the patches, as an array that is outside every graph (computed, then
     * detached: nothing flows back into the weights through it, even inside a gradient collector).
     *
     * @param images normalised images (n, 3, H, W)
     */
    public static NDArray attentionMaps(ClipModel m, Tokenizer tok, NDArray images, List<String> sentences, double tau) {
        if (m.config().isCoca()) throw new KitException("medcutmix needs a CLIP image tower with patch tokens; '" + m.config().name() + "' is CoCa");
        NDArray pat = Features.l2normalize(m.encodeImage(images, null).patches()).stopGradient();
        NDArray txt = Features.l2normalize(m.encodeText(tok.encode(sentences), null)).stopGradient();
        NDArray logits = Tensors.div(pat.matMul(txt.expandDims(2)).squeeze(2), tau);
        return logits.softmax(1).stopGradient();
    }

    /**
     * Some images of a batch's pixels (n x 3 x size x size floats, image-major), by index, as the
     * model's input array: the mix's sources in a training step and the attention's partners.
     */
    public static NDArray images(ClipModel m, float[] pixels, int[] indices) {
        int size = m.config().vision().imageSize();
        int per = 3 * size * size;
        float[] sel = new float[indices.length * per];
        for (int q = 0; q < indices.length; q++) System.arraycopy(pixels, indices[q] * per, sel, q * per, per);
        return Tensors.of(m.manager(), sel, new Shape(indices.length, 3, size, size), m.dataType());
    }

    /** {@link #attentionMaps} on images taken from a batch's pixels. */
    public static Attention attention(ClipModel m, Tokenizer tok, float[] pixels, double tau) {
        return (images, sentences) -> {
            try (NDScope scope = new NDScope()) {
                NDArray img = images(m, pixels, images);
                float[] flat = attentionMaps(m, tok, img, sentences, tau).toType(DataType.FLOAT32, false).toFloatArray();
                int p = flat.length / images.length;
                float[][] out = new float[images.length][];
                for (int q = 0; q < images.length; q++) out[q] = Arrays.copyOfRange(flat, q * p, (q + 1) * p);
                return out;
            }
        };
    }
}
