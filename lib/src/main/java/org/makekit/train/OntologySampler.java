package org.makekit.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.makekit.data.BatchLoader;
import org.makekit.util.KitException;

/**
 * O-MAKE's ontology-aware batch sampler ({@code GraphBasedConnectivitySampler}, official
 * {@code ontology_sampler.py}), with full batches:
 * <ul>
 *   <li>each batch holds labelled and unlabelled rows in the data's ratio
 *       ({@code int(batch * labelled / all)} labelled);</li>
 *   <li>tail classes: labels sorted by count (ties by first appearance), taken while their running
 *       count stays within 30% of the labelled rows, stopping at the first that does not fit;</li>
 *   <li>of a batch's labelled rows, a share {@code w(e) = (1 - cos(pi e / (E - 1))) / 2} (0 at epoch 0,
 *       rising to 1) is chosen by connectivity: head rows in the data's head ratio, then tail rows one
 *       at a time, a tail label drawn with probability softmax(score / 0.07), score = 0.5 max
 *       similarity to a head label in the batch + 0.5 max similarity to another available tail label;
 *       the rest uniformly.</li>
 * </ul>
 * <b>Where the kit differs.</b> The official epoch ends in short batches once one pool runs dry, and
 * its DataLoader then cuts the flat order into chunks that no longer match the sampler's batches.
 * Here a batch whose pool ran dry is filled from the other pool, every batch is full, the rows left
 * over (fewer than a batch) wait for the next epoch's draw (drop-last), and the loader's batches are
 * exactly the sampler's. The epoch is the trainer's (so a resumed run draws what an uninterrupted one
 * does), where the official counter counts calls and is never reset. Each epoch is a pure function
 * of (seed, epoch).
 */
public final class OntologySampler implements BatchLoader.Sampler {
    /** Similarity of two labels (>= 0). */
    @FunctionalInterface
    public interface Similarity {
        double of(int a, int b);
    }

    private final int[] labels;
    private final Similarity sim;
    private final int batchSize;
    private final int maxEpochs;
    private final long seed;
    private final int labelledPerBatch;
    private final Set<Integer> tail;
    private final Set<Integer> head;
    private final double headRatio;

    /**
     * @param labels    per training row, its label (-1 = none)
     * @param maxEpochs E, the epochs over which the connectivity share rises
     */
    public OntologySampler(int[] labels, Similarity sim, int batchSize, int maxEpochs, long seed) {
        if (labels.length < batchSize) throw new KitException("ontology sampler: " + labels.length + " rows for batches of " + batchSize);
        this.labels = labels.clone();
        this.sim = sim;
        this.batchSize = batchSize;
        this.maxEpochs = Math.max(1, maxEpochs);
        this.seed = seed;
        int nl = 0;
        for (int l : labels) if (l >= 0) nl++;
        this.labelledPerBatch = (int) ((long) batchSize * nl / labels.length);
        Map<Integer, Integer> counts = new LinkedHashMap<>(); // first-appearance order, as Python's Counter
        for (int l : labels) if (l >= 0) counts.merge(l, 1, Integer::sum);
        List<Map.Entry<Integer, Integer>> byCount = new ArrayList<>(counts.entrySet());
        byCount.sort(Map.Entry.comparingByValue()); // stable: ties keep first appearance
        int budget = (int) (0.3 * nl);
        int running = 0;
        Set<Integer> t = new LinkedHashSet<>();
        for (Map.Entry<Integer, Integer> e : byCount) {
            if (running + e.getValue() > budget) break;
            running += e.getValue();
            t.add(e.getKey());
        }
        this.tail = t;
        Set<Integer> h = new LinkedHashSet<>(counts.keySet());
        h.removeAll(t);
        this.head = h;
        int headRows = 0;
        for (int l : labels) if (l >= 0 && h.contains(l)) headRows++;
        this.headRatio = nl == 0 ? 0 : (double) headRows / nl;
    }

    public int labelledPerBatch() {
        return labelledPerBatch;
    }

