package org.makekit.train;

import java.util.HashMap;
import java.util.Map;
import org.makekit.loss.Objective;

/**
 * Watches the loss parts for a collapse the objective can name ({@link Objective#collapseLevel}): a part
 * within 1e-4 of its collapse level for 20 steps in a row. Says so once on stderr and returns a short
 * flag for the progress line for as long as it lasts.
 */
public final class CollapseWatch {
    public static final double TOLERANCE = 1e-4;
    public static final int STEPS = 20;

    private final Objective objective;
    private final Map<String, Integer> inARow = new HashMap<>();
    private final Map<String, Boolean> warned = new HashMap<>();

    public CollapseWatch(Objective objective) {
        this.objective = objective;
    }

    /** Feeds one step's parts; returns "" or "  [SLRA COLLAPSED]"-style text for the progress line. */
    public String update(Map<String, Double> parts, int images) {
        StringBuilder flag = new StringBuilder();
        for (Map.Entry<String, Double> e : parts.entrySet()) {
            double level = objective.collapseLevel(e.getKey(), images);
            if (Double.isNaN(level)) continue;
            boolean at = Math.abs(e.getValue() - level) < TOLERANCE;
            int n = at ? inARow.getOrDefault(e.getKey(), 0) + 1 : 0;
            inARow.put(e.getKey(), n);
            if (n >= STEPS) {
                flag.append("  [").append(e.getKey().toUpperCase(java.util.Locale.ROOT)).append(" COLLAPSED]");
                if (!warned.getOrDefault(e.getKey(), false)) {
                    warned.put(e.getKey(), true);
                    System.err.printf(java.util.Locale.ROOT, "%nwarning: %s has sat at its collapse level %.4f (ln of the text count)"
                            + " for %d steps: every gate is shut and it passes no gradient (see README, SLRA diagnostics)%n",
                            e.getKey(), level, STEPS);
                }
            }
        }
        return flag.toString();
    }

    /** Steps in a row the part has sat at its collapse level. */
    public int inARow(String part) {
        return inARow.getOrDefault(part, 0);
    }
}
