///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.makekit:make-kit:0.1.0-SNAPSHOT
//JAVA_OPTIONS -Xmx8g
//DESCRIPTION Convert model weights (PyTorch .pt/.bin, TorchScript, training checkpoints, safetensors) to OpenCLIP-named safetensors.

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.makekit.data.Weights;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.model.Safetensors;
import org.makekit.model.WeightFiles;
import org.makekit.util.Cli;
import org.makekit.util.KitException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reads weights the way every kit command does (torch.save zip or legacy, TorchScript archives such as",
                "OpenAI's ViT-B-16.pt, training checkpoints with state_dict/module., safetensors, model folders, or a",
                "released model by name) and writes them as OpenCLIP-named safetensors, printing what was mapped,",
                "converted and left out. No Python and no code from the file is run: unknown pickle globals are refused."})
public class convert implements Callable<Integer> {
    @Parameters(index = "0", description = "the weights: a file, a model folder, or a released model's name (see datasets)")
    String input;

    @Option(names = "--out", required = true, description = "the safetensors file to write")
    Path out;

    @Option(names = "--dtype", description = "keep (float16 stays float16; bfloat16 is always upcast to f32) or f32 (default: ${DEFAULT-VALUE})")
    String dtype = "keep";

    @Option(names = "--model", description = "also check the weights against this config (tiny, small, ViT-B-16 or a JSON file)")
    String model;

    public static void main(String... args) {
        Cli.main(new convert(), args);
    }

    @Override
    public Integer call() {
        if (!List.of("keep", "f32").contains(dtype)) throw new KitException("--dtype " + dtype + ": expected keep or f32");
        Path in = Weights.require(input);
        ModelConfig cfg = model == null ? null : ModelConfig.load(model);
        return WeightFiles.withWeights(in, l -> {
            Map<String, Safetensors.Tensor> t = new LinkedHashMap<>();
            int cast = 0;
            for (Map.Entry<String, Safetensors.Tensor> e : l.tensors().entrySet()) {
                Safetensors.Tensor c = dtype.equals("f32") ? Safetensors.toF32(e.getValue()) : e.getValue();
                if (c != e.getValue()) cast++;
                t.put(e.getKey(), c);
            }
            System.out.println(l.report());
            if (cast > 0) System.out.println("  --dtype " + dtype + ": " + cast + " tensors cast");
            if (cfg != null) {
                ClipModel.check(cfg, in, t);
                List<String> warnings = WeightFiles.compare(cfg, l.report().openClipConfig());
                for (String w : warnings) System.out.println("WARNING: " + w);
                System.out.println("  fits config '" + cfg.name() + "': every tensor it needs, with its shape");
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", "pt");
            meta.put("converted_from", l.report().file().getFileName().toString());
            meta.put("source_format", l.report().format());
            Safetensors.writeTensors(out, t, meta);
            System.out.println("wrote " + t.size() + " tensors to " + out);
            return 0;
        });
    }
}
