package org.makekit.util;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;

/**
 * The one way the kit builds arrays from Java data and uses Java numbers as tensor operands. The
 * rule it keeps: every array that may enter an autograd graph lives in memory that libtorch owns.
 *
 * <p>Why: DJL's {@code manager.create(float[])} and the number overloads {@code x.mul(2.0)},
 * {@code x.div(n)}, {@code x.maximum(1e-12)} wrap a Java direct buffer in a tensor without copying
 * ({@code torch::from_blob}). The JVM frees that buffer at its next garbage collection once the
 * DJL array is closed; but mul, div, maximum, pow and indexing save their operands for backward,
 * which then reads freed (often reused) memory. The symptom was rare garbage or NaN gradients that
 * depended on GC timing. {@code TensorRulesTest} scans the main sources so that no other place
 * builds arrays from Java data or passes a Java number to an arithmetic op.
 *
 * <p>Outside autograd (the optimizer's in-place update, evaluation without a graph) DJL's number
 * overloads are safe; such lines carry the comment {@code // no graph} and say why.
 */
public final class Tensors {
    private Tensors() {}

    /**
     * A copy of {@code fromJava} in memory that libtorch owns, closing the original. Arrays that enter
     * a graph or outlive a scope go through here (every factory below does).
     */
    public static NDArray owned(NDArray fromJava) {
        NDArray c = fromJava.duplicate();
        fromJava.close();
        return c;
    }

    /** A 1-d int64 array (indices). */
    public static NDArray of(NDManager m, long[] values) {
        return owned(m.create(values));
    }

    public static NDArray of(NDManager m, long[] values, Shape shape) {
        return owned(m.create(values, shape));
    }

    public static NDArray of(NDManager m, int[] values, Shape shape) {
        return owned(m.create(values, shape));
    }

    /** A 1-d float64 array. */
    public static NDArray of(NDManager m, double[] values) {
        return owned(m.create(values));
    }

    public static NDArray of(NDManager m, float[] values, Shape shape) {
        return owned(m.create(values, shape));
    }

    /** Float data of the given shape, in {@code type}. */
    public static NDArray of(NDManager m, float[] values, Shape shape, DataType type) {
        return cast(of(m, values, shape), type);
    }

    /** Double data of the given shape, in {@code type}. */
    public static NDArray of(NDManager m, double[] values, Shape shape, DataType type) {
        return cast(owned(m.create(values, shape)), type);
    }

    /** Raw little-endian bytes of {@code type} (a file mapping, a decoded image), copied once. */
    public static NDArray of(NDManager m, ByteBuffer data, Shape shape, DataType type) {
        return owned(m.create(data, shape, type));
    }

    /** A 0-d constant of {@code like}'s type and device. */
    public static NDArray scalar(NDArray like, double value) {
        NDArray c = owned(like.getManager().create(value));
        return c.getDataType() == like.getDataType() && c.getDevice().equals(like.getDevice())
                ? c : c.toType(like.getDataType(), false).toDevice(like.getDevice(), false);
    }

    /** A 0-d constant of the given type on the manager's device. */
    public static NDArray scalar(NDManager m, double value, DataType type) {
        return cast(owned(m.create(value)), type);
    }

    public static NDArray mul(NDArray x, double v) {
        return x.mul(scalar(x, v));
    }

    public static NDArray div(NDArray x, double v) {
        return x.div(scalar(x, v));
    }

    public static NDArray add(NDArray x, double v) {
        return x.add(scalar(x, v));
    }

    public static NDArray sub(NDArray x, double v) {
        return x.sub(scalar(x, v));
    }

    public static NDArray maximum(NDArray x, double v) {
        return x.maximum(scalar(x, v));
    }

    public static NDArray minimum(NDArray x, double v) {
        return x.minimum(scalar(x, v));
    }

    public static NDArray pow(NDArray x, double v) {
        return x.pow(scalar(x, v));
    }

    private static NDArray cast(NDArray x, DataType type) {
        return x.getDataType() == type ? x : x.toType(type, false);
    }
}
