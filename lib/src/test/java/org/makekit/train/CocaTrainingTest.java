package org.makekit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;
import org.makekit.util.KitException;

/** The coca method through StepComputer: the caption loss falls, and what it needs is checked. */
class CocaTrainingTest {
    static final String MICRO_COCA = """
            {"name": "micro-coca", "embed_dim": 32, "quick_gelu": false, "tokenizer": "gpt2-r50k",
             "vision_cfg": {"image_size": 32, "patch_size": 8, "width": 64, "layers": 2, "heads": 2,
                            "attentional_pool": true, "attn_pooler_queries": 5, "attn_pooler_heads": 2},
             "text_cfg": {"context_length": 76, "vocab_size": 50258, "width": 32, "layers": 2, "heads": 2, "embed_cls": true},
             "multimodal_cfg": {"context_length": 76, "vocab_size": 50258, "width": 32, "layers": 2, "heads": 2}}""";

    @Test
    void captionAndContrastiveLossesFallOnAFixedBatch() {
        StepComputerTest.data(java.nio.file.Path.of(System.getProperty("java.io.tmpdir"))
                .resolve("makekit-coca-test-" + ProcessHandle.current().pid()));
        ModelConfig cfg = ModelConfig.parse(MICRO_COCA, "test", "micro-coca");
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = ClipModel.create(cfg, m, 7, DataType.FLOAT32);
            model.requireGradients();
            StepComputer sc = new StepComputer(model.parameters(), List.of(model), Method.COCA, Method.Settings.defaults(),
                    Tokenizer.forConfig(cfg), 0, 16);
            assertEquals(List.of("contrastive", "caption"), sc.objective().partNames());
            AdamW opt = new AdamW(model.parameters(), 0.9, 0.98, 1e-6, 0.0);
            TextBatch tb = TextBatch.of(StepComputerTest.rows, Method.COCA.layout(), 8);
            double firstCaption = 0;
            double lastCaption = 0;
            double firstContrastive = 0;
            double lastContrastive = 0;
            for (int step = 0; step < 15; step++) {
                try (NDScope s = new NDScope()) {
                    StepComputer.Result r = sc.compute(StepComputerTest.pixels, StepComputerTest.rows, tb, 1);
                    assertTrue(r.finite());
                    assertEquals(r.loss(), r.parts().get("contrastive") + r.parts().get("caption"), 1e-5);
                    if (step == 0) {
                        firstCaption = r.parts().get("caption");
                        firstContrastive = r.parts().get("contrastive");
                    }
                    lastCaption = r.parts().get("caption");
                    lastContrastive = r.parts().get("contrastive");
                    opt.step(r.grads(), 4e-3);
                }
            }
            // ln(50258) = 10.8 per token at the start, times the caption weight 2
            assertEquals(2 * Math.log(50258), firstCaption, 2.0);
            assertTrue(lastCaption < 0.75 * firstCaption, "caption loss " + firstCaption + " -> " + lastCaption);
            assertTrue(lastContrastive < firstContrastive, "contrastive " + firstContrastive + " -> " + lastContrastive);
        }
    }

    @Test
    void cocaNeedsACocaConfigAndTheDirectPath() {
        ModelConfig clip = ModelConfig.parse(StepComputerTest.MICRO, "test", "micro");
        ModelConfig coca = ModelConfig.parse(MICRO_COCA, "test", "micro-coca");
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel c = ClipModel.create(clip, m, 1, DataType.FLOAT32);
            KitException e = assertThrows(KitException.class, () -> new StepComputer(c.parameters(), List.of(c), Method.COCA,
                    Method.Settings.defaults(), Tokenizer.forConfig(clip), 0, 16));
            assertTrue(e.getMessage().contains("needs a CoCa model config"), e.getMessage());
            ClipModel k = ClipModel.create(coca, m, 1, DataType.FLOAT32);
            e = assertThrows(KitException.class, () -> new StepComputer(k.parameters(), List.of(k), Method.COCA,
                    Method.Settings.defaults(), Tokenizer.forConfig(coca), 4, 16));
            assertTrue(e.getMessage().contains("direct path"), e.getMessage());
        }
    }
}
