///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx8g
//DESCRIPTION MAGEN (O-MAKE's multi-agent caption pipeline): flag, shortlist, cards, captions, verification, training table.

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.data.SynthDerm;
import org.makekit.data.Weights;
import org.makekit.experiments.magen.Magen;
import org.makekit.knowledge.Ontology;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;
import org.makekit.util.Cli;
import org.makekit.util.KitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "magen", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"MAGEN, O-MAKE's data generation, steps 0-4: flag pairs whose caption agrees poorly with the image",
                "(a quantile of the kit model's image-caption cosines), shortlist diseases by zero-shot, then three agents",
                "(disease cards, new captions, verification) over an OpenAI-compatible chat endpoint with image parts",
                "(vLLM, Ollama, ...), and write the training table. Every step caches its answers in --out: rerun to resume.",
                "Without --llm-url/--vlm-url (or MAKEKIT_MAGEN_LLM_URL/_VLM_URL) the agents are skipped and captions kept."})
public class magen implements Callable<Integer> {
    @Option(names = "--input", description = "pairs CSV: image, caption[, label, split] (default: a SynthDerm sample)") Path input;
    @Option(names = "--image-root", description = "folder the image paths are relative to (default: the CSV's folder)") Path imageRoot;
    @Option(names = "--synth", description = "SynthDerm images when no --input (default: ${DEFAULT-VALUE})") int synth = 60;
    @Option(names = "--out", description = "work folder: step files, answer caches, train-table.csv (default: ${DEFAULT-VALUE})") Path out = Path.of("runs/magen");
    @Option(names = "--model", description = "model config of --weights (default: ${DEFAULT-VALUE})") String model = "tiny";
    @Option(names = "--weights", required = true, description = {"the kit model that scores and shortlists: a model trained on your domain",
            "(e.g. runs/tables/make/seed-0/model.safetensors) or released weights by name (make, dermlip)"}) String weights;
    @Option(names = "--classes", split = ",", description = "the disease label space (default: the input's labels; SynthDerm's classes)") List<String> classes;
    @Option(names = "--flag-quantile", description = "share of pairs flagged, lowest scores first (default: ${DEFAULT-VALUE})") double flagQuantile = 0.46;
    @Option(names = "--top-k", description = "shortlist length (default: ${DEFAULT-VALUE})") int topK = 5;
    @Option(names = "--card-threshold", description = "agent 3 sees raw probabilities at or above this (default: ${DEFAULT-VALUE})") double cardThreshold = 0.3;
    @Option(names = "--llm-url", description = "agent 1 (text LLM) endpoint, e.g. http://127.0.0.1:8000/v1") String llmUrl;
    @Option(names = "--llm-model") String llmModel;
    @Option(names = "--vlm-url", description = "agents 2 and 3 (vision-language model) endpoint") String vlmUrl;
    @Option(names = "--vlm-model") String vlmModel;
    @Option(names = "--timeout", description = "seconds per agent request (default: ${DEFAULT-VALUE})") int timeout = 120;
    @Option(names = "--workers", description = "concurrent agent requests (default: ${DEFAULT-VALUE})") int workers = 4;
    @Option(names = "--ontology", description = "ontology tree JSON for the disease texts (default: Derm1M's)") Path ontology;

    public static void main(String... args) {
        Cli.main(new magen(), args);
    }

    @Override
    public Integer call() throws Exception {
        Path csv = input;
        if (csv == null) {
            csv = Datasets.ensureSynthDerm(out.resolve("synthderm"), new SynthDerm.Config(0, synth, 0, 0, 64)).resolve("metadata.csv");
        }
        List<Magen.Pair> pairs = Magen.readPairs(csv);
        Path root = imageRoot != null ? imageRoot : csv.toAbsolutePath().getParent();
        List<String> diseases = classes != null ? classes : input == null ? SynthDerm.classnames()
                : pairs.stream().map(Magen.Pair::label).filter(l -> !l.isBlank()).distinct().sorted().toList();
        if (diseases.isEmpty()) throw new KitException(csv + " has no labels: give the disease label space with --classes");
        Magen m = new Magen(out, new Magen.Options(flagQuantile, topK, cardThreshold, 256, 128, 128, workers),
                Magen.client("LLM", llmUrl, llmModel, Duration.ofSeconds(timeout)), Magen.client("VLM", vlmUrl, vlmModel, Duration.ofSeconds(timeout)));
        ModelConfig mc = ModelConfig.load(Weights.find(weights) != null ? Weights.find(weights).config() : model);
        try (NDManager nd = NDManager.newBaseManager()) {
            ClipModel cm = Weights.open(mc, weights, nd, DataType.FLOAT32);
            Magen.Report r = m.run(pairs, root, cm, Tokenizer.forConfig(mc), diseases, Map.of(),
                    ontology != null ? Ontology.load(ontology) : Ontology.builtin());
            System.out.println(r);
        }
        return 0;
    }
}
