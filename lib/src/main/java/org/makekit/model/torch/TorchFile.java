package org.makekit.model.torch;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.makekit.model.Safetensors;
import org.makekit.util.KitException;

/**
 * Reads PyTorch's own files without Python and without running code: the zip format of
 * {@code torch.save} (1.6 and later: {@code <archive>/data.pkl} plus one raw entry per storage), the
 * legacy format (before 1.6: five pickles, then the raw storages) and TorchScript archives
 * ({@code torch.jit.save}: the same zip layout, with the module tree pickled as {@code __torch__.*}
 * objects). The pickles go through {@link Pickle} with an allow-list of globals; tensors come back as
 * {@link TensorRef}s into storages, which {@link #tensor} turns into contiguous arrays (honouring
 * offsets, strides and storages shared by several tensors; bfloat16 upcast to float32).
 */
public final class TorchFile implements AutoCloseable {
    public enum Format { ZIP, LEGACY, TORCHSCRIPT }

    /** A storage as a persistent id names it: key, element type ("FloatStorage", ...) and element count. */
    public record StorageRef(String key, String type, long numel) {}

    /** A tensor view: its storage, offset, size and stride (in elements), and requires_grad. */
    public record TensorRef(StorageRef storage, long offset, long[] size, long[] stride, boolean requiresGrad) {
        public long numel() {
            long n = 1;
            for (long s : size) n *= s;
            return n;
        }
    }

    /** A TorchScript module object: its (mangled) class name and its attributes in pickle order. */
    public record ScriptObject(String className, Map<Object, Object> attributes) {}

    /** Storage type to safetensors dtype and element size. */
    private record Element(String dtype, int bytes) {}

    private static final Map<String, Element> STORAGES = Map.of(
            "FloatStorage", new Element("F32", 4), "HalfStorage", new Element("F16", 2),
            "BFloat16Storage", new Element("BF16", 2), "DoubleStorage", new Element("F64", 8),
            "LongStorage", new Element("I64", 8), "IntStorage", new Element("I32", 4),
            "ShortStorage", new Element("I16", 2), "CharStorage", new Element("I8", 1),
            "ByteStorage", new Element("U8", 1), "BoolStorage", new Element("BOOL", 1));

    /** The legacy format's magic number (torch/serialization.py MAGIC_NUMBER). */
    static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

    private final Path file;
    private final Format format;
    private final Object root;
    private final ZipFile zip;
    private final String prefix;
    private final ByteBuffer legacy;
    private final Map<String, long[]> legacyStorages; // key -> {byte position, element count}
    private final Map<String, ByteBuffer> loaded = new HashMap<>();
    private final Map<String, StorageRef> refs = new HashMap<>();
    private final Pickle.Limits limits;

