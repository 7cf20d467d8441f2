package org.makekit.model.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.KitException;

/** The safe pickle reader on hand-written pickles: values, refusals and bounds. */
class PickleTest {
    /** Allows nothing: plain data only. */
    static final Pickle.Globals NONE = new Pickle.Globals() {
        @Override
        public Pickle.Global find(String module, String name) {
            return null;
        }

        @Override
        public Object reduce(Pickle.Global callable, Pickle.Tuple args) {
            throw new AssertionError();
        }

        @Override
        public Object persistent(Object pid) {
            throw new AssertionError();
        }
    };

    static Object load(int... bytes) {
        byte[] b = new byte[bytes.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) bytes[i];
        return Pickle.load(ByteBuffer.wrap(b), NONE, Pickle.Limits.DEFAULT, "test");
    }

    @Test
    void plainValuesAsPythonWritesThem() {
        // pickle.dumps({'a': (1, -2.5, None, True), 'b': [300, 'é']}, protocol=2), written out by hand
        Object o = load(0x80, 2, '}', 'q', 0, '(', 'X', 1, 0, 0, 0, 'a', '(', 'K', 1, 'G', 0xc0, 0x04, 0, 0, 0, 0, 0, 0, 'N',
                0x88, 't', 'X', 1, 0, 0, 0, 'b', ']', '(', 'M', 0x2c, 0x01, 'X', 2, 0, 0, 0, 0xc3, 0xa9, 'e', 'u', '.');
        Map<?, ?> m = (Map<?, ?>) o;
        assertEquals(1L, ((Pickle.Tuple) m.get("a")).get(0));
        assertEquals(-2.5, ((Pickle.Tuple) m.get("a")).get(1));
        assertEquals(null, ((Pickle.Tuple) m.get("a")).get(2));
        assertEquals(Boolean.TRUE, ((Pickle.Tuple) m.get("a")).get(3));
        assertEquals(List.of(300L, "é"), m.get("b"));
    }

    @Test
    void anyGlobalNotAllowedIsRefusedByName() {
        byte[] g = "cbuiltins\neval\n".getBytes();
        int[] b = new int[g.length + 3];
        b[0] = 0x80;
        b[1] = 2;
        for (int i = 0; i < g.length; i++) b[i + 2] = g[i];
        b[b.length - 1] = '.';
        KitException e = assertThrows(KitException.class, () -> load(b));
        assertTrue(e.getMessage().contains("forbidden global builtins.eval"), e.getMessage());
    }

    @Test
    void claimedLengthsBeyondTheDataAreErrorsNotAllocations() {
        // BINUNICODE claiming 2 GB in a 10-byte pickle
        KitException e = assertThrows(KitException.class, () -> load(0x80, 2, 'X', 0xff, 0xff, 0xff, 0x7f, 'a', '.'));
        assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
        // LONG4 of 1 GB
        e = assertThrows(KitException.class, () -> load(0x80, 2, 0x8b, 0, 0, 0, 0x40, '.'));
        assertTrue(e.getMessage().contains("limit"), e.getMessage());
    }

    @Test
    void countsAreBounded() {
        // an endless DUP/APPEND chain stops at the item limit
        int n = 2000;
        int[] b = new int[3 + 2 * n + 1];
        b[0] = 0x80;
        b[1] = 2;
        b[2] = ']';
        for (int i = 0; i < n; i++) {
            b[3 + 2 * i] = '2'; // DUP the list
            b[4 + 2 * i] = 'a'; // append it to itself
        }
        b[b.length - 1] = '.';
        byte[] bytes = new byte[b.length];
        for (int i = 0; i < b.length; i++) bytes[i] = (byte) b[i];
        KitException e = assertThrows(KitException.class, () -> Pickle.load(ByteBuffer.wrap(bytes), NONE,
                new Pickle.Limits(100, 100, 1000, 1000), "test"));
        assertTrue(e.getMessage().contains("more than 1000 container items"), e.getMessage());
    }

    @Test
    void malformedPicklesNameTheProblemAndPosition() {
        KitException e = assertThrows(KitException.class, () -> load(0x80, 2, 'h', 7, '.'));
        assertTrue(e.getMessage().contains("memo entry 7 was never stored") && e.getMessage().contains("byte 2"),
                e.getMessage());
        e = assertThrows(KitException.class, () -> load(0x80, 2, 'N'));
        assertTrue(e.getMessage().contains("without STOP"), e.getMessage());
        e = assertThrows(KitException.class, () -> load(0x80, 2, 'i', '.'));
        assertTrue(e.getMessage().contains("not supported"), e.getMessage());
        e = assertThrows(KitException.class, () -> load(0x80, 2, 'N', ')', 'R', '.'));
        assertTrue(e.getMessage().contains("REDUCE on a None"), e.getMessage());
    }

    @Test
    void aStorageThatClaimsMoreThanItsEntryIsAnErrorNamingTheTensor(@TempDir Path tmp) throws IOException {
        // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 1_000_000_000), 0, (2,), (1,), False, OrderedDict())}
        ByteArrayOutputStream q = new ByteArrayOutputStream();
        q.write(new byte[] {(byte) 0x80, 2, '}', 'X', 1, 0, 0, 0, 'w'});
        q.write("ctorch._utils\n_rebuild_tensor_v2\n((X".getBytes());
        q.write(new byte[] {7, 0, 0, 0});
        q.write("storagectorch\nFloatStorage\nX".getBytes());
        q.write(new byte[] {1, 0, 0, 0, '0', 'X', 3, 0, 0, 0, 'c', 'p', 'u', 'J', 0, (byte) 0xca, (byte) 0x9a, 0x3b});
        q.write(new byte[] {'t', 'Q', 'K', 0, 'K', 2, (byte) 0x85, 'K', 1, (byte) 0x85, (byte) 0x89});
        q.write("ccollections\nOrderedDict\n)R".getBytes());
        q.write(new byte[] {'t', 'R', 's', '.'});
        Path f = tmp.resolve("claims.pt");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            stored(z, "claims/data.pkl", q.toByteArray());
            stored(z, "claims/data/0", new byte[8]);
            stored(z, "claims/version", "3\n".getBytes());
        }
        try (TorchFile tf = TorchFile.open(f)) {
            TorchFile.TensorRef t = (TorchFile.TensorRef) ((Map<?, ?>) tf.root()).get("w");
            KitException e = assertThrows(KitException.class, () -> tf.tensor(t, "w"));
            assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("holds 8 bytes"), e.getMessage());
        }
    }

    static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
