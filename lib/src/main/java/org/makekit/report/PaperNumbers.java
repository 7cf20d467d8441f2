package org.makekit.report;

import java.util.List;

/**
 * Numbers reported in the MAKE paper (Yan et al., MICCAI 2025; ../shared/seeds/001), copied with
 * their table and row. Only rows whose values the extracted text gives unambiguously are kept
 * (Table 1's general-VLM rows are garbled in the extraction and left out). They are printed next to
 * the kit's results only when the evaluation data are the paper's.
 */
public final class PaperNumbers {
    private PaperNumbers() {}

    /** A row: method, pretraining data, values in the table's column order, and where it comes from. */
    public record Row(String method, String data, double[] values, String source) {}

    /** Table 1 columns: PAD, F17K, SD-128, SNU-134, average accuracy; SkinCon, Derm7pt, average AUROC. */
    public static final List<String> TABLE1_COLUMNS = List.of("PAD", "F17K", "SD-128", "SNU-134", "Avg ACC", "SkinCon",
            "Derm7pt", "Avg AUROC");
    public static final List<Row> TABLE1 = List.of(
            new Row("MONET", "PubMed+TextBook", new double[] {0.4308, 0.1409, 0.2072, 0.1333, 0.2280, 0.7502, 0.6889, 0.7196}, "Table 1, row MONET"),
            new Row("CLIP", "Derm1M", new double[] {0.5957, 0.2595, 0.3349, 0.2689, 0.3648, 0.7233, 0.6707, 0.6970}, "Table 1, row CLIP/Derm1M"),
            new Row("SigLIP", "Derm1M", new double[] {0.5113, 0.2718, 0.3574, 0.2875, 0.3570, 0.7649, 0.6867, 0.7258}, "Table 1, row SigLIP/Derm1M"),
            new Row("CoCa", "Derm1M", new double[] {0.5635, 0.2019, 0.2862, 0.1942, 0.3115, 0.6431, 0.6289, 0.6360}, "Table 1, row CoCa/Derm1M"),
            new Row("CLIP", "Derm1M†", new double[] {0.5631, 0.2559, 0.3189, 0.2485, 0.3466, 0.7348, 0.6900, 0.7124}, "Table 1, row CLIP/Derm1M†"),
            new Row("SigLIP", "Derm1M†", new double[] {0.5892, 0.2369, 0.3045, 0.2385, 0.3423, 0.6860, 0.5701, 0.6281}, "Table 1, row SigLIP/Derm1M†"),
            new Row("CoCa", "Derm1M†", new double[] {0.5688, 0.2040, 0.2557, 0.2289, 0.3144, 0.6715, 0.6408, 0.6562}, "Table 1, row CoCa/Derm1M†"),
            new Row("MAKE", "Derm1M†", new double[] {0.5953, 0.3242, 0.3914, 0.3270, 0.4095, 0.7873, 0.6864, 0.7369}, "Table 1, row MAKE"));

    /** Table 2 columns: image-to-text R@10, R@50, R@100; text-to-image R@10, R@50, R@100; average. SkinCAP. */
    public static final List<String> TABLE2_COLUMNS = List.of("I2T R@10", "I2T R@50", "I2T R@100", "T2I R@10", "T2I R@50",
            "T2I R@100", "Average");
    public static final List<Row> TABLE2 = List.of(
            new Row("CLIP", "CLIP400M", new double[] {0.0913, 0.2354, 0.3407, 0.0592, 0.1860, 0.2760, 0.1981}, "Table 2, row CLIP/CLIP400M"),
            new Row("BiomedCLIP", "PMC-15M", new double[] {0.1359, 0.3429, 0.4698, 0.1238, 0.3304, 0.4578, 0.3101}, "Table 2, row BiomedCLIP"),
            new Row("PMC-CLIP", "PMC-OA", new double[] {0.0672, 0.1908, 0.2783, 0.0649, 0.1855, 0.2652, 0.1753}, "Table 2, row PMC-CLIP"),
            new Row("MONET", "PubMed+TextBook", new double[] {0.1421, 0.3384, 0.4568, 0.1492, 0.3490, 0.4756, 0.3185}, "Table 2, row MONET"),
            new Row("CLIP", "Derm1M", new double[] {0.1532, 0.3590, 0.4851, 0.1552, 0.3715, 0.4728, 0.3328}, "Table 2, row CLIP/Derm1M"),
            new Row("SigLIP", "Derm1M", new double[] {0.1757, 0.3783, 0.4871, 0.1843, 0.3896, 0.4974, 0.3521}, "Table 2, row SigLIP/Derm1M"),
            new Row("CoCa", "Derm1M", new double[] {0.1193, 0.2865, 0.3833, 0.1291, 0.3078, 0.4089, 0.2723}, "Table 2, row CoCa/Derm1M"),
            new Row("CLIP", "Derm1M†", new double[] {0.1587, 0.3700, 0.4788, 0.1592, 0.3537, 0.4675, 0.3313}, "Table 2, row CLIP/Derm1M†"),
            new Row("SigLIP", "Derm1M†", new double[] {0.1835, 0.3803, 0.5006, 0.1750, 0.3793, 0.4951, 0.3523}, "Table 2, row SigLIP/Derm1M†"),
            new Row("CoCa", "Derm1M†", new double[] {0.1406, 0.3241, 0.4214, 0.1429, 0.3269, 0.4202, 0.2960}, "Table 2, row CoCa/Derm1M†"),
            new Row("MAKE", "Derm1M†", new double[] {0.2096, 0.4440, 0.5613, 0.1995, 0.4420, 0.5628, 0.4032}, "Table 2, row MAKE"));

    /** Table 3 columns: PAD, F17K, SD-128, SNU-134, average accuracy. Rows: the ablation. */
    public static final List<String> TABLE3_COLUMNS = List.of("PAD", "F17K", "SD-128", "SNU-134", "Average");
    public static final List<Row> TABLE3 = List.of(
            new Row("clip", "Derm1M", new double[] {0.5957, 0.2595, 0.3349, 0.2689, 0.3648}, "Table 3, row 1 (baseline)"),
            new Row("mkcl-knowledge", "Derm1M†", new double[] {0.6023, 0.3142, 0.3465, 0.2775, 0.3851}, "Table 3, row 2 (mkcl #)"),
            new Row("mkcl", "Derm1M†", new double[] {0.6062, 0.3210, 0.3533, 0.2984, 0.3947}, "Table 3, row 3 (mkcl)"),
            new Row("mkcl+slra", "Derm1M†", new double[] {0.5653, 0.3191, 0.4019, 0.3227, 0.4023}, "Table 3, row 4 (mkcl+slra)"),
            new Row("make", "Derm1M†", new double[] {0.5953, 0.3242, 0.3914, 0.3270, 0.4095}, "Table 3, row 5 (mkcl+slra+dkw)"));
}