    private TorchFile(Path file, Pickle.Limits limits) {
        this.file = file;
        this.limits = limits;
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 4);
            if (n < 4) throw new KitException("weights file " + file + " is too short (" + n + " bytes) to be a PyTorch file");
        } catch (NoSuchFileException e) {
            throw new KitException("weights file not found: " + file);
        } catch (IOException e) {
            throw new KitException("cannot read weights file " + file, e);
        }
        if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            try {
                this.zip = new ZipFile(file.toFile());
            } catch (ZipException e) {
                throw new KitException("weights file " + file + " is not a complete zip archive (" + e.getMessage()
                        + "): a truncated or interrupted download? Fetch it again (a fetched file is checked against its SHA-256).");
            } catch (IOException e) {
                throw new KitException("cannot read weights file " + file, e);
            }
            String pkl = null;
            boolean code = false;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                if (name.endsWith("/data.pkl") && (pkl == null || name.length() < pkl.length())) pkl = name;
                if (name.contains("/code/")) code = true;
            }
            if (pkl == null) {
                close();
                throw new KitException("weights file " + file + " is a zip archive without a <archive>/data.pkl entry: "
                        + "not written by torch.save or torch.jit.save");
            }
            this.prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
            this.format = code ? Format.TORCHSCRIPT : Format.ZIP;
            this.legacy = null;
            this.legacyStorages = null;
            byte[] bytes = entry(pkl, Integer.MAX_VALUE);
            this.root = Pickle.load(ByteBuffer.wrap(bytes), new Policy(format == Format.TORCHSCRIPT), limits,
                    "weights file " + file + ", " + pkl);
        } else if ((head[0] & 0xff) == 0x80 && (head[2] & 0xff) == 0x8a) {
            this.zip = null;
            this.prefix = null;
            this.format = Format.LEGACY;
            this.legacy = map(file);
            String where = "weights file " + file + " (legacy torch.save format)";
            Policy policy = new Policy(false);
            Object magic = Pickle.load(legacy, policy, limits, where + ", magic number");
            if (!LEGACY_MAGIC.equals(magic instanceof Long l ? BigInteger.valueOf(l) : magic)) {
                throw new KitException(where + ": wrong magic number; not a PyTorch file");
            }
            Object protocol = Pickle.load(legacy, policy, limits, where + ", protocol");
            if (!Long.valueOf(1001).equals(protocol)) {
                throw new KitException(where + ": protocol " + protocol + " is not 1001");
            }
            Object sysInfo = Pickle.load(legacy, policy, limits, where + ", sys_info");
            if (sysInfo instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"))) {
                throw new KitException(where + ": written on a big-endian machine; not supported");
            }
            this.root = Pickle.load(legacy, policy, limits, where + ", object");
            Object keys = Pickle.load(legacy, policy, limits, where + ", storage keys");
            if (!(keys instanceof List<?> list)) throw new KitException(where + ": the storage key list is missing");
            this.legacyStorages = new HashMap<>();
            for (Object k : list) {
                StorageRef ref = refs.get(String.valueOf(k));
                if (ref == null) throw new KitException(where + ": storage '" + k + "' is listed but never used");
                if (legacy.remaining() < 8) throw new KitException(where + ": file ends before storage '" + k + "' (truncated?)");
                long count = legacy.getLong();
                long bytes = count * element(ref, where).bytes();
                if (count < 0 || bytes > legacy.remaining()) {
                    throw new KitException(where + ": storage '" + k + "' claims " + count + " elements but only "
                            + legacy.remaining() + " bytes are left (truncated?)");
                }
                legacyStorages.put(ref.key(), new long[] {legacy.position(), count});
                legacy.position((int) (legacy.position() + bytes));
            }
        } else {
            throw new KitException("weights file " + file + " is neither a torch.save/torch.jit.save zip archive nor the "
                    + "legacy torch.save format (first bytes " + String.format("%02x %02x %02x %02x", head[0], head[1],
                    head[2], head[3]) + ")");
        }
    }

    /** Opens and unpickles a file with the default limits. */
    public static TorchFile open(Path file) {
        return new TorchFile(file, Pickle.Limits.DEFAULT);
    }

    public static TorchFile open(Path file, Pickle.Limits limits) {
        return new TorchFile(file, limits);
    }

    /** True if the file starts like a torch.save / torch.jit.save file (zip or legacy pickle). */
    public static boolean looksLikeTorch(Path file) {
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            if (in.readNBytes(head, 0, 4) < 4) return false;
        } catch (IOException e) {
            return false;
        }
        return (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4)
                || ((head[0] & 0xff) == 0x80 && (head[2] & 0xff) == 0x8a);
    }

    public Format format() {
        return format;
    }

    /** The unpickled object: a dict, a training checkpoint, a {@link ScriptObject} tree ... */
    public Object root() {
        return root;
    }

    public Path file() {
        return file;
    }

    /** The archive prefix of a zip file ({@code <archive>/}), or null for the legacy format. */
    public String archivePrefix() {
        return prefix;
    }

    /** The safetensors dtype a tensor of this storage gets when read (bfloat16 becomes F32). */
    public static String readDtype(StorageRef s) {
        Element e = STORAGES.get(s.type());
        return e.dtype().equals("BF16") ? "F32" : e.dtype();
    }

    /** The dtype as stored ("F32", "F16", "BF16", ...). */
    public static String storedDtype(StorageRef s) {
        return STORAGES.get(s.type()).dtype();
    }

    /**
     * The tensor as a contiguous little-endian array: a slice of its storage without copying when the
     * view is contiguous, else a gather over its strides; bfloat16 is upcast to float32 exactly
     * (bits << 16), as DJL's PyTorch engine has no bfloat16.
     */
    public Safetensors.Tensor tensor(TensorRef t, String name) {
        String where = "weights file " + file + ", tensor '" + name + "'";
        Element e = element(t.storage(), where);
        ByteBuffer st = storage(t.storage(), where);
        long numel = t.numel();
        long last = t.offset();
        for (int i = 0; i < t.size().length; i++) {
            if (t.size()[i] < 0 || t.stride()[i] < 0) throw new KitException(where + ": negative size or stride");
            if (t.size()[i] > 0) last += (t.size()[i] - 1) * t.stride()[i];
        }
        if (numel > 0 && (t.offset() < 0 || last >= t.storage().numel())) {
            throw new KitException(where + ": view (offset " + t.offset() + ", size " + java.util.Arrays.toString(t.size())
                    + ", stride " + java.util.Arrays.toString(t.stride()) + ") reaches element " + last
                    + " of a storage of " + t.storage().numel());
        }
        boolean bf16 = e.dtype().equals("BF16");
        String outType = bf16 ? "F32" : e.dtype();
        int outBytes = bf16 ? 4 : e.bytes();
        if (numel * outBytes > Integer.MAX_VALUE) throw new KitException(where + ": larger than 2 GiB");
        if (!bf16 && contiguous(t)) {
            ByteBuffer slice = st.duplicate().position((int) (t.offset() * e.bytes()))
                    .limit((int) ((t.offset() + numel) * e.bytes())).slice().order(ByteOrder.LITTLE_ENDIAN);
            return new Safetensors.Tensor(outType, t.size().clone(), slice);
        }
        ByteBuffer out = ByteBuffer.allocate((int) (numel * outBytes)).order(ByteOrder.LITTLE_ENDIAN);
        int dims = t.size().length;
        long[] idx = new long[dims];
        for (long n = 0; n < numel; n++) {
            long at = t.offset();
            for (int d = 0; d < dims; d++) at += idx[d] * t.stride()[d];
            int pos = (int) (at * e.bytes());
            if (bf16) {
                out.putInt((st.getShort(pos) & 0xffff) << 16);
            } else {
                for (int b = 0; b < e.bytes(); b++) out.put(st.get(pos + b));
            }
            for (int d = dims - 1; d >= 0; d--) {
                if (++idx[d] < t.size()[d]) break;
                idx[d] = 0;
            }
        }
        out.flip();
        return new Safetensors.Tensor(outType, t.size().clone(), out);
    }

    private static boolean contiguous(TensorRef t) {
        long expect = 1;
        for (int d = t.size().length - 1; d >= 0; d--) {
            if (t.size()[d] != 1 && t.stride()[d] != expect) return false;
            expect *= t.size()[d];
        }
        return true;
    }

    private Element element(StorageRef s, String where) {
        Element e = STORAGES.get(s.type());
        if (e == null) throw new KitException(where + ": storage type " + s.type() + " is not supported");
        return e;
    }

    private ByteBuffer storage(StorageRef s, String where) {
        ByteBuffer b = loaded.get(s.key());
        if (b != null) return b;
        long bytes = s.numel() * element(s, where).bytes();
        if (format == Format.LEGACY) {
            long[] posCount = legacyStorages.get(s.key());
            if (posCount == null) throw new KitException(where + ": storage '" + s.key() + "' is not in the file");
            if (posCount[1] != s.numel()) {
                throw new KitException(where + ": storage '" + s.key() + "' holds " + posCount[1] + " elements, the pickle says "
                        + s.numel());
            }
            b = legacy.duplicate().position((int) posCount[0]).limit((int) (posCount[0] + bytes)).slice();
        } else {
            String name = prefix + "data/" + s.key();
            ZipEntry z = zip.getEntry(name);
            if (z == null) throw new KitException(where + ": the archive has no entry " + name);
            if (z.getSize() != bytes) {
                throw new KitException(where + ": entry " + name + " holds " + z.getSize() + " bytes, but " + s.numel()
                        + " elements of " + s.type() + " need " + bytes);
            }
            b = ByteBuffer.wrap(entry(name, bytes));
        }
        b.order(ByteOrder.LITTLE_ENDIAN);
        loaded.put(s.key(), b);
        return b;
    }

    private byte[] entry(String name, long expected) {
        ZipEntry z = zip.getEntry(name);
        long size = z.getSize();
        long fileSize = file.toFile().length();
        // A stored entry cannot hold more than the file; a compressed one is bounded by a generous ratio, so a
        // crafted archive cannot make the reader allocate far more than it holds.
        long bound = z.getMethod() == ZipEntry.STORED ? fileSize : Math.max(1 << 20, z.getCompressedSize() * 1000);
        if (size < 0 || size > Integer.MAX_VALUE - 16 || size > expected || size > bound) {
            throw new KitException("weights file " + file + ": entry " + name + " declares " + size + " bytes, more than it can hold");
        }
        try (InputStream in = zip.getInputStream(z)) {
            byte[] b = in.readNBytes((int) size);
            if (b.length != size) throw new KitException("weights file " + file + ": entry " + name + " is cut short");
            return b;
        } catch (IOException e) {
            throw new KitException("weights file " + file + ": cannot read entry " + name + " (" + e.getMessage() + ")", e);
        }
    }

    private static ByteBuffer map(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() > Integer.MAX_VALUE) {
                throw new KitException("weights file " + file + " (legacy format) is larger than 2 GiB; not supported");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new KitException("cannot read weights file " + file, e);
        }
    }

    @Override
    public void close() {
        loaded.clear();
        if (zip != null) {
            try {
                zip.close();
            } catch (IOException ignored) {
                // read-only file
            }
        }
    }

    /** The globals a weights file may use, and what they build. */
    private final class Policy implements Pickle.Globals {
        private static final Set<String> REBUILD = Set.of("_rebuild_tensor_v2", "_rebuild_tensor", "_rebuild_parameter",
                "_rebuild_parameter_with_state");
        private static final Set<String> JIT = Set.of("restore_type_tag", "build_intlist", "build_floatlist",
                "build_boollist", "build_doublelist", "build_tensorlist");
        private final boolean torchScript;

        Policy(boolean torchScript) {
            this.torchScript = torchScript;
        }

        @Override
        public Pickle.Global find(String module, String name) {
            boolean ok = (module.equals("collections") && name.equals("OrderedDict"))
                    || (module.equals("torch._utils") && REBUILD.contains(name))
                    || (module.equals("torch") && STORAGES.containsKey(name))
                    || (torchScript && module.equals("torch.jit._pickle") && JIT.contains(name))
                    || (torchScript && (module.equals("__torch__") || module.startsWith("__torch__.")));
            return ok ? new Pickle.Global(module, name, null) : null;
        }

        @Override
        public Object reduce(Pickle.Global g, Pickle.Tuple a) {
            String n = g.name();
            switch (g.module()) {
                case "collections" -> {
                    LinkedHashMap<Object, Object> d = new LinkedHashMap<>();
                    if (a.size() > 0 && a.get(0) instanceof List<?> pairs) {
                        for (Object p : pairs) {
                            if (p instanceof Pickle.Tuple t && t.size() == 2) d.put(t.get(0), t.get(1));
                        }
                    }
                    return d;
                }
                case "torch._utils" -> {
                    if (n.startsWith("_rebuild_parameter")) {
                        if (!(a.get(0) instanceof TensorRef t)) throw new KitException(n + " of a " + Pickle.describe(a.get(0)));
                        return t;
                    }
                    if (a.size() < 4 || !(a.get(0) instanceof StorageRef s)) {
                        throw new KitException(n + " without a storage argument");
                    }
                    long offset = asLong(a.get(1), "storage_offset");
                    long[] size = longs(a.get(2), "size");
                    long[] stride = longs(a.get(3), "stride");
                    if (size.length != stride.length || size.length > 32) {
                        throw new KitException(n + ": size " + a.get(2) + " and stride " + a.get(3) + " do not match");
                    }
                    boolean grad = a.size() > 4 && Boolean.TRUE.equals(a.get(4));
                    return new TensorRef(s, offset, size, stride, grad);
                }
                case "torch.jit._pickle" -> {
                    return a.get(0);
                }
                default -> throw new KitException("calling " + g.qualified() + " is not allowed");
            }
        }

        @Override
        public Object newObject(Pickle.Global cls, Pickle.Tuple args) {
            if (cls.module().startsWith("__torch__")) return new ScriptObject(cls.qualified(), new LinkedHashMap<>());
            if (cls.module().equals("collections")) return new LinkedHashMap<>();
            throw new KitException("NEWOBJ of " + cls.qualified() + " is not allowed");
        }

        @Override
        @SuppressWarnings("unchecked")
        public void build(Object obj, Object state) {
            if (obj instanceof ScriptObject o && state instanceof Map<?, ?> m) {
                o.attributes().putAll((Map<Object, Object>) m);
            } else if (obj instanceof Map && (state instanceof Map || state == null)) {
                // OrderedDict.__setstate__ from Module.state_dict(): {'_metadata': ...}; not weights
            } else if (obj instanceof TensorRef) {
                // torch 2.x may BUILD a tensor with its Python attribute dict; nothing a weights file needs
            } else {
                throw new KitException("BUILD on a " + Pickle.describe(obj) + " with a " + Pickle.describe(state));
            }
        }

        @Override
        public Object persistent(Object pid) {
            if (!(pid instanceof Pickle.Tuple t) || t.size() < 5 || !"storage".equals(t.get(0))
                    || !(t.get(1) instanceof Pickle.Global type) || !STORAGES.containsKey(type.name())) {
                throw new KitException("unsupported persistent id " + pid);
            }
            String key = String.valueOf(t.get(2));
            long numel = asLong(t.get(4), "storage numel");
            if (numel < 0) throw new KitException("negative storage size " + numel);
            StorageRef ref = new StorageRef(key, type.name(), numel);
            StorageRef before = refs.putIfAbsent(key, ref);
            if (before != null && !before.equals(ref)) {
                throw new KitException("storage '" + key + "' is named as both " + before + " and " + ref);
            }
            return before != null ? before : ref;
        }

        private long asLong(Object o, String what) {
            if (o instanceof Long l) return l;
            throw new KitException(what + " is a " + Pickle.describe(o) + ", not an int");
        }

        private long[] longs(Object o, String what) {
            List<Object> items = o instanceof Pickle.Tuple t ? t.items() : o instanceof List<?> l ? new ArrayList<>(l) : null;
            if (items == null) throw new KitException(what + " is a " + Pickle.describe(o) + ", not a tuple");
            long[] out = new long[items.size()];
            for (int i = 0; i < out.length; i++) out[i] = asLong(items.get(i), what);
            return out;
        }
    }
}
