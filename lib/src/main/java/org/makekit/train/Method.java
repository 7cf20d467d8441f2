package org.makekit.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.makekit.loss.ClipLoss;
import org.makekit.loss.CocaLoss;
import org.makekit.loss.MakeLoss;
import org.makekit.loss.Objective;
import org.makekit.loss.SigLipLoss;
import org.makekit.util.KitException;

/**
 * A training method, declared once: its id (what {@code --method} takes), a description, the label
 * and data mark the paper tables print, the texts it needs per image, the model outputs it needs,
 * its objective, and its tick marks in the ablation table. The trainer, the table scripts, the
 * notebooks and the benchmark read only this.
 *
 * <p>Adding a method is one declaration and one {@link #register} call; see the built-ins below.
 *
 * @param id          the name on the command line
 * @param description one line for help texts and plots
 * @param paperLabel  the "Method" column of Tables 1 and 2 (CLIP, SigLIP, MAKE, ...)
 * @param knowledgeData true when it trains on the knowledge-augmented data (the paper's dagger)
 * @param layout      the texts each image contributes
 * @param outputs     the model outputs the objective reads
 * @param objective   builds the objective for a run's settings
 * @param marks       Table 3's tick marks by column (mkcl, slra, dkw, ...)
 */
public record Method(String id, String description, String paperLabel, boolean knowledgeData, TextBatch.Layout layout,
                     Set<Output> outputs, ObjectiveFactory objective, Map<String, String> marks) {

    /** Model outputs a method may need besides the global image and text features. */
    public enum Output {
        GLOBAL, PATCHES,
        /** CoCa's decoder: next-token logits at the caption's labelled positions (needs a CoCa model config). */
        CAPTION,
        /**
         * A fusion encoder (ARL): no global contrastive features, so no zero-shot check; trained by
         * {@link ArlTrainer} on an ARL model config, its losses computed by {@link ArlStep}.
         */
        FUSION
    }

    /**
     * What a run lets an objective depend on.
     *
     * @param ohclBeta     O-MAKE's soft-label share (0.5 in the released training)
     * @param ohclCosine   lower beta by the official cosine curriculum over the epochs
     * @param ontology     the disease ontology file for O-MAKE's label similarity (null: the built-in Derm1M tree)
     */
    public record Settings(MakeLoss.Mode mode, int k, double slraSigma, double ohclBeta, boolean ohclCosine, String ontology,
                           MakeLoss.SlraPool slraPool) {
        public Settings(MakeLoss.Mode mode, int k, double slraSigma) {
            this(mode, k, slraSigma, 0.5, false, null);
        }

        public Settings(MakeLoss.Mode mode, int k, double slraSigma, double ohclBeta, boolean ohclCosine, String ontology) {
            this(mode, k, slraSigma, ohclBeta, ohclCosine, ontology, MakeLoss.SlraPool.OFFICIAL);
        }

        public static Settings defaults() {
            return new Settings(MakeLoss.Mode.COMPAT, 8, 0.0);
        }

        /** The ontology these settings name (loaded once per call). */
        public org.makekit.knowledge.Ontology loadOntology() {
            return ontology == null ? org.makekit.knowledge.Ontology.builtin()
                    : org.makekit.knowledge.Ontology.load(java.nio.file.Path.of(ontology));
        }
    }

    @FunctionalInterface
    public interface ObjectiveFactory {
        Objective create(Settings s);
    }

    private static final Map<String, Method> REGISTRY = new LinkedHashMap<>();

    public static final Method CLIP = register(new Method("clip", "CLIP baseline, raw caption (Table 3 row 1)", "CLIP",
            false, TextBatch.Layout.RAW, Set.of(Output.GLOBAL), s -> ClipLoss.objective(), Map.of()));
    public static final Method CLIP_AUGMENTED = register(new Method("clip-augmented",
            "CLIP on knowledge-augmented captions (Derm1M-dagger, Table 1)", "CLIP", true, TextBatch.Layout.AUGMENTED_RAW,
            Set.of(Output.GLOBAL), s -> ClipLoss.objective(), Map.of()));
    public static final Method SIGLIP = register(new Method("siglip", "SigLIP baseline, raw caption", "SigLIP", false,
            TextBatch.Layout.RAW, Set.of(Output.GLOBAL), s -> SigLipLoss.objective(), Map.of()));
    public static final Method SIGLIP_AUGMENTED = register(new Method("siglip-augmented",
            "SigLIP on knowledge-augmented captions", "SigLIP", true, TextBatch.Layout.AUGMENTED_RAW, Set.of(Output.GLOBAL),
            s -> SigLipLoss.objective(), Map.of()));
    public static final Method COCA = register(new Method("coca",
            "CoCa: contrastive + captioning (open_clip's coca; Tables 1-2)", "CoCa", false, TextBatch.Layout.RAW,
            Set.of(Output.GLOBAL, Output.CAPTION), s -> CocaLoss.objective(), Map.of()));
    public static final Method COCA_AUGMENTED = register(new Method("coca-augmented",
            "CoCa on knowledge-augmented captions (Derm1M-dagger, Tables 1-2)", "CoCa", true, TextBatch.Layout.AUGMENTED_RAW,
            Set.of(Output.GLOBAL, Output.CAPTION), s -> CocaLoss.objective(), Map.of()));
    public static final Method MKCL_KNOWLEDGE = register(makeRow("mkcl-knowledge",
            "MKCL, knowledge set only (Table 3 row 2)", "mkcl-knowledge", TextBatch.Layout.KNOWLEDGE, false, false, Map.of("mkcl", "✓#")));
    public static final Method MKCL = register(makeRow("mkcl", "MKCL, knowledge set + sub-texts (Table 3 row 3)", "mkcl",
            TextBatch.Layout.MAKE, false, false, Map.of("mkcl", "✓")));
    public static final Method MKCL_SLRA = register(makeRow("mkcl+slra", "MKCL + SLRA (Table 3 row 4)", "mkcl+slra",
            TextBatch.Layout.MAKE, true, false, Map.of("mkcl", "✓", "slra", "✓")));
    public static final Method MAKE = register(makeRow("make", "MAKE: MKCL + SLRA + DKW (Table 3 row 5)", "MAKE",
            TextBatch.Layout.MAKE, true, true, Map.of("mkcl", "✓", "slra", "✓", "dkw", "✓")));

    public static final Method OMAKE = register(new Method("omake",
            "O-MAKE: MAKE + OHCL soft labels from the ontology's Wu-Palmer similarity (seed 000)", "O-MAKE", true,
            TextBatch.Layout.MAKE, Set.of(Output.GLOBAL, Output.PATCHES), Method::omakeObjective,
            Map.of("mkcl", "✓", "slra", "✓", "dkw", "✓", "ohcl", "✓")));

    public static final Method ARL = register(new Method("arl",
            "ARL: knowledge-aligned, knowledge-injected fusion pretraining (align, ITM, whole-entity MLM, MIM; seed 002)", "ARL",
            false, TextBatch.Layout.RAW, Set.of(Output.FUSION), s -> ArlTrainer.OBJECTIVE,
            Map.of()));

    /** O-MAKE's objective: MAKE's full loss with OHCL; each row's label is its diagnosis's node in the ontology (-1 if none). */
    static Objective omakeObjective(Settings s) {
        org.makekit.knowledge.Ontology ont = s.loadOntology();
        org.makekit.loss.OmakeLoss.Options o = new org.makekit.loss.OmakeLoss.Options(
                new MakeLoss.Options(s.mode(), s.k(), true, true, 1.0, 0.7, s.slraSigma(), s.slraPool()), s.ohclBeta(), 0.07);
        return new org.makekit.loss.OmakeLoss.OmakeObjective(o, s.ohclCosine(), row -> ont.indexOf(row.diagnosis()), ont::wuPalmer);
    }

    /** One of MAKE's ablation rows: the MAKE loss with SLRA and DKW on or off (K = 0 for the knowledge set only). */
    static Method makeRow(String id, String description, String paperLabel, TextBatch.Layout layout, boolean slra,
                          boolean dkw, Map<String, String> marks) {
        boolean subTexts = layout != TextBatch.Layout.KNOWLEDGE;
        return new Method(id, description, paperLabel, true, layout,
                slra ? Set.of(Output.GLOBAL, Output.PATCHES) : Set.of(Output.GLOBAL),
                s -> MakeLoss.objective(new MakeLoss.Options(s.mode(), subTexts ? s.k() : 0, slra, dkw, 1.0, 0.7, s.slraSigma(),
                        s.slraPool())),
                marks);
    }

    public Method {
        if (id == null || id.isBlank() || !id.equals(id.trim().toLowerCase(Locale.ROOT))) {
            throw new KitException("method id must be a lower-case name, got '" + id + "'");
        }
        outputs = Set.copyOf(outputs);
        marks = Map.copyOf(marks);
    }

    /** Makes a method known by its id (to --method, the tables and the benchmark); returns it. */
    public static synchronized Method register(Method m) {
        Method old = REGISTRY.putIfAbsent(m.id(), m);
        if (old != null && old != m) throw new KitException("a method with id '" + m.id() + "' is already registered");
        return m;
    }

    /** The registered methods in registration order. */
    public static synchronized List<Method> all() {
        return Collections.unmodifiableList(new ArrayList<>(REGISTRY.values()));
    }

    public static synchronized Method parse(String s) {
        Method m = REGISTRY.get(s.trim().toLowerCase(Locale.ROOT));
        if (m == null) {
            throw new KitException("method '" + s + "': expected one of " + String.join(", ", REGISTRY.keySet()));
        }
        return m;
    }

    public boolean needs(Output o) {
        return outputs.contains(o);
    }

    /** Texts per image for K sub-sentences. */
    public int textsPerImage(int k) {
        return layout.textsPerImage(k);
    }

    @Override
    public String toString() {
        return id;
    }
}
