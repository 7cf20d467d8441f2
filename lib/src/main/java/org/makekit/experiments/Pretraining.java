package org.makekit.experiments;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import java.nio.file.Path;
import java.util.List;
import org.makekit.data.TrainingRow;
import org.makekit.data.TrainingTable;
import org.makekit.eval.ZeroShotEval;
import org.makekit.model.ClipModel;
import org.makekit.model.ModelConfig;
import org.makekit.text.Tokenizer;
import org.makekit.train.TrainConfig;
import org.makekit.train.Trainer;
import org.makekit.util.AtomicFiles;

/** A pretraining run as the {@code pretrain} script and notebook 02 do it: train, then the zero-shot check. */
public final class Pretraining {
    private Pretraining() {}

    /** The trainer's outcome and the zero-shot result on the config's eval split (null when skipped or unlabelled). */
    public record Result(Trainer.Outcome training, ZeroShotEval.Result zeroShot) {}

    public static Result run(TrainConfig cfg, boolean resume, boolean showProgress) {
        Trainer.Outcome o = new Trainer(cfg, showProgress).run(resume);
        // a fusion model (ARL) has no global features to classify zero-shot: its tasks are in experiments.ArlTasks
        boolean global = org.makekit.train.Method.parse(cfg.method).needs(org.makekit.train.Method.Output.GLOBAL);
        return new Result(o, o.weights() == null || !global ? null : zeroShotCheck(cfg, o.weights(), showProgress));
    }

    /**
     * Zero-shot classification of the final weights on the table's {@code evalSplit} rows, written to
     * {@code zero-shot.json} in the run folder; null when the split is "" or has no labels.
     */
    public static ZeroShotEval.Result zeroShotCheck(TrainConfig cfg, Path weights, boolean showProgress) {
        if (cfg.evalSplit == null || cfg.evalSplit.isEmpty()) return null;
        Path table = Path.of(cfg.table);
        List<TrainingRow> rows = TrainingTable.read(table).stream().filter(r -> r.split().equals(cfg.evalSplit)).toList();
        if (rows.isEmpty() || rows.stream().allMatch(r -> r.label().isEmpty())) return null;
        Path imageRoot = cfg.imageRoot != null ? Path.of(cfg.imageRoot) : table.toAbsolutePath().getParent();
        ModelConfig mc = ModelConfig.load(cfg.model);
        try (NDManager m = NDManager.newBaseManager()) {
            ClipModel model = org.makekit.data.Weights.open(mc, weights.toString(), m, DataType.FLOAT32);
            ZeroShotEval.Result zs = ZeroShotEval.run(model, Tokenizer.forConfig(mc), rows, imageRoot,
                    ZeroShotEval.classesFor(rows), ZeroShotEval.templates(), Math.min(64, Math.max(8, cfg.batchSize)),
                    cfg.workers, showProgress);
            AtomicFiles.writeString(Path.of(cfg.out).resolve("zero-shot.json"),
                    new GsonBuilder().setPrettyPrinting().create().toJson(zs.asMap()));
            return zs;
        }
    }
}
