package org.makekit.train;

/** OpenCLIP's cosine_lr: linear warmup lr*(step+1)/warmup, then cosine decay to 0 at the last step. */
public record Schedule(double baseLr, long warmup, long total) {
    public double lr(long step) {
        if (step < warmup) return baseLr * (step + 1) / warmup;
        long e = step - warmup;
        long es = Math.max(1, total - warmup);
        return 0.5 * (1 + Math.cos(Math.PI * e / es)) * baseLr;
    }
}
