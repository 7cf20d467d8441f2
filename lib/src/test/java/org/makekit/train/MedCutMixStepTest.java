package org.makekit.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.makekit.augment.DiagnosticSentences;
import org.makekit.augment.MedCutMix;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.knowledge.Ontology;
import org.makekit.loss.MakeLoss;
import org.makekit.model.ClipModel;
import org.makekit.text.Tokenizer;
import org.makekit.util.Tensors;

/**
 * MedCutMix inside a training step: the mix is on the graph (gradients equal central finite
 * differences of the loss with the mix held fixed), the attention is not, probability 0 changes
 * nothing, and gradient caching computes the same mixed step.
 */
class MedCutMixStepTest {
    static MedCutMix mcm(String spec) {
        return new MedCutMix(MedCutMix.Options.parse(spec), new DiagnosticSentences(Ontology.builtin(), ConceptLexicon.builtin()), 3);
    }

    static StepComputer computer(ClipModel master, Method method, int micro) {
        method.objective().create(Method.Settings.defaults()).prepare(master, false);
        master.requireGradients();
        return new StepComputer(master.parameters(), List.of(master), method, new Method.Settings(MakeLoss.Mode.COMPAT, 8, 0.0),
                Tokenizer.forConfig(StepComputerTest.cfg()), micro, 16);
    }

    /** The plan of a step on the test batch, computed with the model's attention. */
    static MedCutMix.Plan plan(StepComputer sc, String spec) {
        sc.withMedCutMix(mcm(spec));
        try (NDScope s = new NDScope()) {
            return sc.planMix(StepComputerTest.pixels, StepComputerTest.rows, 0);
        }
    }

    static double loss(StepComputer sc, Method method, MedCutMix.Plan p, Map<String, double[]> grads) {
        List<org.makekit.data.TrainingRow> rows = p == null ? StepComputerTest.rows : p.rows();
        try (NDScope s = new NDScope()) {
            StepComputer.Result r = sc.compute(StepComputerTest.pixels, rows, TextBatch.of(rows, method.layout(), 8), 1, p);
            assertTrue(r.finite());
            if (grads != null) r.grads().forEach((k, g) -> grads.put(k, g.toType(DataType.FLOAT64, false).toDoubleArray()));
            return r.loss();
        }
    }

    @Test
    void synthDermCaptionsHaveOneDiagnosticSentenceNamingTheirDiagnosis() {
        DiagnosticSentences f = new DiagnosticSentences(Ontology.builtin(), ConceptLexicon.builtin());
        ensureData();
        for (var r : StepComputerTest.rows) {
            var dx = f.split(r.caption()).stream().filter(DiagnosticSentences.Sentence::diagnostic).toList();
            assertEquals(1, dx.size(), r.label() + ": " + f.split(r.caption()));
            assertTrue(dx.get(0).text().toLowerCase().contains(r.label()), dx.get(0).text());
        }
    }

    /** StepComputerTest's batch: 8 SynthDerm images at 32 px, augmented (made once per JVM). */
    static synchronized void ensureData() {
        if (StepComputerTest.rows == null) StepComputerTest.data(tmp());
    }

