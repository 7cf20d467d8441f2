package org.makekit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.makekit.loss.ClipLoss;
import org.makekit.loss.MakeLoss;
import org.makekit.util.KitException;

/** The method registry: Table 3's rows by name, and a new method added by one declaration. */
class MethodTest {
    static MakeLoss.Options options(String id, MakeLoss.Mode mode) {
        return ((MakeLoss.MakeObjective) Method.parse(id).objective().create(new Method.Settings(mode, 8, 0.0))).options();
    }

    @Test
    void ablationRowsAreSelectableByName() {
        MakeLoss.Options k = options("mkcl-knowledge", MakeLoss.Mode.COMPAT);
        assertEquals(3, k.textsPerImage());
        assertEquals(3, Method.MKCL_KNOWLEDGE.textsPerImage(8));
        assertTrue(!k.slra() && !k.dkw());
        MakeLoss.Options s = options("mkcl+slra", MakeLoss.Mode.INTENDED);
        assertTrue(s.slra() && !s.dkw() && s.textsPerImage() == 11);
        assertEquals(MakeLoss.Mode.INTENDED, s.mode());
        MakeLoss.Options full = options("make", MakeLoss.Mode.INTENDED);
        assertTrue(full.slra() && full.dkw());
        assertEquals(0.7, full.lambdaS());
        assertEquals(1.0, full.lambdaM());
        assertSame(Method.MAKE, Method.parse(" MAKE "));
        KitException e = assertThrows(KitException.class, () -> Method.parse("slra-only"));
        assertTrue(e.getMessage().contains("mkcl+slra"), e.getMessage());
    }

    @Test
    void declarationsCarryWhatTablesAndTheTrainerRead() {
        assertEquals(List.of("clip", "clip-augmented", "siglip", "siglip-augmented", "coca", "coca-augmented", "mkcl-knowledge",
                "mkcl", "mkcl+slra", "make"), Method.all().stream().map(Method::id).toList().subList(0, 10));
        assertTrue(Method.COCA.needs(Method.Output.CAPTION) && !Method.MAKE.needs(Method.Output.CAPTION));
        assertTrue(Method.COCA_AUGMENTED.knowledgeData() && "CoCa".equals(Method.COCA.paperLabel()));
        assertTrue(Method.MAKE.needs(Method.Output.PATCHES) && Method.MKCL_SLRA.needs(Method.Output.PATCHES));
        assertFalse(Method.MKCL.needs(Method.Output.PATCHES) || Method.CLIP.needs(Method.Output.PATCHES));
        assertEquals("CLIP", Method.CLIP_AUGMENTED.paperLabel());
        assertTrue(Method.CLIP_AUGMENTED.knowledgeData() && !Method.SIGLIP.knowledgeData());
        assertEquals(Map.of("mkcl", "✓#"), Method.MKCL_KNOWLEDGE.marks());
        assertEquals(Set.of("mkcl", "slra", "dkw"), Method.MAKE.marks().keySet());
        assertEquals(1, Method.SIGLIP_AUGMENTED.textsPerImage(8));
        assertEquals(11, Method.MAKE.textsPerImage(8));
        assertEquals(List.of("mkcl_i2t", "mkcl_t2i", "slra", "slra_gates_open", "slra_pooled_norm"), Method.MAKE.objective().create(Method.Settings.defaults()).partNames());
        assertEquals(0.0, options("make", MakeLoss.Mode.COMPAT).sigma(), "the official sigma by default");
        MakeLoss.Options sigma = ((MakeLoss.MakeObjective) Method.MAKE.objective()
                .create(new Method.Settings(MakeLoss.Mode.COMPAT, 8, 0.1))).options();
        assertEquals(0.1, sigma.sigma(), "SLRA's sigma comes from the run's settings");
    }

    @Test
    void aNewMethodIsOneDeclarationAndOneRegistration() {
        Method mine = Method.register(new Method("clip-knowledge-set", "CLIP on the disease text only", "CLIP-k", true,
                TextBatch.Layout.of(k -> 1, (r, k) -> List.of(r.diseaseCaption()), (r, k) -> new boolean[] {true}),
                Set.of(Method.Output.GLOBAL), s -> ClipLoss.objective(), Map.of("mkcl", "")));
        assertSame(mine, Method.parse("clip-knowledge-set"));
        assertTrue(Method.all().contains(mine));
        assertThrows(KitException.class, () -> Method.register(new Method("make", "again", "MAKE", true, TextBatch.Layout.MAKE,
                Set.of(Method.Output.GLOBAL), s -> ClipLoss.objective(), Map.of())));
        assertThrows(KitException.class, () -> new Method("Bad Id", "", "", false, TextBatch.Layout.RAW, Set.of(),
                s -> ClipLoss.objective(), Map.of()));
    }
}
