///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx4g
//DESCRIPTION Knowledge augmentation: image-caption pairs in, MAKE's multi-aspect training table out.

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import org.makekit.data.Datasets;
import org.makekit.data.ImageTextPairs;
import org.makekit.data.SynthDerm;
import org.makekit.data.TrainingTable;
import org.makekit.knowledge.Augmenter;
import org.makekit.knowledge.ConceptLexicon;
import org.makekit.knowledge.JsonlCache;
import org.makekit.knowledge.LlmClient;
import org.makekit.knowledge.LlmExtractor;
import org.makekit.knowledge.Ontology;
import org.makekit.knowledge.OntologyExtractor;
import org.makekit.util.Cli;
import org.makekit.util.KitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "augment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Turns raw image-caption pairs into MAKE's training table (official columns): the caption cut to",
                "77 tokens, a disease-aspect text, a concept-aspect text and up to 8 sub-sentences, with masks.",
                "Input: --dataset synthderm|ham10000, or --input CSV with your own pairs.",
                "Bad rows are reported with file, line and field, skipped, and counted."})
public class augment implements Callable<Integer> {
    @Option(names = "--dataset", description = "a manifest with a caption builder: synthderm (default when no --input) or ham10000")
    String dataset;

    @Option(names = "--local-dir", description = "read the dataset from this folder (e.g. ../shared/data/ham10000)")
    Path localDir;

    @Option(names = "--input", description = "your own CSV of image paths and captions")
    Path input;

    @Option(names = "--image-column", description = "image column of --input (default: ${DEFAULT-VALUE})")
    String imageColumn = "image";

    @Option(names = "--caption-column", description = "caption column of --input (default: ${DEFAULT-VALUE})")
    String captionColumn = "caption";

    @Option(names = "--label-column", description = "optional label column (default: ${DEFAULT-VALUE})")
    String labelColumn = "label";

    @Option(names = "--split-column", description = "optional split column (default: ${DEFAULT-VALUE})")
    String splitColumn = "split";

    @Option(names = "--labels", split = ",", description = "allowed labels; rows with others are skipped")
    List<String> labels;

    @Option(names = "--image-root", description = "folder image paths are relative to (default: the CSV's folder)")
    Path imageRoot;

    @Option(names = "--out", description = "training table to write (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs/augment/train.csv");

    @Option(names = "--extractor", description = "ontology (offline, default) or llm")
    String extractor = "ontology";

    @Option(names = "--ontology", description = "ontology tree JSON for another domain (default: Derm1M's)")
    Path ontology;

    @Option(names = "--concepts", description = "concept lexicon JSON {concept: [terms]} (default: Derm1M's)")
    Path concepts;

    @Option(names = "--disease-prefix", description = "opening of the disease text (default: '${DEFAULT-VALUE}')")
    String diseasePrefix = org.makekit.knowledge.Knowledge.DISEASE_PREFIX;

    @Option(names = "--concept-prefix", description = "opening of the concept text (default: '${DEFAULT-VALUE}')")
    String conceptPrefix = org.makekit.knowledge.Knowledge.CONCEPT_PREFIX;

    @Option(names = "--llm-base-url", description = "OpenAI-compatible endpoint (or MAKEKIT_LLM_BASE_URL)")
    String llmBaseUrl;

    @Option(names = "--llm-model", description = "model name (or MAKEKIT_LLM_MODEL); key from MAKEKIT_LLM_API_KEY or OPENAI_API_KEY")
    String llmModel;

    @Option(names = "--llm-cache", description = "JSONL answer cache; a killed run resumes from it (default: next to --out)")
    Path llmCache;

    @Option(names = "--concurrency", description = "parallel LLM requests (default: ${DEFAULT-VALUE})")
    int concurrency = 8;

    @Option(names = "--no-check-images", description = "do not decode every image (faster; bad images then fail at training)")
    boolean noCheckImages;

    @Option(names = "--synth-train", description = "SynthDerm sizes (default: 2400/300/600 at 64 px)")
    int synthTrain = 2400;