    static java.nio.file.Path tmp() {
        try {
            return java.nio.file.Files.createTempDirectory("mcm");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void probabilityZeroLeavesTheStepBitIdentical() {
        ensureData();
        try (NDManager m = NDManager.newBaseManager()) {
            StepComputer sc = computer(ClipModel.create(StepComputerTest.cfg(), m, 42, DataType.FLOAT32), Method.MAKE, 0);
            Map<String, double[]> plain = new LinkedHashMap<>();
            double a = loss(sc, Method.MAKE, null, plain);
            MedCutMix.Plan p = plan(sc, "p=0");
            assertFalse(p.mixes());
            Map<String, double[]> zero = new LinkedHashMap<>();
            double b = loss(sc, Method.MAKE, p, zero);
            assertEquals(a, b, 0.0);
            for (String k : plain.keySet()) assertArrayEquals(plain.get(k), zero.get(k), 0.0, k);
            // and a mixing plan changes the step
            double c = loss(sc, Method.MAKE, plan(sc, "p=1"), null);
            assertTrue(Math.abs(c - a) > 1e-6, a + " vs " + c);
        }
    }

    @Test
    void mixedStepGradientsEqualFiniteDifferences() {
        ensureData();
        // CLIP with a hard mix replacing the samples, MKCL (MAKE's multi-text loss) with a soft mix appended; mixing after
        // block 1 of 2. (Not MAKE itself: its SLRA gates are thresholds per patch and text, so its loss has kinks that a
        // finite difference can straddle; gradient caching below checks MAKE's mixed step instead.)
        for (Object[] c : new Object[][] {{Method.CLIP, "p=1,layer=1,mix=hard,targets=replace,lambda=0.3:0.6"},
            {Method.MKCL, "p=0.7,layer=1,mix=soft,targets=append"}}) {
            Method method = (Method) c[0];
            try (NDManager m = NDManager.newBaseManager()) {
                ClipModel model = ClipModel.create(StepComputerTest.cfg(), m, 42, DataType.FLOAT64);
                StepComputer sc = computer(model, method, 0);
                MedCutMix.Plan p = plan(sc, (String) c[1]);
                assertTrue(p.pairs().size() >= 2, "pairs " + p.pairs().size());
                Map<String, double[]> g = new LinkedHashMap<>();
                loss(sc, method, p, g);
                // entries before the mix (patch embedding, block 0: both images of a pair feed them), after it, and in the text tower
                for (String name : List.of("visual.conv1.weight", "visual.transformer.resblocks.0.mlp.c_fc.weight",
                        "visual.transformer.resblocks.1.attn.in_proj_weight", "visual.proj", "transformer.resblocks.1.mlp.c_proj.weight")) {
                    double[] grad = g.get(name);
                    int at = 0;
                    for (int i = 1; i < grad.length; i++) if (Math.abs(grad[i]) > Math.abs(grad[at])) at = i;
                    double h = 1e-6;
                    double up = perturbed(sc, method, p, model.param(name), at, h);
                    double down = perturbed(sc, method, p, model.param(name), at, -h);
                    double fd = (up - down) / (2 * h);
                    assertEquals(fd, grad[at], 1e-6 * Math.max(1, Math.abs(fd)), method.id() + " " + name + "[" + at + "]: autograd "
                            + grad[at] + ", finite differences " + fd);
                }
            }
        }
    }

    /** The loss with one weight moved by h (the plan, attention included, held fixed), the weight then put back. */
    static double perturbed(StepComputer sc, Method method, MedCutMix.Plan p, NDArray w, int flat, double h) {
        double[] all = w.toType(DataType.FLOAT64, false).toDoubleArray();
        double old = all[flat];
        all[flat] = old + h;
        set(w, all);
        double l = loss(sc, method, p, null);
        all[flat] = old;
        set(w, all);
        return l;
    }

    static void set(NDArray w, double[] v) {
        try (NDScope s = new NDScope()) {
            w.set(new NDIndex("..."), Tensors.of(w.getManager(), v, w.getShape(), w.getDataType()));
        }
    }

    @Test
    void theAttentionCarriesNoGradientEvenInsideACollector() {
        ensureData();
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipModel.create(StepComputerTest.cfg(), m, 42, DataType.FLOAT32);
            model.requireGradients();
            int size = model.config().vision().imageSize();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray img = Tensors.of(m, java.util.Arrays.copyOf(StepComputerTest.pixels, 2 * 3 * size * size), new Shape(2, 3, size, size));
                NDArray a = MedCutMix.attentionMaps(model, Tokenizer.forConfig(StepComputerTest.cfg()), img,
                        List.of("The final diagnosis was psoriasis", "Clinical assessment confirmed vitiligo"), 0.07);
                assertFalse(a.hasGradient(), "the attention must be outside the graph");
                assertEquals(new Shape(2, 16), a.getShape());
                double[] rows = a.sum(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
                assertEquals(1.0, rows[0], 1e-5);
                assertEquals(1.0, rows[1], 1e-5);
            }
        }
    }

    @Test
    void gradientCachingComputesTheSameMixedStep() {
        ensureData();
        for (String spec : List.of("p=1,layer=0,targets=replace", "p=0.8,layer=2,mix=soft,targets=append")) {
            Map<String, double[]> direct = new LinkedHashMap<>();
            Map<String, double[]> cached = new LinkedHashMap<>();
            double a;
            double b;
            MedCutMix.Plan p;
            try (NDManager m = NDManager.newBaseManager()) {
                StepComputer sc = computer(ClipModel.create(StepComputerTest.cfg(), m, 42, DataType.FLOAT32), Method.MAKE, 0);
                p = plan(sc, spec);
                a = loss(sc, Method.MAKE, p, direct);
            }
            try (NDManager m = NDManager.newBaseManager()) {
                StepComputer sc = computer(ClipModel.create(StepComputerTest.cfg(), m, 42, DataType.FLOAT32), Method.MAKE, 3);
                assertFalse(sc.direct());
                b = loss(sc, Method.MAKE, p, cached);
            }
            assertEquals(a, b, 1e-5 * Math.abs(a), spec);
            for (String k : direct.keySet()) {
                double[] x = direct.get(k);
                double[] y = cached.get(k);
                double scale = 0;
                for (double v : x) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], 1e-4 * scale + 1e-9, spec + " " + k + "[" + i + "]");
            }
        }
    }
}
