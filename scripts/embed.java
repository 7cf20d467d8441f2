///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Dai.djl.offline=true -Xmx8g
//DESCRIPTION Embed images and texts with a CLIP/MAKE model: writes embeddings as CSV and prints a similarity table.

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.makekit.data.Weights;
import org.makekit.eval.Embedder;
import org.makekit.model.Safetensors;
import org.makekit.model.Captioner;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.report.Csv;
import org.makekit.report.Tables;
import org.makekit.text.Tokenizer;
import org.makekit.util.Cli;
import org.makekit.util.Devices;
import org.makekit.util.KitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embeds images and/or texts with a CLIP-style model (OpenCLIP weight names).",
                "Writes image_embeddings.csv and text_embeddings.csv (L2-normalised rows) and prints the",
                "image x text cosine-similarity table."})
public class embed implements Callable<Integer> {
    @Option(names = "--model", description = "model config: tiny, small, ViT-B-16 or a JSON file (default: ${DEFAULT-VALUE})")
    String model = "tiny";

    @Option(names = "--weights", description = {"weights: a file (safetensors, torch .pt/.bin, TorchScript, a training checkpoint),",
            "a model folder, or a released model by name (make, dermlip, openai, ...; see datasets);",
            "without it the model is randomly initialised"})
    String weights;

    @Option(names = "--pixels", description = {"images already preprocessed into the model's input space: a safetensors file",
            "and tensor name, FILE:NAME, holding (N,3,S,S) floats (to compare with another pipeline exactly)"})
    String pixels;

    @Option(names = "--images", arity = "1..*", description = "image files (JPEG, PNG, BMP) or folders of them")
    List<Path> images = new ArrayList<>();

    @Option(names = "--texts", description = "a UTF-8 text file, one text per line")
    Path texts;

    @Option(names = "--caption", description = "with a CoCa model: also describe each image (captions.csv)")
    boolean caption;

    @Option(names = "--caption-strategy", description = "greedy, top-k or beam (default: ${DEFAULT-VALUE})")
    String captionStrategy = "beam";

    @Option(names = "--caption-length", description = "tokens generated at most (default: ${DEFAULT-VALUE}, as open_clip's generate)")
    int captionLength = 30;

    @Option(names = "--top-k", description = "candidates for top-k sampling (default: ${DEFAULT-VALUE})")
    int topK = 20;

    @Option(names = "--beams", description = "beams for beam search (default: ${DEFAULT-VALUE})")
    int beams = 6;

    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out = Path.of("runs/embed");

    @Option(names = "--batch-size", description = "batch size (default: ${DEFAULT-VALUE})")
    int batchSize = 32;

    @Option(names = "--device", description = "cpu, gpu or gpu:N (default: ${DEFAULT-VALUE})")
    String device = "cpu";

    @Option(names = "--seed", description = "seed for random initialisation when no --weights (default: ${DEFAULT-VALUE})")
    long seed = 0;

    public static void main(String... args) {
        Cli.main(new embed(), args);
    }

