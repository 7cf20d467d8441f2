package org.makekit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.makekit.util.KitException;

/**
 * Captions from a CoCa model, by the loop open_clip's {@code CoCa.generate} runs: start from
 * [SOT], run the text tower and the decoder on the tokens so far against the image's pooled
 * tokens, and take the next token from the last position's logits, until EOT or the length limit.
 * Greedy (argmax), top-k sampling (seeded) or beam search (length-normalised log-probability).
 */
public final class Captioner {
    public enum Strategy { GREEDY, TOP_K, BEAM }

    /**
     * @param maxNewTokens tokens generated after SOT at most
     * @param topK         candidates for TOP_K sampling
     * @param beams        beams for BEAM
     * @param temperature  logits divided by this before sampling
     * @param seed         seed of TOP_K sampling
     * @param minLength    EOT is not allowed while the sequence (SOT included) is shorter (open_clip: 5)
     */
    public record Options(Strategy strategy, int maxNewTokens, int topK, int beams, double temperature, long seed,
                          int minLength) {
        public static Options greedy(int maxNewTokens) {
            return new Options(Strategy.GREEDY, maxNewTokens, 0, 1, 1.0, 0, 0);
        }
    }

    private final ClipModel model;
    private final long sot;
    private final long eot;

    public Captioner(ClipModel model, long sot, long eot) {
        if (!model.config().isCoca()) throw new KitException("captions need a CoCa model; '" + model.config().name() + "' is CLIP");
        this.model = model;
        this.sot = sot;
        this.eot = eot;
    }

    /** One token sequence per image (SOT first; EOT last when it was reached). */
    public List<long[]> generate(NDArray images, Options o) {
        List<long[]> out = new ArrayList<>();
        long n = images.getShape().get(0);
        for (int i = 0; i < n; i++) {
            try (NDScope scope = new NDScope()) {
                NDArray embs = model.encodeImage(images.get(i + ":" + (i + 1)), null).patches();
                out.add(o.strategy() == Strategy.BEAM ? beam(embs, o) : sample(embs, o, new SplittableRandom(o.seed() + i)));
            }
        }
        return out;
    }

    /** Log-probabilities of the next token after {@code seq}, as doubles. */
    private double[] nextLogProbs(NDArray imageEmbs, long[] seq, double temperature) {
        try (NDScope scope = new NDScope()) {
            ClipModel.TextTokens t = model.encodeTextTokens(new long[][] {seq}, null);
            NDArray logits = model.decode(t.tokens(), imageEmbs, new long[] {seq.length - 1}, null);
            if (temperature != 1.0) logits = logits.div(org.makekit.util.Tensors.scalar(logits, temperature));
            return logits.toType(DataType.FLOAT64, false).logSoftmax(1).toDoubleArray();
        }
    }

    private void restrict(double[] lp, int length, Options o) {
        if (length < o.minLength() && eot < lp.length) lp[(int) eot] = Double.NEGATIVE_INFINITY;
    }

    private long[] sample(NDArray embs, Options o, SplittableRandom rng) {
        long[] seq = {sot};
        int limit = Math.min(o.maxNewTokens(), model.config().text().contextLength() - 1);
        for (int step = 0; step < limit; step++) {
            double[] lp = nextLogProbs(embs, seq, o.strategy() == Strategy.TOP_K ? o.temperature() : 1.0);
            restrict(lp, seq.length, o);
            long next = o.strategy() == Strategy.GREEDY ? argmax(lp) : topK(lp, Math.max(1, o.topK()), rng);
            seq = Arrays.copyOf(seq, seq.length + 1);
            seq[seq.length - 1] = next;
            if (next == eot) break;
        }
        return seq;
    }

    static long argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    static long topK(double[] lp, int k, SplittableRandom rng) {
        Integer[] idx = new Integer[lp.length];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        Arrays.sort(idx, Comparator.comparingDouble(i -> -lp[i]));
        int kk = Math.min(k, idx.length);
        double[] p = new double[kk];
        double sum = 0;
        for (int i = 0; i < kk; i++) sum += p[i] = Math.exp(lp[idx[i]] - lp[idx[0]]);
        double u = rng.nextDouble() * sum;
        for (int i = 0; i < kk; i++) {
            u -= p[i];
            if (u <= 0) return idx[i];
        }
        return idx[kk - 1];
    }

    private record Beam(long[] seq, double logProb, boolean done) {
        double score() {
            return logProb / (seq.length - 1);
        }
    }

    private long[] beam(NDArray embs, Options o) {
        int width = Math.max(1, o.beams());
        int limit = Math.min(o.maxNewTokens(), model.config().text().contextLength() - 1);
        List<Beam> beams = List.of(new Beam(new long[] {sot}, 0, false));
        for (int step = 0; step < limit && beams.stream().anyMatch(b -> !b.done()); step++) {
            List<Beam> next = new ArrayList<>();
            for (Beam b : beams) {
                if (b.done()) {
                    next.add(b);
                    continue;
                }
                double[] lp = nextLogProbs(embs, b.seq(), 1.0);
                restrict(lp, b.seq().length, o);
                Integer[] idx = new Integer[lp.length];
                for (int i = 0; i < idx.length; i++) idx[i] = i;
                Arrays.sort(idx, Comparator.comparingDouble(i -> -lp[i]));
                for (int j = 0; j < width; j++) {
                    long[] s = Arrays.copyOf(b.seq(), b.seq().length + 1);
                    s[s.length - 1] = idx[j];
                    next.add(new Beam(s, b.logProb() + lp[idx[j]], idx[j] == eot));
                }
            }
            next.sort(Comparator.comparingDouble(Beam::score).reversed());
            beams = next.subList(0, Math.min(width, next.size()));
        }
        return beams.get(0).seq();
    }
}
