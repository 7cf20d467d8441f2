package org.makekit.knowledge;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.makekit.util.KitException;

/**
 * TransE embeddings of a knowledge graph, trained as ARL's OpenKE run does (seed 002,
 * {@code prepro/OpenKE/train_transe.py}; ../shared/notes related-methods.md section 2): the score of a
 * triple is the L1 distance ||h^ + r^ - t^||_1 between L2-normalised embeddings ({@code norm_flag});
 * each triple is set against {@code negatives} corruptions ("bern": the head is replaced with
 * probability tph / (tph + hpt) of its relation, else the tail; corruptions that are true triples are
 * drawn again); the loss is OpenKE's MarginLoss, mean(max(p - n, -margin)) + margin; Xavier-uniform
 * start; plain SGD over {@code batches} batches per epoch. Plain Java: the graphs are small (the
 * Derm1M tree has 728 triples), so a few seconds on a CPU.
 *
 * @param entity   the raw (not normalised) entity table, what ARL uses downstream
 * @param relation the raw relation table
 */
public record TransE(double[][] entity, double[][] relation, List<Double> epochLoss) {

    /** ARL-mini's settings: dim 64, margin 5, 10 negatives, 300 epochs, lr 1.0, 10 batches. */
    public record Settings(int dim, double margin, int negatives, int epochs, double lr, int batches, long seed) {
        public static Settings defaults() {
            return new Settings(64, 5.0, 10, 300, 1.0, 10, 0);
        }
    }

    /** The score (distance) of a triple. */
    public double score(int h, int r, int t) {
        return distance(entity[h], relation[r], entity[t]);
    }

    /** The {@code k} entities nearest to {@code e} (L1 distance of the normalised embeddings, as TransE scores), nearest first. */
    public int[] nearest(int e, int k) {
        double[] d = new double[entity.length];
        double ne = norm(entity[e]);
        for (int j = 0; j < entity.length; j++) {
            double nj = norm(entity[j]);
            for (int i = 0; i < entity[e].length; i++) d[j] += Math.abs(entity[e][i] / ne - entity[j][i] / nj);
        }
        return java.util.stream.IntStream.range(0, entity.length).filter(j -> j != e).boxed()
                .sorted(java.util.Comparator.comparingDouble(j -> d[j])).limit(k).mapToInt(Integer::intValue).toArray();
    }

    static double distance(double[] h, double[] r, double[] t) {
        double nh = norm(h);
        double nr = norm(r);
        double nt = norm(t);
        double s = 0;
        for (int i = 0; i < h.length; i++) s += Math.abs(h[i] / nh + r[i] / nr - t[i] / nt);
        return s;
    }

    static double norm(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.max(Math.sqrt(s), 1e-12);
    }

    /** OpenKE's MarginLoss of one positive against its negatives: mean(max(p - n, -margin)) + margin. */
    static double marginLoss(double p, double[] n, double margin) {
        double s = 0;
        for (double v : n) s += Math.max(p - v, -margin);
        return s / n.length + margin;
    }

    public static TransE train(KnowledgeGraph g, Settings s) {
        List<KnowledgeGraph.Triple> triples = g.triples();
        int ne = g.entities().size();
        int nr = KnowledgeGraph.RELATIONS.size();
        if (triples.isEmpty()) throw new KitException("TransE: the knowledge graph has no triples (an ontology without edges)");
        SplittableRandom rng = new SplittableRandom(s.seed());
        double[][] e = xavier(ne, s.dim(), rng);
        double[][] r = xavier(nr, s.dim(), rng);
        Set<Long> known = new HashSet<>();
        for (KnowledgeGraph.Triple t : triples) known.add(key(t.head(), t.relation(), t.tail(), ne, nr));
        double[] headProb = bern(triples, nr);
        List<Double> losses = new ArrayList<>();
        int[] order = new int[triples.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        int per = Math.max(1, (triples.size() + s.batches() - 1) / s.batches());
        for (int epoch = 0; epoch < s.epochs(); epoch++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int x = order[i];
                order[i] = order[j];
                order[j] = x;
            }
            double total = 0;
            for (int from = 0; from < order.length; from += per) {
                int to = Math.min(order.length, from + per);
                double[][] ge = new double[ne][];
                double[][] gr = new double[nr][];
                double count = (double) (to - from) * s.negatives();
                for (int b = from; b < to; b++) {
                    KnowledgeGraph.Triple t = triples.get(order[b]);
                    double p = distance(e[t.head()], r[t.relation()], e[t.tail()]);
                    for (int k = 0; k < s.negatives(); k++) {
                        int h2 = t.head();
                        int t2 = t.tail();
                        for (int tries = 0; tries < 20; tries++) {
                            h2 = t.head();
                            t2 = t.tail();
                            if (rng.nextDouble() < headProb[t.relation()]) h2 = rng.nextInt(ne); else t2 = rng.nextInt(ne);
                            if (!known.contains(key(h2, t.relation(), t2, ne, nr))) break;
                        }
                        double n = distance(e[h2], r[t.relation()], e[t2]);
                        total += Math.max(p - n, -s.margin());
                        if (p - n > -s.margin()) { // active: d loss / d p = 1 / count, d loss / d n = -1 / count
                            accumulate(e, r, ge, gr, t.head(), t.relation(), t.tail(), 1 / count);
                            accumulate(e, r, ge, gr, h2, t.relation(), t2, -1 / count);
                        }
                    }
                }
                apply(e, ge, s.lr());
                apply(r, gr, s.lr());
            }
            losses.add(total / ((double) order.length * s.negatives()) + s.margin());
        }
        return new TransE(e, r, losses);
    }

