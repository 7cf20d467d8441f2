package org.makekit.data;

import java.util.ArrayList;
import java.util.List;

/**
 * One row of MAKE's training table: an image and its texts. {@link #texts(int)} gives the
 * (3 + K) texts in the official order [raw, disease, concept, sub_1..sub_K] and {@link #mask(int)}
 * their mask ([caption, ontology, visual] ++ sub_caption_mask).
 *
 * @param filename       image path as written in the table (relative to the image root)
 * @param caption        the raw caption (may be long)
 * @param truncatedCaption the raw caption cut to fit 77 tokens (the official origin text, k = 0)
 * @param diseaseCaption ontology_caption ("" when none)
 * @param conceptCaption visual_concept_caption ("" when none)
 * @param subcaptions    subcaption_1..K ("" padded)
 * @param subMask        sub_caption_mask
 * @param knowledgeMask  knowledge_masks [caption, ontology, visual]
 * @param diagnosis      standardized_disease ("" when none)
 * @param concepts       skin_concept_standarized (comma-separated, "" when none)
 * @param label          class label for evaluation ("" when none)
 * @param split          train/val/test ("" when none)
 */
public record TrainingRow(String filename, String caption, String truncatedCaption, String diseaseCaption,
                          String conceptCaption, List<String> subcaptions, boolean[] subMask, boolean[] knowledgeMask,
                          String diagnosis, String concepts, String label, String split) {

    /** The official text order for K sub-texts: [raw, disease, concept, sub_1..sub_K]; K = 0 gives the knowledge set. */
    public List<String> texts(int k) {
        List<String> t = new ArrayList<>(3 + k);
        t.add(truncatedCaption.isEmpty() ? caption : truncatedCaption);
        t.add(diseaseCaption);
        t.add(conceptCaption);
        for (int j = 0; j < k; j++) t.add(j < subcaptions.size() ? subcaptions.get(j) : "");
        return t;
    }

    public boolean[] mask(int k) {
        boolean[] m = new boolean[3 + k];
        System.arraycopy(knowledgeMask, 0, m, 0, 3);
        for (int j = 0; j < k; j++) m[3 + j] = j < subMask.length && subMask[j];
        return m;
    }

    public int numSubtexts() {
        int n = 0;
        for (boolean b : subMask) if (b) n++;
        return n;
    }
}
