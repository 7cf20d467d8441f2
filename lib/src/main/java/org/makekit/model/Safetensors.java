package org.makekit.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.makekit.util.AtomicFiles;
import org.makekit.util.KitException;
import org.makekit.util.Tensors;

/**
 * Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length,
 * a JSON header {name: {dtype, shape, data_offsets}}, then raw little-endian data.
 * Every malformed file gives a {@link KitException} that names the file and the tensor.
 */
public final class Safetensors {
    private Safetensors() {}

    /** One tensor as stored: dtype, shape and its raw little-endian bytes. */
    public record Tensor(String dtype, long[] shape, ByteBuffer data) {
        public DataType dataType() {
            return toDataType(dtype);
        }

        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        public NDArray toNDArray(NDManager manager) {
            // DJL wraps the (read-only, memory-mapped) bytes without copying; owned() then copies them
            // into memory that libtorch owns. No intermediate Java buffer, so loading a model costs one
            // copy of its weights, not two.
            ByteBuffer src = data.duplicate().order(ByteOrder.nativeOrder());
            return Tensors.of(manager, src, new Shape(shape), dataType());
        }

        public float[] toFloatArray() {
            ByteBuffer bb = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[(int) numel()];
            switch (dtype) {
                case "F32" -> bb.asFloatBuffer().get(out);
                case "F64" -> { for (int i = 0; i < out.length; i++) out[i] = (float) bb.getDouble(); }
                case "F16" -> { for (int i = 0; i < out.length; i++) out[i] = halfToFloat(bb.getShort()); }
                default -> throw new KitException("tensor of dtype " + dtype + " is not floating point");
            }
            return out;
        }

        public double[] toDoubleArray() {
            ByteBuffer bb = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            double[] out = new double[(int) numel()];
            switch (dtype) {
                case "F64" -> bb.asDoubleBuffer().get(out);
                case "F32" -> { for (int i = 0; i < out.length; i++) out[i] = bb.getFloat(); }
                case "I64" -> { for (int i = 0; i < out.length; i++) out[i] = bb.getLong(); }
                default -> throw new KitException("tensor of dtype " + dtype + " cannot be read as double");
            }
            return out;
        }

        /** A 2-d integer tensor as rows (token ids as the text tower takes them). */
        public long[][] toLongRows() {
            if (shape.length != 2) throw new KitException("tensor of shape " + java.util.Arrays.toString(shape) + " is not 2-d");
            long[] flat = toLongArray();
            int n = (int) shape[0];
            int l = (int) shape[1];
            long[][] out = new long[n][l];
            for (int i = 0; i < n; i++) System.arraycopy(flat, i * l, out[i], 0, l);
            return out;
        }

        public long[] toLongArray() {
            ByteBuffer bb = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            long[] out = new long[(int) numel()];
            switch (dtype) {
                case "I64" -> bb.asLongBuffer().get(out);
                case "I32" -> { for (int i = 0; i < out.length; i++) out[i] = bb.getInt(); }
                default -> throw new KitException("tensor of dtype " + dtype + " is not an integer type");
            }
            return out;
        }
    }

