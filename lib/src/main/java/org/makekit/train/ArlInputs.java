package org.makekit.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.EntityLinker;
import org.makekit.knowledge.KnowledgeGraph;
import org.makekit.knowledge.Ontology;
import org.makekit.model.ArlConfig;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;

/**
 * Everything ARL's four passes read besides the pixels, built on the host from a batch of rows: token ids, the
 * linked entities (ids, the entity-position matrix, align labels: the text's own entities, and for the image the
 * union over its texts plus its diagnosis's ontology path), the MLM pass's whole-entity masking (and its
 * knowledge input without the masked entities), ITM's swapped images and MIM's kept patches. Every random choice
 * is a function of (seed, step), so a resumed run draws the same.
 *
 * <p>Rules (related-methods.md section 2.5, ARL's {@code data_collator.py}): the candidates are the tokens other
 * than SOT, EOT and padding; an entity's tokens form one unit, every other token is its own unit; units are
 * shuffled and taken while they fit a budget of {@code max(1, round(0.15 n))} tokens, n the padded length
 * ({@link Budget#COMPAT}, as released) or the text's own length with SOT and EOT ({@link Budget#INTENDED}); of the
 * chosen tokens 80% become the mask token, 10% a random token, 10% stay. An entity with any chosen token leaves
 * the MLM pass's knowledge input.
 */
public final class ArlInputs {
    /** Which length MLM's 15% budget is taken of. */
    public enum Budget {
        COMPAT, INTENDED;

        public static Budget parse(String s) {
            return switch (s == null ? "compat" : s.toLowerCase(Locale.ROOT)) {
                case "compat" -> COMPAT;
                case "intended" -> INTENDED;
                default -> throw new KitException("MLM budget '" + s + "': expected compat or intended");
            };
        }
    }

    /** A text's linked entities for the knowledge stream: ids (E, -1 padded) and the position matrix (E x T). */
    public record Linked(int[] ids, double[][] positions) {}

    /** One text's MLM corruption: the ids it reads, where the mask token goes, and the targets. */
    public record Masked(long[] ids, boolean[] maskToken, int[] positions, long[] targets) {}

    /** A batch's inputs; arrays are indexed by row. */
    public record Batch(long[][] ids, int[][] entityIds, double[][][] positions, double[][] textLabels, double[][] imageLabels,
                        long[][] mlmIds, boolean[][] mlmMaskToken, int[][] mlmEntityIds, double[][][] mlmPositions,
                        long[] mlmFlatPositions, long[] mlmTargets, int[] itmImage, long[] itmLabels, int[][] keep) {}

    private final ArlConfig config;
    private final Tokenizer tokenizer;
    private final EntityLinker linker;
    private final Ontology ontology;
    private final int entities;
    private final int patches;
    private final Budget budget;
    private final Map<String, int[]> diagnosisEntities = new HashMap<>();

