package org.makekit.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.data.TrainingRow;
import org.makekit.knowledge.KnowledgeGraph;
import org.makekit.knowledge.Ontology;
import org.makekit.loss.ArlLoss;
import org.makekit.text.Tokenizer;
import org.makekit.train.ArlInputs;
import org.makekit.train.ArlStep;
import org.makekit.train.ArlTrainer;
import org.makekit.util.Tensors;

/** ARL's model on a micro config in float64: shapes, masks, the knowledge stream, the GAT, MIM, and gradients. */
class ArlModelTest {
    static final String TOWERS = """
            {"name": "arl-micro-towers", "embed_dim": 16, "quick_gelu": true, "tokenizer": "gpt2-r50k",
             "vision_cfg": {"image_size": 16, "patch_size": 8, "width": 16, "layers": 1, "heads": 2, "mlp_ratio": 2.0},
             "text_cfg": {"context_length": 24, "vocab_size": 50258, "width": 16, "layers": 1, "heads": 2, "mlp_ratio": 2.0}}""";
    static final String ONTOLOGY = """
            {"skin disease": {"psoriasis, plaque psoriasis": {}, "eczema": {"atopic dermatitis": {}}, "melanoma": {}},
             "isolated finding": {}}""";

    record Fixture(ArlConfig config, KnowledgeGraph graph, Ontology ontology, ArlModel model, ArlInputs inputs) {}

    static Fixture fixture(Path dir, NDManager m, DataType type, int fusionLayers, long seed) throws Exception {
        Files.writeString(dir.resolve("towers.json"), TOWERS);
        Files.writeString(dir.resolve("o.json"), ONTOLOGY);
        ArlConfig c = new ArlConfig("arl-micro", dir.resolve("towers.json").toString(), 16, fusionLayers, 2, 8, 2, 16, 4, 2, 4, 24,
                8, 1, 2, Math.min(1, fusionLayers - 1), 0.75, 0.0);
        Ontology ont = Ontology.load(dir.resolve("o.json"));
        KnowledgeGraph g = new KnowledgeGraph(ont);
        double[][] ent = new double[g.entities().size()][8];
        SplittableRandom r = new SplittableRandom(seed + 7);
        for (double[] row : ent) for (int i = 0; i < row.length; i++) row[i] = r.nextDouble() - 0.5;
        ClipModel towers = ClipModel.create(c.towerConfig(), m, seed, type);
        ArlModel model = ArlModel.create(c, towers, ent, ArlTrainer.edges(g), seed);
        ArlInputs in = new ArlInputs(c, Tokenizer.forConfig(c.towerConfig(), 24), g, ont, 4, ArlInputs.Budget.COMPAT);
        return new Fixture(c, g, ont, model, in);
    }

    static TrainingRow row(String caption, String diagnosis) {
        return new TrainingRow("x.png", caption, caption, "", "", List.of(), new boolean[0], new boolean[0], diagnosis, "", diagnosis, "train");
    }

    static final List<TrainingRow> ROWS = List.of(row("Plaque psoriasis on the elbow with scale.", "psoriasis"),
            row("A melanoma, dark and irregular.", "melanoma"), row("Atopic dermatitis of the hand.", "atopic dermatitis"),
            row("A red patch, no diagnosis named.", "eczema"));