    /**
     * The embeddings of a graph with these settings from {@code dir} (file {@code transe-KEY.json}, KEY a
     * hash of the graph and the settings), trained and saved there first when absent.
     */
    public static TransE cached(KnowledgeGraph g, Settings s, java.nio.file.Path dir) {
        StringBuilder id = new StringBuilder(s.toString());
        for (String e : g.entities()) id.append('\n').append(e);
        for (KnowledgeGraph.Triple t : g.triples()) id.append('\n').append(t);
        String key;
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(id.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            key = java.util.HexFormat.of().formatHex(h).substring(0, 16);
        } catch (java.security.NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
        java.nio.file.Path file = dir.resolve("transe-" + key + ".json");
        if (java.nio.file.Files.exists(file)) return load(file, g);
        TransE t = train(g, s);
        t.save(file, g);
        return t;
    }

    /** Writes the tables (and the entity names, to check them on load) as JSON, atomically. */
    public void save(java.nio.file.Path file, KnowledgeGraph g) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.add("entities", new com.google.gson.Gson().toJsonTree(g.entities()));
        o.add("relations", new com.google.gson.Gson().toJsonTree(KnowledgeGraph.RELATIONS));
        o.add("entity", new com.google.gson.Gson().toJsonTree(entity));
        o.add("relation", new com.google.gson.Gson().toJsonTree(relation));
        o.add("epoch_loss", new com.google.gson.Gson().toJsonTree(epochLoss));
        try {
            java.nio.file.Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (java.io.IOException e) {
            throw new KitException("cannot create " + file.getParent(), e);
        }
        org.makekit.util.AtomicFiles.writeString(file, o.toString());
    }

    /** Reads saved tables; the file must name the graph's entities in the same order. */
    public static TransE load(java.nio.file.Path file, KnowledgeGraph g) {
        com.google.gson.JsonObject o;
        try {
            o = org.makekit.util.Json.parse(java.nio.file.Files.readString(file)).getAsJsonObject();
        } catch (java.io.IOException | RuntimeException e) {
            throw new KitException("cannot read TransE embeddings " + file + ": " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        for (var x : o.getAsJsonArray("entities")) names.add(x.getAsString());
        if (!names.equals(g.entities())) {
            throw new KitException(file + " holds embeddings of " + names.size() + " other entities than this graph's " + g.entities().size());
        }
        com.google.gson.Gson gson = new com.google.gson.Gson();
        List<Double> losses = new ArrayList<>();
        for (var x : o.getAsJsonArray("epoch_loss")) losses.add(x.getAsDouble());
        return new TransE(gson.fromJson(o.get("entity"), double[][].class), gson.fromJson(o.get("relation"), double[][].class), losses);
    }

    /** Adds w times the gradient of distance(h, r, t) to the gradient buffers. */
    static void accumulate(double[][] e, double[][] r, double[][] ge, double[][] gr, int h, int rel, int t, double w) {
        double[] x = e[h];
        double[] y = r[rel];
        double[] z = e[t];
        double nh = norm(x);
        double nr = norm(y);
        double nt = norm(z);
        int k = x.length;
        double[] sign = new double[k];
        for (int i = 0; i < k; i++) sign[i] = Math.signum(x[i] / nh + y[i] / nr - z[i] / nt) * w;
        add(ge, h, x, nh, sign, 1);
        add(gr, rel, y, nr, sign, 1);
        add(ge, t, z, nt, sign, -1);
    }

    /** g_x += s (I - x^ x^T) d / ||x||: the gradient through x^ = x / ||x||. */
    private static void add(double[][] grads, int row, double[] x, double n, double[] d, double s) {
        if (grads[row] == null) grads[row] = new double[x.length];
        double dot = 0;
        for (int i = 0; i < x.length; i++) dot += x[i] / n * d[i];
        for (int i = 0; i < x.length; i++) grads[row][i] += s * (d[i] - x[i] / n * dot) / n;
    }

    private static void apply(double[][] w, double[][] g, double lr) {
        for (int i = 0; i < w.length; i++) {
            if (g[i] == null) continue;
            for (int j = 0; j < w[i].length; j++) w[i][j] -= lr * g[i][j];
        }
    }

    /** Per relation, the probability of corrupting the head: tph / (tph + hpt) (Wang et al. 2014, OpenKE's bern). */
    static double[] bern(List<KnowledgeGraph.Triple> triples, int nr) {
        double[] p = new double[nr];
        for (int rel = 0; rel < nr; rel++) {
            java.util.Map<Integer, Set<Integer>> tailsOf = new java.util.HashMap<>();
            java.util.Map<Integer, Set<Integer>> headsOf = new java.util.HashMap<>();
            for (KnowledgeGraph.Triple t : triples) {
                if (t.relation() != rel) continue;
                Set<Integer> tails = tailsOf.computeIfAbsent(t.head(), x -> new HashSet<>());
                Set<Integer> heads = headsOf.computeIfAbsent(t.tail(), x -> new HashSet<>());
                tails.add(t.tail());
                heads.add(t.head());
            }
            double tph = tailsOf.values().stream().mapToInt(Set::size).average().orElse(1);
            double hpt = headsOf.values().stream().mapToInt(Set::size).average().orElse(1);
            p[rel] = tph / (tph + hpt);
        }
        return p;
    }

    static double[][] xavier(int rows, int cols, SplittableRandom rng) {
        double bound = Math.sqrt(6.0 / (rows + cols));
        double[][] w = new double[rows][cols];
        for (double[] row : w) for (int j = 0; j < cols; j++) row[j] = (rng.nextDouble() * 2 - 1) * bound;
        return w;
    }

    private static long key(int h, int r, int t, int ne, int nr) {
        return ((long) h * nr + r) * ne + t;
    }
}
