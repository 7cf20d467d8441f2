package org.makekit.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;
import org.makekit.model.ClipModel;
import org.makekit.model.Features;
import org.makekit.text.Tokenizer;

/**
 * The official zero-shot classifier: for each class, every template filled with the class name,
 * encoded and L2-normalised, averaged, then re-normalised. Columns are classes (D, C), as
 * open_clip's build_zero_shot_classifier returns.
 */
public final class ZeroShotClassifier {
    private ZeroShotClassifier() {}

    /** Fills a template's "{}" or "{c}" with a class name. */
    public static String fill(String template, String classname) {
        return template.replace("{c}", classname).replace("{}", classname);
    }

    public static NDArray build(ClipModel model, Tokenizer tokenizer, List<String> classnames, List<String> templates) {
        NDList columns = new NDList();
        for (String c : classnames) {
            List<String> prompts = new ArrayList<>();
            for (String t : templates) prompts.add(fill(t, c));
            NDArray col;
            try (NDScope scope = new NDScope()) {
                NDArray emb = Embedder.textFeatures(model, tokenizer, prompts, prompts.size());
                col = Features.l2normalize(emb.mean(new int[] {0}));
                NDScope.unregister(col);
            }
            columns.add(col);
        }
        NDArray w = NDArrays.stack(columns, 1);
        columns.close();
        return w;
    }
}