    static NDArray images(NDManager m, DataType type, int b, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] v = new double[b * 3 * 16 * 16];
        for (int i = 0; i < v.length; i++) v[i] = r.nextDouble() * 2 - 1;
        return Tensors.of(m, v, new Shape(b, 3, 16, 16), type);
    }

    @Test
    void shapesOfEveryPart(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture f = fixture(dir, m, DataType.FLOAT32, 2, 1);
            ArlInputs.Batch in = f.inputs().batch(ROWS, 0, 0);
            NDArray img = images(m, DataType.FLOAT32, 4, 3);
            NDArray g = f.model().gat(null);
            assertEquals(new Shape(6, 8), g.getShape(), "GAT: N x k");
            NDArray text = f.model().encodeText(in.ids(), null);
            assertEquals(new Shape(4, 24, 16), text.getShape());
            NDArray image = f.model().encodeImage(img, null);
            assertEquals(new Shape(4, 5, 16), image.getShape(), "class token + 4 patches");
            assertEquals(new Shape(4, 2, 16), f.model().encodeImage(img, in.keep()).getShape(), "MIM keeps int(4 x 0.25) = 1 patch");
            assertEquals(new Shape(4, 6), f.model().alignLogits(image.get(":, 0, :"), g, "image").getShape());
            ArlModel.Fused fused = f.model().fuse(text, f.model().keyMask(in.ids()), image,
                    f.model().knowledge(g, in.entityIds(), in.positions()), -1);
            assertEquals(new Shape(4, 24, 16), fused.text().getShape());
            assertEquals(new Shape(4, 5, 16), fused.image().getShape());
            assertEquals(new Shape(4, 32), fused.pooled().getShape());
            assertEquals(new Shape(4, 2), f.model().itmLogits(fused.pooled()).getShape());
            assertEquals(new Shape(in.mlmFlatPositions().length, 50258), f.model().mlmLogits(fused.text(), in.mlmFlatPositions()).getShape());
            NDArray kept = f.model().encodeImage(img, in.keep());
            ArlModel.Fused cap = f.model().fuse(text, f.model().keyMask(in.ids()), kept, null, 1);
            assertEquals(new Shape(4, 4, 192), f.model().mimPredict(cap.captured(), in.keep()).getShape(), "every patch, 8 x 8 x 3 values");
            ArlStep.Losses l = ArlStep.compute(f.model(), img, in, null);
            for (double v : l.parts().values()) assertTrue(Double.isFinite(v), l.parts().toString());
        }
    }

    @Test
    void paddingAfterEotChangesNothing(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture f = fixture(dir, m, DataType.FLOAT64, 2, 2);
            ArlInputs.Batch in = f.inputs().batch(ROWS, 0, 0);
            long[][] other = new long[4][];
            for (int i = 0; i < 4; i++) {
                other[i] = in.ids()[i].clone();
                int eot = ClipModel.poolPosition(other[i]);
                for (int j = eot + 1; j < other[i].length; j++) other[i][j] = 1000 + j; // different padding ids
            }
            NDArray img = images(m, DataType.FLOAT64, 4, 5);
            NDArray g = f.model().gat(null);
            ArlModel.Knowledge k = f.model().knowledge(g, in.entityIds(), in.positions());
            NDArray image = f.model().encodeImage(img, null);
            ArlModel.Fused a = f.model().fuse(f.model().encodeText(in.ids(), null), f.model().keyMask(in.ids()), image, k, -1);
            ArlModel.Fused b = f.model().fuse(f.model().encodeText(other, null), f.model().keyMask(other), image, k, -1);
            assertTrue(a.pooled().sub(b.pooled()).abs().max().getDouble() < 1e-12, "pooled");
            assertTrue(a.image().sub(b.image()).abs().max().getDouble() < 1e-12, "the image stream reads only real tokens");
            for (int i = 0; i < 4; i++) {
                int eot = ClipModel.poolPosition(in.ids()[i]);
                NDArray d = a.text().get(i + ", 0:" + (eot + 1) + ", :").sub(b.text().get(i + ", 0:" + (eot + 1) + ", :"));
                assertTrue(d.abs().max().getDouble() < 1e-12, "text tokens up to EOT of row " + i);
            }
            // and the mask does something: without it the padding would change the outputs
            NDArray none = m.zeros(new Shape(4, 1, 1, 24), DataType.FLOAT64);
            ArlModel.Fused c = f.model().fuse(f.model().encodeText(in.ids(), null), none, image, k, -1);
            ArlModel.Fused d = f.model().fuse(f.model().encodeText(other, null), none, image, k, -1);
            assertTrue(c.pooled().sub(d.pooled()).abs().max().getDouble() > 1e-6);
        }
    }

    @Test
    void withoutEntitiesTheKnowledgeStreamAddsExactlyNothing(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture f = fixture(dir, m, DataType.FLOAT64, 2, 4);
            ArlInputs.Batch in = f.inputs().batch(ROWS, 0, 0);
            assertTrue(Arrays.stream(in.entityIds()).flatMapToInt(Arrays::stream).anyMatch(e -> e >= 0), "the captions link entities");
            NDArray img = images(m, DataType.FLOAT64, 4, 5);
            NDArray g = f.model().gat(null);
            NDArray text = f.model().encodeText(in.ids(), null);
            NDArray mask = f.model().keyMask(in.ids());
            NDArray image = f.model().encodeImage(img, null);
            int[][] noIds = new int[4][4];
            for (int[] r : noIds) Arrays.fill(r, -1);
            double[][][] noPos = new double[4][4][24];
            ArlModel.Fused empty = f.model().fuse(text, mask, image, f.model().knowledge(g, noIds, noPos), -1);
            ArlModel.Fused off = f.model().fuse(text, mask, image, null, -1);
            assertEquals(0.0, empty.text().sub(off.text()).abs().max().getDouble(), 0.0, "bit-identical text stream");
            assertEquals(0.0, empty.pooled().sub(off.pooled()).abs().max().getDouble(), 0.0);
            ArlModel.Fused with = f.model().fuse(text, mask, image, f.model().knowledge(g, in.entityIds(), in.positions()), -1);
            assertTrue(with.text().sub(off.text()).abs().max().getDouble() > 1e-6, "entities do change the text stream");
            // one fusion layer: the knowledge lands on the entity tokens only (P^T K is zero elsewhere, the FFN is per
            // token), and the image stream of that layer reads the text entering it
            ArlModel single = fixture(dir, m, DataType.FLOAT64, 1, 4).model();
            NDArray g1 = single.gat(null);
            NDArray t1 = single.encodeText(in.ids(), null);
            NDArray i1 = single.encodeImage(img, null);
            ArlModel.Fused k1 = single.fuse(t1, single.keyMask(in.ids()), i1, single.knowledge(g1, in.entityIds(), in.positions()), -1);
            ArlModel.Fused n1 = single.fuse(t1, single.keyMask(in.ids()), i1, null, -1);
            assertEquals(0.0, k1.image().sub(n1.image()).abs().max().getDouble(), 0.0, "layer 0's image side does not see it");
            for (int r = 0; r < 4; r++) {
                boolean[] covered = new boolean[24];
                for (double[] row : in.positions()[r]) for (int j = 0; j < 24; j++) covered[j] |= row[j] > 0;
                for (int j = 0; j < 24; j++) {
                    double diff = k1.text().get(r + ", " + j + ", :").sub(n1.text().get(r + ", " + j + ", :")).abs().max().getDouble();
                    if (covered[j]) assertTrue(diff > 1e-9, "entity token " + j + " of row " + r + " changes");
                    else assertEquals(0.0, diff, 0.0, "token " + j + " of row " + r + " outside every entity is untouched");
                }
            }
        }
    }

    @Test
    void theGatSoftmaxIncludesTheSelfLoopAndFollowsEdges(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture f = fixture(dir, m, DataType.FLOAT64, 1, 6);
            int isolated = f.graph().entities().indexOf("isolated finding");
            int leaf = f.graph().entities().indexOf("atopic dermatitis");
            int parent = f.graph().entities().indexOf("eczema");
            int other = f.graph().entities().indexOf("melanoma");
            NDArray before = f.model().gat(null);
            NDArray table = f.model().param("arl.entity_embedding");
            // one entry (a shift of the whole row would vanish in the GAT's input LayerNorm)
            table.set(new NDIndex(parent + ", 2"), table.get(parent + ", 2").add(Tensors.scalar(table, 0.5)));
            NDArray after = f.model().gat(null);
            NDArray diff = after.sub(before).abs().sum(new int[] {1});
            assertEquals(0.0, diff.getDouble(isolated), 0.0, "a node without edges reads only itself (its self-loop)");
            assertTrue(diff.getDouble(leaf) > 1e-6, "a child reads its parent (has_child edge)");
            assertTrue(diff.getDouble(other) > 1e-9, "two layers: melanoma <- skin disease <- eczema");
            // a lone node's output is a function of its own row: the one-node softmax is exactly 1
            assertTrue(diff.getDouble(parent) > 1e-6);
        }
    }

    @Test
    void mimCapturesTheInputOfItsLayerAndScoresOnlyDroppedPatches(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture two = fixture(dir, m, DataType.FLOAT64, 2, 8);
            Path w = dir.resolve("two.safetensors");
            two.model().save(w);
            Fixture one = fixture(dir, m, DataType.FLOAT64, 1, 9);
            one.model().load(w); // its parameters are the first layer's of the two-layer model
            ArlInputs.Batch in = two.inputs().batch(ROWS, 0, 0);
            NDArray img = images(m, DataType.FLOAT64, 4, 5);
            NDArray text = two.model().encodeText(in.ids(), null);
            NDArray mask = two.model().keyMask(in.ids());
            NDArray image = two.model().encodeImage(img, null);
            NDArray g = two.model().gat(null);
            ArlModel.Knowledge k = two.model().knowledge(g, in.entityIds(), in.positions());
            assertEquals(0.0, two.model().fuse(text, mask, image, k, 0).captured().sub(image).abs().max().getDouble(), 0.0,
                    "layer 0's input is the image stream itself");
            NDArray captured = two.model().fuse(text, mask, image, k, 1).captured();
            NDArray firstLayer = one.model().fuse(text, mask, image, k, -1).image();
            assertEquals(0.0, captured.sub(firstLayer).abs().max().getDouble(), 1e-12, "layer 1's input = layer 0's output");
            // the loss ignores kept patches; by hand for one dropped patch with unbiased variance
            int[][] keep = {{1}, {0}, {3}, {2}};
            NDArray pred = m.zeros(new Shape(4, 4, 192), DataType.FLOAT64);
            double base = ArlLoss.mim(pred, img, 8, keep).getDouble();
            NDArray shifted = pred.duplicate();
            shifted.set(new NDIndex("0, 1, :"), 5.0);
            assertEquals(base, ArlLoss.mim(shifted, img, 8, keep).getDouble(), 1e-12, "kept patch 1 of image 0 does not count");
            // zero predictions: each dropped patch scores mean(target^2) = (n - 1) / n * var / (var + 1e-6) ~ 191/192
            assertEquals(191.0 / 192.0, base, 1e-4);
        }
    }

    @Test
    void arlBaseHasThePapersWidthsOnViTB16Towers() {
        ArlConfig c = ArlConfig.load("arl-base");
        ModelConfig tc = c.towerConfig();
        assertEquals("ViT-B-16", tc.name());
        assertTrue(c.textLength() <= tc.text().contextLength());
        var shapes = ArlModel.ownShapes(c, tc, 371);
        // related-methods.md 2.3: 768-wide fusion, 6 + 6 layers, a 256-wide knowledge stream with an FFN of 1024
        assertArrayEquals(new long[] {3 * 768, 768}, shapes.get("arl.fusion.text.5.cross.in_proj_weight"));
        assertArrayEquals(new long[] {256, 768}, shapes.get("arl.fusion.text.0.image2k.weight"));
        assertArrayEquals(new long[] {1024, 256}, shapes.get("arl.fusion.text.0.k_ffn.c_fc.weight"));
        assertArrayEquals(new long[] {512, 256}, shapes.get("arl.gat.0.weight"), "GAT 256 -> 64 x 8");
        assertArrayEquals(new long[] {2, 2 * 768}, shapes.get("arl.itm.weight"));
        assertArrayEquals(new long[] {3 * 16 * 16, 384}, shapes.get("arl.mim.pred.weight"), "decoder 384 -> 16 x 16 x 3 pixels");
        assertTrue(!shapes.containsKey("arl.fusion.text.6.attn.in_proj_weight"));
        long n = shapes.values().stream().mapToLong(v -> java.util.Arrays.stream(v).reduce(1, (a, b) -> a * b)).sum();
        System.out.printf("arl-base adds %.1fM parameters to the ViT-B/16 towers%n", n / 1e6);
        assertTrue(n > 100_000_000 && n < 200_000_000, "ARL's fusion, heads and MLM decoder: " + n);
    }

    @Test
    void alignBceIsTheMeanOverImagesAndEntities(@TempDir Path dir) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = Tensors.of(m, new double[] {2, -1, 0, 3}, new Shape(2, 2), DataType.FLOAT64);
            double[][] y = {{1, 0}, {0, 1}};
            double expected = (Math.log1p(Math.exp(-2)) + Math.log1p(Math.exp(-1)) + Math.log(2) + Math.log1p(Math.exp(-3))) / 4;
            assertEquals(expected, ArlLoss.bceWithLogits(logits, y).getDouble(), 1e-12);
        }
    }

    @Test
    void alignAndItmGradientsMatchFiniteDifferences(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Fixture f = fixture(dir, m, DataType.FLOAT64, 2, 11);
            ArlModel model = f.model();
            ArlInputs.Batch in = f.inputs().batch(ROWS, 0, 0);
            NDArray img = images(m, DataType.FLOAT64, 4, 13);
            model.requireGradients();
            java.util.function.Supplier<NDArray[]> losses = () -> {
                NDArray g = model.gat(null);
                NDArray text = model.encodeText(in.ids(), null);
                NDArray image = model.encodeImage(img, null);
                NDArray align = ArlLoss.bceWithLogits(model.alignLogits(image.get(":, 0, :"), g, "image"), in.imageLabels())
                        .add(ArlLoss.bceWithLogits(model.alignLogits(text.get(":, 0, :"), g, "text"), in.textLabels()));
                ArlModel.Fused fused = model.fuse(text, model.keyMask(in.ids()), ArlStep.rows(image, in.itmImage()),
                        model.knowledge(g, in.entityIds(), in.positions()), -1);
                return new NDArray[] {align, ArlLoss.crossEntropy(model.itmLogits(fused.pooled()), in.itmLabels())};
            };
            String[][] probes = {{"arl.align.image.fc1.weight", "3"}, {"arl.align.text.fc2.weight", "5"}, {"arl.gat.0.att_src", "1"},
                {"arl.entity_embedding", "9"}, {"visual.transformer.resblocks.0.attn.in_proj_weight", "17"},
                {"arl.fusion.text.0.k_cross.in_proj_weight", "4"}, {"arl.fusion.text.1.fuse.weight", "21"},
                {"arl.fusion.image.0.cross.in_proj_weight", "30"}, {"arl.itm.weight", "7"}, {"arl.pool.image.weight", "2"},
                {"transformer.resblocks.0.mlp.c_fc.weight", "12"}};
            for (int which = 0; which < 2; which++) {
                for (NDArray p : model.parameters().values()) p.getGradient().set(new NDIndex("..."), 0.0);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(losses.get()[which]);
                }
                for (String[] probe : probes) {
                    NDArray p = model.param(probe[0]);
                    long flat = Long.parseLong(probe[1]);
                    NDArray view = p.reshape(-1);
                    double analytic = p.getGradient().toType(DataType.FLOAT64, false).reshape(-1).getDouble(flat);
                    double old = view.getDouble(flat);
                    double h = 1e-6;
                    view.set(new NDIndex(flat), old + h);
                    p.set(new NDIndex("..."), view.reshape(p.getShape()));
                    double up = losses.get()[which].getDouble();
                    view.set(new NDIndex(flat), old - h);
                    p.set(new NDIndex("..."), view.reshape(p.getShape()));
                    double down = losses.get()[which].getDouble();
                    view.set(new NDIndex(flat), old);
                    p.set(new NDIndex("..."), view.reshape(p.getShape()));
                    double numeric = (up - down) / (2 * h);
                    String what = (which == 0 ? "align" : "itm") + " d/d " + probe[0] + "[" + flat + "]";
                    assertEquals(numeric, analytic, 1e-7 + 1e-5 * Math.abs(numeric), what);
                    if (which == 0 && probe[0].startsWith("arl.align.image")) assertTrue(Math.abs(analytic) > 1e-9, what + " is not zero");
                    if (which == 1 && probe[0].startsWith("arl.itm")) assertTrue(Math.abs(analytic) > 1e-9, what + " is not zero");
                }
            }
        }
    }
}