    public int unlabelledPerBatch() {
        return batchSize - labelledPerBatch;
    }

    public Set<Integer> tailClasses() {
        return tail;
    }

    public Set<Integer> headClasses() {
        return head;
    }

    public double naturalHeadRatio() {
        return headRatio;
    }

    /** The connectivity share of epoch e: 0.5 (1 - cos(pi e / (E - 1))) for e < E, 1 after. */
    public static double connectivityWeight(int epoch, int maxEpochs) {
        if (epoch >= maxEpochs) return 1.0;
        if (maxEpochs <= 1) return 1.0;
        return 0.5 * (1 - Math.cos(Math.PI * epoch / (maxEpochs - 1)));
    }

    /**
     * The official logged score of a label set: 0.5 mean over its tail labels of the highest similarity to
     * a head label (when both kinds are present) + 0.5 mean over tail labels of the highest similarity to
     * another tail label (with at least two tails).
     */
    public double connectivityScore(List<Integer> batchLabels) {
        List<Integer> t = new ArrayList<>();
        List<Integer> h = new ArrayList<>();
        for (int l : new LinkedHashSet<>(batchLabels)) {
            if (tail.contains(l)) t.add(l); else if (head.contains(l)) h.add(l);
        }
        double score = 0;
        if (!t.isEmpty() && !h.isEmpty()) {
            double s = 0;
            for (int a : t) {
                double best = 0;
                for (int b : h) best = Math.max(best, sim.of(a, b));
                s += best;
            }
            score += 0.5 * s / t.size();
        }
        if (t.size() >= 2) {
            double s = 0;
            for (int a : t) {
                double best = 0;
                for (int b : t) if (b != a) best = Math.max(best, sim.of(a, b));
                s += best;
            }
            score += 0.5 * s / t.size();
        }
        return score;
    }