    /** A float16 or float64 tensor as float32 (the same tensor if it is float32 or not floating point). */
    public static Tensor toF32(Tensor t) {
        if (!t.dtype().equals("F16") && !t.dtype().equals("F64")) return t;
        float[] v = t.toFloatArray();
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new Tensor("F32", t.shape(), b);
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        if (exp == 0) {
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static int bytesPer(String dtype) {
        return switch (dtype) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "I8", "U8", "BOOL" -> 1;
            default -> -1;
        };
    }

    static DataType toDataType(String dtype) {
        return switch (dtype) {
            case "F64" -> DataType.FLOAT64;
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "I8" -> DataType.INT8;
            case "U8" -> DataType.UINT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> throw new KitException("dtype " + dtype + " is not supported (bf16 crashes DJL's PyTorch engine; "
                    + "convert the file to F32 or F16 first)");
        };
    }

    static String fromDataType(DataType t) {
        return switch (t) {
            case FLOAT64 -> "F64";
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case INT64 -> "I64";
            case INT32 -> "I32";
            case INT8 -> "I8";
            case UINT8 -> "U8";
            case BOOLEAN -> "BOOL";
            default -> throw new KitException("cannot store data type " + t + " in safetensors");
        };
    }

    /**
     * Reads a file, passes its tensors to {@code use}, and unmaps the file as soon as {@code use}
     * returns (instead of whenever the garbage collector gets to it), so that a loaded model does
     * not keep a second, file-backed copy of its weights resident. The {@link Tensor}s are invalid
     * afterwards: {@code use} must copy what it keeps (as {@link Tensor#toNDArray} does).
     */
    public static <T> T withTensors(Path file, Function<Map<String, Tensor>, T> use) {
        MappedByteBuffer map = mapFile(file);
        try {
            return use.apply(parse(file, map));
        } finally {
            unmap(map);
        }
    }

    /** Releases a mapping now; if the JDK does not allow it, the garbage collector releases it later. */
    private static void unmap(MappedByteBuffer map) {
        try {
            Field f = Class.forName("sun.misc.Unsafe").getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            unsafe.getClass().getMethod("invokeCleaner", ByteBuffer.class).invoke(unsafe, map);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the garbage collector
        }
    }

    /** Reads every tensor of a file, in header order. Metadata is returned under the key {@code __metadata__} of {@link #readMetadata}. */
    public static Map<String, Tensor> read(Path file) {
        return parse(file, mapFile(file));
    }

    private static Map<String, Tensor> parse(Path file, ByteBuffer all) {
        long fileSize = all.capacity();
        if (fileSize < 8) {
            throw new KitException("weights file " + file + " is too short to be safetensors (" + fileSize + " bytes)");
        }
        all.order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = all.getLong(0);
        if (headerLen <= 0 || headerLen > fileSize - 8 || headerLen > 100_000_000L) {
            throw new KitException("weights file " + file + " is not safetensors: header length " + headerLen
                    + " does not fit the file size " + fileSize);
        }
        byte[] hb = new byte[(int) headerLen];
        all.position(8);
        all.get(hb);
        JsonObject header;
        try {
            header = org.makekit.util.Json.parse(new String(hb, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new KitException("weights file " + file + ": header is not valid JSON", e);
        }
        long dataStart = 8 + headerLen;
        long dataLen = fileSize - dataStart;
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            String where = "weights file " + file + ", tensor '" + name + "'";
            if (!e.getValue().isJsonObject()) throw new KitException(where + ": header entry is not an object");
            JsonObject t = e.getValue().getAsJsonObject();
            if (!t.has("dtype") || !t.has("shape") || !t.has("data_offsets")) {
                throw new KitException(where + ": header entry lacks dtype, shape or data_offsets");
            }
            String dtype = t.get("dtype").getAsString();
            int bpe = bytesPer(dtype);
            if (bpe < 0) throw new KitException(where + ": unknown dtype '" + dtype + "'");
            JsonArray sh = t.getAsJsonArray("shape");
            long[] shape = new long[sh.size()];
            long numel = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = sh.get(i).getAsLong();
                if (shape[i] < 0) throw new KitException(where + ": negative dimension in shape " + sh);
                numel *= shape[i];
            }
            JsonArray off = t.getAsJsonArray("data_offsets");
            if (off.size() != 2) throw new KitException(where + ": data_offsets must hold two numbers");
            long begin = off.get(0).getAsLong();
            long end = off.get(1).getAsLong();
            if (begin < 0 || end < begin || end > dataLen) {
                throw new KitException(where + ": data_offsets [" + begin + ", " + end + "] fall outside the "
                        + dataLen + " data bytes (file truncated?)");
            }
            if (end - begin != numel * bpe) {
                throw new KitException(where + ": data_offsets hold " + (end - begin) + " bytes but dtype " + dtype
                        + " with shape " + sh + " needs " + numel * bpe);
            }
            ByteBuffer slice = all.duplicate().position((int) (dataStart + begin)).limit((int) (dataStart + end))
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            out.put(name, new Tensor(dtype, shape, slice));
        }
        return out;
    }

    /** The {@code __metadata__} map of a file's header (empty if none). */
    public static Map<String, String> readMetadata(Path file) {
        ByteBuffer all = mapFile(file).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen = all.getLong(0);
        byte[] hb = new byte[(int) headerLen];
        all.position(8);
        all.get(hb);
        JsonObject header = org.makekit.util.Json.parse(new String(hb, StandardCharsets.UTF_8)).getAsJsonObject();
        Map<String, String> meta = new LinkedHashMap<>();
        if (header.has("__metadata__")) {
            for (Map.Entry<String, JsonElement> e : header.getAsJsonObject("__metadata__").entrySet()) {
                meta.put(e.getKey(), e.getValue().getAsString());
            }
        }
        return meta;
    }

    private static MappedByteBuffer mapFile(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                // Files over 2 GiB: read through a heap buffer per tensor is out of scope; ViT-B/16 is ~600 MB.
                throw new KitException("weights file " + file + " is larger than 2 GiB; split it first");
            }
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new KitException("weights file not found: " + file);
        } catch (IOException e) {
            throw new KitException("cannot read weights file " + file, e);
        }
    }

    /**
     * Writes tensors (in the given order) atomically: a temporary file in the same folder, then a
     * rename, so a killed run never leaves a half-written file under the final name.
     */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new KitException("big-endian machines are not supported for writing safetensors");
        }
        Map<String, Tensor> raw = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            ByteBuffer bb = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            raw.put(e.getKey(), new Tensor(fromDataType(a.getDataType()), a.getShape().getShape(), bb));
        }
        writeTensors(file, raw, metadata);
    }

    /** Writes tensors as stored (dtype, shape, little-endian bytes), atomically, in the given order. */
    public static void writeTensors(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject m = new JsonObject();
            metadata.forEach(m::addProperty);
            header.add("__metadata__", m);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            long bytes = t.data().remaining();
            if (bytesPer(t.dtype()) < 0 || bytes != t.numel() * bytesPer(t.dtype())) {
                throw new KitException("tensor '" + e.getKey() + "': " + bytes + " bytes do not hold " + t.numel() + " "
                        + t.dtype() + " values");
            }
            JsonObject h = new JsonObject();
            h.addProperty("dtype", t.dtype());
            JsonArray sh = new JsonArray();
            for (long d : t.shape()) sh.add(d);
            h.add("shape", sh);
            JsonArray off = new JsonArray();
            off.add(offset);
            off.add(offset + bytes);
            h.add("data_offsets", off);
            header.add(e.getKey(), h);
            offset += bytes;
        }
        byte[] hjson = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - (hjson.length % 8)) % 8;
        byte[] hpadded = new byte[hjson.length + pad];
        System.arraycopy(hjson, 0, hpadded, 0, hjson.length);
        for (int i = hjson.length; i < hpadded.length; i++) hpadded[i] = ' ';
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hpadded.length);
            out.write(len.array());
            out.write(hpadded);
            byte[] buf = new byte[1 << 16];
            for (Tensor t : tensors.values()) {
                ByteBuffer d = t.data().duplicate();
                while (d.hasRemaining()) {
                    int n = Math.min(buf.length, d.remaining());
                    d.get(buf, 0, n);
                    out.write(buf, 0, n);
                }
            }
        });
    }

}