    @Option(names = "--synth-val") int synthVal = 300;
    @Option(names = "--synth-test") int synthTest = 600;
    @Option(names = "--synth-size") int synthSize = 64;

    public static void main(String... args) {
        Cli.main(new augment(), args);
    }

    org.makekit.knowledge.Knowledge.Templates templates() {
        return new org.makekit.knowledge.Knowledge.Templates(diseasePrefix, conceptPrefix);
    }

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Path work = out.toAbsolutePath().getParent();
        Files.createDirectories(work);
        Path csv;
        if (input != null) {
            if (dataset != null) throw new KitException("give either --input or --dataset, not both");
            csv = input;
        } else {
            String name = dataset == null ? "synthderm" : dataset;
            csv = Datasets.pairs(name, localDir, work, new SynthDerm.Config(0, synthTrain, synthVal, synthTest, synthSize));
        }
        ImageTextPairs.Result pairs = ImageTextPairs.read(csv, new ImageTextPairs.Columns(imageColumn, captionColumn,
                labelColumn, splitColumn), imageRoot, labels == null ? null : new HashSet<>(labels), !noCheckImages, true);
        for (String s : pairs.skipped().subList(0, Math.min(20, pairs.skipped().size()))) System.err.println("skipped: " + s);
        if (pairs.skipped().size() > 20) System.err.println("... and " + (pairs.skipped().size() - 20) + " more skipped rows");
        for (String w : pairs.warnings()) System.err.println("warning: " + w);
        if (pairs.pairs().isEmpty()) throw new KitException(csv + ": no usable row (" + pairs.skipped().size() + " skipped)");

        Ontology onto = ontology != null ? Ontology.load(ontology) : Ontology.builtin();
        ConceptLexicon lex = concepts != null ? ConceptLexicon.load(concepts) : ConceptLexicon.builtin();
        Augmenter.Output result;
        int failures = 0;
        switch (extractor) {
            case "ontology" -> result = new Augmenter(new OntologyExtractor(onto, lex, templates())).augment(pairs.pairs(), pairs.skipped().size(), true);
            case "llm" -> {
                LlmClient client = new LlmClient(LlmClient.Settings.fromEnv(llmBaseUrl, llmModel));
                System.err.println("using " + client.settings());
                Path cachePath = llmCache != null ? llmCache : work.resolve(out.getFileName() + ".llm-cache.jsonl");
                try (JsonlCache cache = new JsonlCache(cachePath)) {
                    System.err.println("answer cache " + cachePath + ": " + cache.size() + " answers already there"
                            + (cache.ignoredLines() > 0 ? " (" + cache.ignoredLines() + " cut line(s) of a killed run ignored)" : ""));
                    LlmExtractor ex = new LlmExtractor(client, cache, onto, lex, concurrency, true).withTemplates(templates());
                    result = new Augmenter(ex).augment(pairs.pairs(), pairs.skipped().size(), true);
                    failures = ex.failures();
                    System.err.println(ex.asked() + " questions asked, " + failures + " without an answer");
                }
            }
            default -> throw new KitException("--extractor '" + extractor + "': expected ontology or llm");
        }
        // Paths in the table are relative to the table's folder, so the table can be read from anywhere.
        Path base = out.toAbsolutePath().getParent();
        Path root = imageRoot != null ? imageRoot.toAbsolutePath() : csv.toAbsolutePath().getParent();
        var rows = result.rows().stream().map(r -> new org.makekit.data.TrainingRow(
                base.relativize(root.resolve(r.filename()).normalize()).toString(), r.caption(), r.truncatedCaption(),
                r.diseaseCaption(), r.conceptCaption(), r.subcaptions(), r.subMask(), r.knowledgeMask(), r.diagnosis(),
                r.concepts(), r.label(), r.split())).toList();
        TrainingTable.write(out, rows);
        System.out.println("wrote " + out + ": " + result.summary().describe());
        System.out.printf("done in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (failures > 0) {
            System.out.println(failures + " LLM answers are missing (masked in the table): run the same command again "
                    + "to ask only for those");
        }
        return 0;
    }
}