    @Override
    public Integer call() throws IOException {
        if (images.isEmpty() && texts == null && pixels == null) {
            throw new KitException("nothing to embed: give --images, --pixels and/or --texts");
        }
        ModelConfig cfg = ModelConfig.load(model);
        Tokenizer tok = Tokenizer.forConfig(cfg);
        List<Path> files = listImages(images);
        List<String> lines = texts == null ? List.of() : readTexts(texts);
        try (NDManager m = NDManager.newBaseManager(Devices.parse(device).get(0))) {
            ClipModel clip;
            if (weights != null) {
                clip = Weights.open(cfg, weights, m, DataType.FLOAT32);
            } else {
                System.err.println("warning: no --weights given: using a randomly initialised '" + cfg.name()
                        + "' model (seed " + seed + "); similarities are meaningless until it is trained");
                clip = ClipModel.create(cfg, m, seed, DataType.FLOAT32);
            }
            Embedder e = new Embedder(clip, tok, batchSize);
            float[][] img = e.images(files, true);
            List<String> names = new ArrayList<>(files.stream().map(Path::toString).toList());
            if (pixels != null) {
                Pixels px = Pixels.read(pixels);
                float[][] more = e.pixels(px.values(), px.count());
                img = Stream.concat(java.util.Arrays.stream(img), java.util.Arrays.stream(more)).toArray(float[][]::new);
                for (int i = 0; i < px.count(); i++) names.add(pixels + "[" + i + "]");
            }
            float[][] txt = e.texts(lines, true);
            if (caption) {
                if (!cfg.isCoca()) throw new KitException("--caption needs a CoCa model config (coca-tiny, coca_ViT-B-32); '" + cfg.name() + "' is CLIP");
                Captioner.Strategy st = switch (captionStrategy) {
                    case "greedy" -> Captioner.Strategy.GREEDY;
                    case "top-k" -> Captioner.Strategy.TOP_K;
                    case "beam" -> Captioner.Strategy.BEAM;
                    default -> throw new KitException("--caption-strategy " + captionStrategy + ": expected greedy, top-k or beam");
                };
                // open_clip's generate: EOT not before 5 tokens
                List<String> caps = e.captions(files, new Captioner.Options(st, captionLength, topK, beams, 1.0, seed, 5), true);
                Files.createDirectories(out);
                StringBuilder csv = new StringBuilder("path,caption\n");
                for (int i = 0; i < files.size(); i++) {
                    System.out.println(files.get(i).getFileName() + ": " + caps.get(i));
                    csv.append('"').append(files.get(i).toString().replace("\"", "\"\"")).append("\",\"")
                            .append(caps.get(i).replace("\"", "\"\"")).append("\"\n");
                }
                Files.writeString(out.resolve("captions.csv"), csv);
            }
            Files.createDirectories(out);
            if (img.length > 0) Csv.writeVectors(out.resolve("image_embeddings.csv"), "path", names, img);
            if (!lines.isEmpty()) Csv.writeVectors(out.resolve("text_embeddings.csv"), "text", lines, txt);
            System.out.println("wrote " + img.length + " image and " + lines.size() + " text embeddings (dim "
                    + cfg.embedDim() + ") to " + out);
            if (img.length > 0 && !lines.isEmpty()) {
                int maxRows = Math.min(img.length, 20);
                List<String> shortNames = names.subList(0, maxRows).stream()
                        .map(n -> Path.of(n).getFileName().toString()).toList();
                System.out.println(Tables.similarity("cosine similarity (image x text)", shortNames,
                        java.util.Arrays.copyOf(img, maxRows), lines, txt).printAll());
                if (img.length > maxRows) System.out.println("(first " + maxRows + " of " + img.length + " images shown)");
            }
        }
        return 0;
    }

    /** Pixel tensors named FILE:NAME in a safetensors file. */
    record Pixels(float[] values, int count) {
        static Pixels read(String spec) {
            int colon = spec.lastIndexOf(':');
            if (colon <= 0) throw new KitException("--pixels " + spec + ": expected FILE.safetensors:TENSOR_NAME");
            Path file = Path.of(spec.substring(0, colon));
            String name = spec.substring(colon + 1);
            return Safetensors.withTensors(file, t -> {
                Safetensors.Tensor x = t.get(name);
                if (x == null) throw new KitException("--pixels: " + file + " has no tensor '" + name + "' (has " + t.keySet() + ")");
                if (x.shape().length != 4 || x.shape()[1] != 3) {
                    throw new KitException("--pixels: tensor '" + name + "' in " + file + " has shape "
                            + java.util.Arrays.toString(x.shape()) + ", expected (N,3,S,S)");
                }
                return new Pixels(x.toFloatArray(), (int) x.shape()[0]);
            });
        }
    }

    static List<Path> listImages(List<Path> args) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : args) {
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    s.filter(Files::isRegularFile)
                            .filter(f -> f.getFileName().toString().toLowerCase().matches(".*\\.(jpe?g|png|bmp)$"))
                            .sorted().forEach(out::add);
                }
            } else if (Files.exists(p)) {
                out.add(p);
            } else {
                throw new KitException("image file not found: " + p);
            }
        }
        return out;
    }

    static List<String> readTexts(Path file) {
        try {
            List<String> out = new ArrayList<>();
            int lineNo = 0;
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                lineNo++;
                if (!line.isBlank()) out.add(line.strip());
            }
            if (out.isEmpty()) throw new KitException("text file " + file + " has no non-empty line");
            return out;
        } catch (java.nio.charset.MalformedInputException e) {
            throw new KitException("text file " + file + " is not valid UTF-8");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new KitException("text file not found: " + file);
        } catch (IOException e) {
            throw new KitException("cannot read text file " + file, e);
        }
    }
}