    public ArlInputs(ArlConfig config, Tokenizer tokenizer, KnowledgeGraph graph, Ontology ontology, int patches, Budget budget) {
        if (tokenizer.contextLength() != config.textLength()) {
            throw new KitException("ARL inputs: tokenizer frames " + tokenizer.contextLength() + " ids, config " + config.name()
                    + " reads " + config.textLength());
        }
        this.config = config;
        this.tokenizer = tokenizer;
        this.linker = new EntityLinker(graph, tokenizer);
        this.ontology = ontology;
        this.entities = graph.entities().size();
        this.patches = patches;
        this.budget = budget;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The entities of a framed id row, in order (all of them: the align labels). */
    public List<EntityLinker.Mention> mentions(long[] ids) {
        return linker.link(ids);
    }

    /** The first {@code maxEntities} mentions as knowledge input; {@code drop} flags mentions to leave out. */
    public Linked link(List<EntityLinker.Mention> mentions, boolean[] drop) {
        int e = config.maxEntities();
        int t = config.textLength();
        int[] ids = new int[e];
        Arrays.fill(ids, -1);
        double[][] pos = new double[e][t];
        int n = 0;
        for (int i = 0; i < mentions.size() && n < e; i++) {
            if (drop != null && drop[i]) continue;
            EntityLinker.Mention m = mentions.get(i);
            ids[n] = m.entity();
            for (int j = m.start(); j < m.end(); j++) pos[n][j] = 1;
            n++;
        }
        return new Linked(ids, pos);
    }

    /** The diagnosis's node and its ancestors (the ontology caption's entities); empty when the tree does not know it. */
    public int[] diagnosisEntities(String diagnosis) {
        return diagnosisEntities.computeIfAbsent(diagnosis == null ? "" : diagnosis, d -> {
            Ontology.Node n = ontology.find(d);
            if (n == null) return new int[0];
            List<String> path = Ontology.path(n);
            int[] out = new int[path.size()];
            for (int i = 0; i < path.size(); i++) out[i] = ontology.nodes().indexOf(ontology.at(path.subList(0, i + 1)));
            return out;
        });
    }

    /** Whole-entity masking of one framed row (see the class comment). */
    public Masked mask(long[] ids, List<EntityLinker.Mention> mentions, SplittableRandom rng) {
        int len = ids.length;
        int eot = -1;
        for (int i = 0; i < len; i++) {
            if (ids[i] == tokenizer.eotId()) {
                eot = i;
                break;
            }
        }
        if (eot < 0) throw new KitException("MLM: a text row without EOT");
        int[] entityOf = new int[len];
        Arrays.fill(entityOf, -1);
        for (int m = 0; m < mentions.size(); m++) {
            for (int j = mentions.get(m).start(); j < mentions.get(m).end(); j++) entityOf[j] = m;
        }
        List<int[]> units = new ArrayList<>();
        for (int i = 0; i < eot; i++) {
            if (ids[i] == tokenizer.sotId()) continue;
            if (entityOf[i] >= 0 && i > 0 && entityOf[i - 1] == entityOf[i] && !units.isEmpty()) {
                int[] last = units.get(units.size() - 1);
                int[] grown = Arrays.copyOf(last, last.length + 1);
                grown[last.length] = i;
                units.set(units.size() - 1, grown);
            } else {
                units.add(new int[] {i});
            }
        }
        for (int i = units.size() - 1; i > 0; i--) { // Fisher-Yates, as random.shuffle
            int j = rng.nextInt(i + 1);
            int[] u = units.get(i);
            units.set(i, units.get(j));
            units.set(j, u);
        }
        int n = budget == Budget.COMPAT ? len : eot + 1;
        int toPredict = Math.max(1, (int) Math.round(0.15 * n));
        TreeSet<Integer> chosen = new TreeSet<>();
        for (int[] u : units) {
            if (chosen.size() >= toPredict) break;
            if (chosen.size() + u.length > toPredict) continue;
            for (int i : u) chosen.add(i);
        }
        long[] out = ids.clone();
        boolean[] maskToken = new boolean[len];
        int[] positions = new int[chosen.size()];
        long[] targets = new long[chosen.size()];
        int k = 0;
        int randomBound = Math.min(tokenizer.sotId(), tokenizer.eotId());
        for (int i : chosen) {
            positions[k] = i;
            targets[k++] = ids[i];
            double r = rng.nextDouble();
            if (r < 0.8) {
                maskToken[i] = true;
            } else if (r < 0.9) {
                out[i] = rng.nextInt(randomBound);
            }
        }
        return new Masked(out, maskToken, positions, targets);
    }

    /** A framed text and its entities. */
    public record Encoded(long[] ids, List<EntityLinker.Mention> mentions) {}

    private final Map<String, Encoded> encodedTexts = new java.util.concurrent.ConcurrentHashMap<>();

    /** A text framed to the config's length and linked (cached: rows come back every epoch). */
    public Encoded encoded(String text) {
        return encodedTexts.computeIfAbsent(text, x -> {
            long[] ids = tokenizer.encode(x);
            return new Encoded(ids, mentions(ids));
        });
    }

    /**
     * An image's texts, as ARL's datasets hold several per image and read one at random per step: the caption, and
     * when the table has them, the disease (ontology) and concept texts. The image's entities are their union.
     */
    public static List<String> texts(TrainingRow r) {
        List<String> out = new ArrayList<>();
        for (String t : new String[] {r.caption(), r.diseaseCaption(), r.conceptCaption()}) {
            if (t != null && !t.isBlank() && !out.contains(t)) out.add(t);
        }
        if (out.isEmpty()) throw new KitException("row " + r.filename() + " has no text for ARL");
        return out;
    }

    /** The inputs of one training step's four passes. */
    public Batch batch(List<TrainingRow> rows, long seed, long step) {
        int b = rows.size();
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step * 0xBF58476D1CE4E5B9L + 0x41524CL);
        int t = config.textLength();
        long[][] ids = new long[b][];
        int[][] entIds = new int[b][];
        double[][][] pos = new double[b][][];
        double[][] textLabels = new double[b][entities];
        double[][] imageLabels = new double[b][entities];
        long[][] mlmIds = new long[b][];
        boolean[][] mlmMask = new boolean[b][];
        int[][] mlmEnt = new int[b][];
        double[][][] mlmPos = new double[b][][];
        List<Long> flat = new ArrayList<>();
        List<Long> targets = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            TrainingRow r = rows.get(i);
            List<String> texts = texts(r);
            Encoded chosen = encoded(texts.get(rng.nextInt(texts.size())));
            ids[i] = chosen.ids();
            List<EntityLinker.Mention> ms = chosen.mentions();
            Linked l = link(ms, null);
            entIds[i] = l.ids();
            pos[i] = l.positions();
            for (EntityLinker.Mention m : ms) textLabels[i][m.entity()] = 1;
            for (String text : texts) for (EntityLinker.Mention m : encoded(text).mentions()) imageLabels[i][m.entity()] = 1;
            for (int e : diagnosisEntities(r.diagnosis())) imageLabels[i][e] = 1;
            Masked mk = mask(ids[i], ms, rng);
            mlmIds[i] = mk.ids();
            mlmMask[i] = mk.maskToken();
            boolean[] drop = new boolean[ms.size()];
            for (int m = 0; m < ms.size(); m++) {
                for (int p : mk.positions()) drop[m] |= p >= ms.get(m).start() && p < ms.get(m).end();
            }
            Linked lm = link(ms, drop);
            mlmEnt[i] = lm.ids();
            mlmPos[i] = lm.positions();
            for (int k = 0; k < mk.positions().length; k++) {
                flat.add((long) i * t + mk.positions()[k]);
                targets.add(mk.targets()[k]);
            }
        }
        // ITM: half the rows (rounded down) keep their image; the others read another row's, of another diagnosis when one exists.
        long[] itmLabels = new long[b];
        for (int i = 0; i < b / 2; i++) itmLabels[i] = 1;
        for (int i = b - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            long x = itmLabels[i];
            itmLabels[i] = itmLabels[j];
            itmLabels[j] = x;
        }
        int[] itmImage = new int[b];
        for (int i = 0; i < b; i++) {
            itmImage[i] = i;
            if (itmLabels[i] == 1 || b < 2) continue;
            int j = -1;
            for (int tries = 0; tries < 4 * b; tries++) {
                int c = rng.nextInt(b);
                if (c != i && !rows.get(c).diagnosis().equals(rows.get(i).diagnosis())) {
                    j = c;
                    break;
                }
            }
            if (j < 0) j = (i + 1 + rng.nextInt(b - 1)) % b;
            itmImage[i] = j;
        }
        // MIM: keep int(P (1 - ratio)) patches per image, the rest are predicted.
        int keepN = Math.max(1, (int) (patches * (1 - config.maskRatio())));
        int[][] keep = new int[b][];
        for (int i = 0; i < b; i++) {
            int[] perm = new int[patches];
            for (int p = 0; p < patches; p++) perm[p] = p;
            for (int p = patches - 1; p > 0; p--) {
                int j = rng.nextInt(p + 1);
                int x = perm[p];
                perm[p] = perm[j];
                perm[j] = x;
            }
            keep[i] = Arrays.copyOf(perm, keepN);
            Arrays.sort(keep[i]);
        }
        return new Batch(ids, entIds, pos, textLabels, imageLabels, mlmIds, mlmMask, mlmEnt, mlmPos,
                flat.stream().mapToLong(Long::longValue).toArray(), targets.stream().mapToLong(Long::longValue).toArray(), itmImage,
                itmLabels, keep);
    }
}
