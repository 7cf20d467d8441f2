///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx8g
//DESCRIPTION The kit's main demo on its embedded data (SynthDerm): data, knowledge augmentation, model, embeddings.

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.data.ImageTextPairs;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingRow;
import org.makekit.eval.Embedder;
import org.makekit.knowledge.Augmenter;
import org.makekit.knowledge.OntologyExtractor;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.report.Tables;
import org.makekit.text.Tokenizer;
import org.makekit.util.Cli;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "The kit end to end on its embedded data: SynthDerm, knowledge augmentation, a CLIP model, embeddings.")
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
        long t0 = System.nanoTime();
        Path data = Datasets.ensureSynthDerm(out.resolve("synthderm"), new SynthDerm.Config(0, 200, 0, 20, 64));
        ImageTextPairs.Result pairs = ImageTextPairs.read(data.resolve("metadata.csv"), ImageTextPairs.Columns.defaults(),
                null, null, true);
        Augmenter.Output aug = new Augmenter(OntologyExtractor.builtin()).augment(pairs.pairs(), pairs.skipped().size());
        System.out.println("knowledge augmentation: " + aug.summary().describe());
        TrainingRow first = aug.rows().get(0);
        System.out.println("\none image's texts (MAKE's multi-aspect set):");
        String[] names = {"raw (cut to 77 tokens)", "disease aspect", "concept aspect"};
        List<String> texts = first.texts(8);
        boolean[] mask = first.mask(8);
        for (int k = 0; k < texts.size(); k++) {
            if (mask[k]) System.out.printf("  %-22s %s%n", k < 3 ? names[k] : "sub-sentence " + (k - 2), texts.get(k));
        }
        ModelConfig cfg = ModelConfig.load(model);
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel clip = ClipModel.create(cfg, m, 0, DataType.FLOAT32);
            long params = clip.parameters().values().stream().mapToLong(a -> a.size()).sum();
            System.out.printf("%nmodel '%s': %.1f M parameters, %d px images, tokenizer %s%n", cfg.name(), params / 1e6,
                    cfg.vision().imageSize(), cfg.tokenizer());
            List<TrainingRow> rows = aug.rows().subList(0, 5);
            Embedder e = new Embedder(clip, Tokenizer.forConfig(cfg), 8);
            float[][] img = e.images(rows.stream().map(r -> data.resolve(r.filename())).toList(), true);
            List<String> captions = rows.stream().map(TrainingRow::diseaseCaption).toList();
            float[][] txt = e.texts(captions, true);
            System.out.println(Tables.similarity("cosine similarity, untrained model (image x disease-aspect text)",
                    rows.stream().map(TrainingRow::label).toList(), img,
                    captions.stream().map(c -> c.replace("This is a skin photo diagnosed as ", "")).toList(), txt).printAll());
        }
        System.out.printf("done in %.1f s (outputs in %s)%n", (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }
}