    @Override
    public int[] order(int epoch) {
        SplittableRandom rng = new SplittableRandom(seed * 1_000_003L + epoch * 7919L + 17);
        Pools p = new Pools();
        double w = connectivityWeight(epoch, maxEpochs);
        int batches = labels.length / batchSize;
        List<int[]> out = new ArrayList<>();
        for (int b = 0; b < batches; b++) {
            List<Integer> batch = new ArrayList<>();
            int wantLab = labelledPerBatch;
            int wantUnl = batchSize - wantLab;
            // Full batches: a pool that runs dry is made up from the other.
            if (p.unl.size() < wantUnl) {
                wantLab += wantUnl - p.unl.size();
                wantUnl = p.unl.size();
            }
            if (p.labLeft < wantLab) {
                wantUnl += wantLab - p.labLeft;
                wantLab = p.labLeft;
            }
            for (int k = 0; k < wantUnl; k++) batch.add(takeRandom(p.unl, rng));
            batch.addAll(connected(p, (int) (wantLab * w), rng));
            while (batch.size() < batchSize) batch.add(p.takeLabelled(p.lab, rng));
            out.add(shuffle(batch, rng));
        }
        // Shuffle the batches, then flatten: the loader cuts the same batches back out.
        for (int i = out.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int[] t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        int[] order = new int[batches * batchSize];
        for (int b = 0; b < batches; b++) System.arraycopy(out.get(b), 0, order, b * batchSize, batchSize);
        return order;
    }

    /** The rows not yet drawn this epoch: unlabelled, labelled, and labelled by label (lazy deletion: taken rows are skipped). */
    private final class Pools {
        final List<Integer> unl = new ArrayList<>();
        final List<Integer> lab = new ArrayList<>();
        final List<Integer> headRows = new ArrayList<>();
        final Map<Integer, List<Integer>> tailRows = new LinkedHashMap<>();
        final boolean[] taken = new boolean[labels.length];
        int labLeft;

        Pools() {
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] < 0) {
                    unl.add(i);
                    continue;
                }
                lab.add(i);
                labLeft++;
                if (head.contains(labels[i])) headRows.add(i);
                else tailRows.computeIfAbsent(labels[i], x -> new ArrayList<>()).add(i); // no graph: a Java list of row indices
            }
        }

        /** A random row of {@code pool} not yet taken (taken ones met on the way are dropped); -1 if none. */
        int takeLabelled(List<Integer> pool, SplittableRandom rng) {
            while (!pool.isEmpty()) {
                int v = takeRandom(pool, rng);
                if (!taken[v]) {
                    taken[v] = true;
                    labLeft--;
                    return v;
                }
            }
            return -1;
        }

        /** The tail labels with a row left (their lists cleaned of taken rows). */
        List<Integer> availableTails() {
            List<Integer> out = new ArrayList<>();
            for (Map.Entry<Integer, List<Integer>> e : tailRows.entrySet()) {
                e.getValue().removeIf(i -> taken[i]);
                if (!e.getValue().isEmpty()) out.add(e.getKey());
            }
            return out;
        }
    }

    /** n labelled rows by connectivity: int(n * head ratio) random head rows, then tail rows by their score. */
    private List<Integer> connected(Pools p, int n, SplittableRandom rng) {
        List<Integer> chosen = new ArrayList<>();
        if (n <= 0) return chosen;
        int nHead = (int) (n * headRatio);
        Set<Integer> headLabels = new LinkedHashSet<>();
        for (int k = 0; k < nHead; k++) {
            int idx = p.takeLabelled(p.headRows, rng);
            if (idx < 0) break;
            chosen.add(idx);
            headLabels.add(labels[idx]);
        }
        List<Integer> tl = p.availableTails();
        double[] toTail = toTail(tl);
        while (chosen.size() < n && !tl.isEmpty()) {
            double[] score = new double[tl.size()];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < tl.size(); k++) {
                double toHead = 0;
                for (int h : headLabels) toHead = Math.max(toHead, sim.of(tl.get(k), h));
                score[k] = (0.5 * toHead + 0.5 * toTail[k]) / 0.07;
                max = Math.max(max, score[k]);
            }
            double z = 0;
            for (double sc : score) z += Math.exp(sc - max);
            double u = rng.nextDouble() * z;
            int pick = score.length - 1;
            for (int k = 0; k < score.length; k++) {
                u -= Math.exp(score[k] - max);
                if (u <= 0) {
                    pick = k;
                    break;
                }
            }
            List<Integer> rows = p.tailRows.get(tl.get(pick));
            int idx = p.takeLabelled(rows, rng);
            chosen.add(idx);
            if (rows.isEmpty()) { // that label ran out: the tail set and its scores change
                tl = p.availableTails();
                toTail = toTail(tl);
            }
        }
        return chosen; // fewer than n when the tail ran out: the caller fills uniformly
    }

    /** Per available tail label, its highest similarity to another available tail label (independent of the batch). */
    private double[] toTail(List<Integer> tl) {
        double[] out = new double[tl.size()];
        for (int k = 0; k < tl.size(); k++) {
            for (int j = 0; j < tl.size(); j++) if (j != k) out[k] = Math.max(out[k], sim.of(tl.get(k), tl.get(j)));
        }
        return out;
    }

    private static int takeRandom(List<Integer> pool, SplittableRandom rng) {
        int k = rng.nextInt(pool.size());
        int v = pool.get(k);
        pool.set(k, pool.get(pool.size() - 1));
        pool.remove(pool.size() - 1);
        return v;
    }

    private static int[] shuffle(List<Integer> batch, SplittableRandom rng) {
        int[] a = batch.stream().mapToInt(Integer::intValue).toArray();
        BatchLoader.shuffle(a, rng);
        return a;
    }

    /** How many indices an epoch uses (whole batches). */
    public int epochSize() {
        return labels.length / batchSize * batchSize;
    }

    @Override
    public String toString() {
        return "OntologySampler(" + labelledPerBatch + " labelled + " + unlabelledPerBatch() + " unlabelled per batch, tail "
                + tail + ", head ratio " + headRatio + ")";
    }
}
