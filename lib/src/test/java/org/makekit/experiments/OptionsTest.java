package org.makekit.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.makekit.train.TrainConfig;
import org.makekit.util.KitException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** Command-line options are null unless given: a preset or a script's own default is never mistaken for a user's choice. */
class OptionsTest {
    @Command(name = "pretrain")
    static class Pretrain {
        @Mixin PretrainOptions o;
    }

    @Command(name = "tables")
    static class Tables {
        @Mixin TableOptions o;
    }

    static TrainConfig pretrain(String... args) {
        Pretrain p = new Pretrain();
        new CommandLine(p).parseArgs(args);
        return p.o.config();
    }

    @Test
    void paperPresetWithTinyModelTrainsTiny() {
        TrainConfig c = pretrain("--preset", "paper", "--model", "tiny", "--steps", "1");
        assertEquals("tiny", c.model);
        assertEquals(1, c.steps);
        assertEquals(2048, c.batchSize, "the rest of the paper recipe stays");
        assertEquals("fp16", c.precision);
        assertEquals("ViT-B-16", pretrain("--preset", "paper").model);
        assertEquals("tiny", pretrain().model);
        assertEquals("ViT-B-16", pretrain("--model", "ViT-B-16").model);
    }

    @Test
    void givenOptionsOverrideThePresetEvenAtTheDemoDefault() {
        TrainConfig c = pretrain("--preset", "paper", "--lr", "5e-4", "--batch-size", "32", "--eval-split", "", "--method", "CLIP",
                "--slra-sigma", "0.1");
        assertEquals(5e-4, c.lr);
        assertEquals(32, c.batchSize);
        assertEquals("", c.evalSplit, "an empty --eval-split skips the zero-shot check");
        assertEquals("clip", c.method);
        assertEquals(0.1, c.slraSigma);
        assertEquals(null, c.slraPool, "the official pooling is the default and stays out of the saved config");
        assertEquals("paper", pretrain("--slra-pool", "paper").slraPool);
        assertEquals(org.makekit.loss.MakeLoss.SlraPool.PAPER, pretrain("--slra-pool", "paper").settings().slraPool());
        assertEquals(null, pretrain("--slra-pool", "official").slraPool);
        assertThrows(KitException.class, () -> pretrain("--slra-pool", "mean"));
        // MedCutMix: off unless given, recorded in full, its knobs checked
        assertEquals(null, c.medcutmix);
        assertEquals("p=0.5,sentences=one,lambda=0.1:0.5,layer=auto,mix=hard,targets=replace,tau=0.07", pretrain("--medcutmix", "on").medcutmix);
        assertEquals("p=1,sentences=all,lambda=0.1:0.5,layer=2,mix=soft,targets=append,tau=0.07",
                pretrain("--medcutmix", "p=1,sentences=all,layer=2,mix=soft,targets=append").medcutmix);
        assertEquals(null, pretrain("--medcutmix", "off").medcutmix);
        assertEquals("x.json", pretrain("--concepts", "x.json").concepts);
        assertThrows(KitException.class, () -> pretrain("--medcutmix", "p=1.5"));
        Tables mixed = new Tables();
        new CommandLine(mixed).parseArgs("--medcutmix", "mix=soft");
        assertEquals("p=0.5,sentences=one,lambda=0.1:0.5,layer=auto,mix=soft,targets=replace,tau=0.07", mixed.o.setup().train.medcutmix);
        assertThrows(KitException.class, () -> pretrain("--method", "nope"));
        assertThrows(KitException.class, () -> pretrain("--preset", "huge"));
    }

    @Test
    void demoStepsAreTheUsersWhenGiven() {
        Tables t = new Tables();
        new CommandLine(t).parseArgs("--steps", "300");
        PaperTable.Setup demo = t.o.setup(Path.of("runs/demo"), 240);
        assertEquals(300, demo.train.steps, "demo --steps 300 trains 300 steps");
        assertEquals(Path.of("runs/demo"), demo.out);
        Tables none = new Tables();
        new CommandLine(none).parseArgs();
        assertEquals(240, none.o.setup(Path.of("runs/demo"), 240).train.steps);
        assertEquals(150, none.o.setup().train.steps);
        assertEquals(3, none.o.setup().seeds, "three seeds unless told");
        assertEquals(null, none.o.setup().train.slraPool);
        Tables paper = new Tables();
        new CommandLine(paper).parseArgs("--slra-pool", "paper");
        assertEquals("paper", paper.o.setup().train.slraPool);
        assertEquals(SharedStart.NAME, none.o.setup().train.init, "the shared start unless told");
        Tables out = new Tables();
        new CommandLine(out).parseArgs("--out", "runs/tables", "--dataset", "ham10000");
        PaperTable.Setup s = out.o.setup(Path.of("runs/demo"), 240);
        assertEquals(Path.of("runs/tables"), s.out, "an --out equal to another script's default is still the user's");
        assertEquals("HAM10000", s.dataName);
        assertTrue(s.lexicon.terms().size() > 10, "the built-in concept lexicon by default");
    }

    @Test
    void seedsStartAndRowsAreTheUsersWhenGiven() {
        Tables t = new Tables();
        new CommandLine(t).parseArgs("--init", "none", "--seeds", "5", "--seed", "10", "--methods", "clip,make", "--start-steps", "7");
        PaperTable.Setup s = t.o.setup();
        assertEquals(null, s.train.init, "--init none: from scratch");
        assertEquals(java.util.List.of(10L, 11L, 12L, 13L, 14L), s.seedList());
        assertEquals(java.util.List.of(org.makekit.train.Method.CLIP, org.makekit.train.Method.MAKE), t.o.rows(PaperTable.TABLE3));
        assertEquals(7, s.start.steps());
        Tables few = new Tables();
        new CommandLine(few).parseArgs("--start-images", "16");
        assertEquals(16, few.o.setup().start.batchSize(), "a start smaller than a batch trains on batches of all its images");
        Tables d = new Tables();
        new CommandLine(d).parseArgs();
        PaperTable.Setup demo = d.o.setup(Path.of("runs/demo"), 150, 1, SharedStart.Spec.small(3000, 120));
        assertEquals(1, demo.seeds);
        assertEquals(SharedStart.Spec.small(3000, 120), demo.start);
        assertEquals(PaperTable.TABLE1, d.o.rows(PaperTable.TABLE1));
        s.seeds = 0;
        assertThrows(KitException.class, s::seedList);
    }
}
