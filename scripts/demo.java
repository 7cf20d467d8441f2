///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx8g
//DESCRIPTION The kit's main demo on its embedded data: build a tiny CLIP, embed lesion images and captions, show similarities.

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import org.makekit.data.LesionPainter;
import org.makekit.eval.Embedder;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.report.Tables;
import org.makekit.text.Tokenizer;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "End-to-end smoke of the kit on data it generates: model, tokenizer, image pipeline, embeddings, table.")
public class demo implements Callable<Integer> {
    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs/demo");

    @Option(names = "--model", description = "model config (default: ${DEFAULT-VALUE})")
    String model = "tiny";

    public static void main(String... args) {
        Cli.main(new demo(), args);
    }

    @Override
    public Integer call() throws Exception {
        System.out.println("MAKE-kit demo: engine " + Engine.getInstance().getEngineName() + " "
                + Engine.getInstance().getVersion() + ", " + Runtime.getRuntime().availableProcessors() + " CPU cores");
        ModelConfig cfg = ModelConfig.load(model);
        Path imgDir = out.resolve("images");
        Files.createDirectories(imgDir);
        Object[][] lesions = {
            {"melanoma", new Color(60, 35, 30), 0.28, 0.9, 0.2, false, 0},
            {"nevus", new Color(120, 80, 55), 0.18, 0.05, 0.0, false, 0},
            {"psoriasis", new Color(200, 90, 90), 0.33, 0.4, 0.6, true, 0},
            {"eczema", new Color(205, 120, 110), 0.30, 0.6, 1.0, false, 4},
        };
        List<Path> files = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(0);
        for (Object[] l : lesions) {
            LesionPainter.Spec spec = new LesionPainter.Spec((Color) l[1], (double) l[2], (double) l[3], (double) l[4],
                    (boolean) l[5], (int) l[6], new Color(224, 180, 150));
            Path f = imgDir.resolve(l[0] + ".png");
            ImageIO.write(LesionPainter.paint(spec, 96, rng.split()), "png", f.toFile());
            files.add(f);
        }
        List<String> captions = List.of(
                "A dark, asymmetric lesion with irregular borders.",
                "A small, round, evenly brown mole.",
                "Red plaques covered with silvery scale.",
                "Ill-defined red patches with small papules around them.");
        try (NDManager m = NDManager.newBaseManager()) {
            long t0 = System.nanoTime();
            ClipModel clip = ClipModel.create(cfg, m, 0, DataType.FLOAT32);
            long params = clip.parameters().values().stream().mapToLong(a -> a.size()).sum();
            System.out.printf("model '%s': %.1f M parameters, %d px images, tokenizer %s%n", cfg.name(), params / 1e6,
                    cfg.vision().imageSize(), cfg.tokenizer());
            Embedder e = new Embedder(clip, Tokenizer.forConfig(cfg), 8);
            float[][] img = e.images(files, true);
            float[][] txt = e.texts(captions, true);
            System.out.println(Tables.similarity("cosine similarity, untrained tiny model (image x caption)",
                    files.stream().map(p -> p.getFileName().toString()).toList(), img, captions, txt).printAll());
            System.out.printf("done in %.1f s; images in %s%n", (System.nanoTime() - t0) / 1e9, imgDir);
            System.out.println("(an untrained model: the similarities are near-random until pretraining)");
        }
        return 0;
    }
}
