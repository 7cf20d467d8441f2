package org.makekit.model.torch;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.makekit.util.KitException;

/**
 * A pickle reader that never runs code. It is a data-only interpreter of the pickle opcodes that
 * PyTorch files use (protocols 2-4): Python values become Java values (None → {@code null}, int →
 * {@link Long} or {@link BigInteger}, float → {@link Double}, str → {@link String}, bytes →
 * {@code byte[]}, tuple → {@link Tuple}, list → {@link ArrayList}, dict → {@link LinkedHashMap}).
 *
 * <p>A {@code GLOBAL} is looked up in the caller's {@link Globals}; anything it does not know is an
 * error naming the global, raised when the opcode is read, before anything could be called.
 * {@code REDUCE}, {@code NEWOBJ} and {@code BUILD} are applied only to those known globals, by Java
 * code the caller provides. Counts and lengths are checked against {@link Limits} and against the
 * bytes that are left, so a crafted file cannot make the reader allocate more than it holds.
 */
public final class Pickle {
    /** A Python tuple: value equality, so it can be a dict key. */
    public record Tuple(List<Object> items) {
        public Object get(int i) {
            return items.get(i);
        }

        public int size() {
            return items.size();
        }
    }

    /** A resolved global: a name the caller allowed, plus what the caller attached to it. */
    public record Global(String module, String name, Object handle) {
        public String qualified() {
            return module + "." + name;
        }
    }

    /** The caller's policy: which globals exist and what REDUCE/NEWOBJ/BUILD/persistent ids do with them. */
    public interface Globals {
        /** The global, or {@code null} if it is not allowed (the reader then fails naming it). */
        Global find(String module, String name);

        /** {@code callable(*args)} for an allowed global. */
        Object reduce(Global callable, Tuple args);

        /** {@code cls.__new__(cls, *args)} for an allowed class. */
        default Object newObject(Global cls, Tuple args) {
            throw new KitException("NEWOBJ of " + cls.qualified() + " is not allowed");
        }

        /** {@code obj.__setstate__(state)} or its default; returns nothing. */
        default void build(Object obj, Object state) {
            throw new KitException("BUILD on a " + describe(obj) + " is not allowed");
        }

        /** The object a persistent id stands for (PyTorch: a storage). */
        Object persistent(Object pid);
    }

    /** Bounds that keep a crafted file from exhausting memory. */
    public record Limits(int maxMemo, int maxStack, long maxItems, int maxString) {
        public static final Limits DEFAULT = new Limits(10_000_000, 1_000_000, 50_000_000L, 64 << 20);
    }

    private final ByteBuffer in;
    private final Globals globals;
    private final Limits limits;
    private final String where;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private long items;

    private Pickle(ByteBuffer in, Globals globals, Limits limits, String where) {
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
        this.globals = globals;
        this.limits = limits;
        this.where = where;
    }

    /**
     * Reads one pickle from {@code in}'s position up to and including its {@code STOP}; the buffer's
     * position is left just after it (the legacy torch format puts several pickles in a row).
     */
    public static Object load(ByteBuffer in, Globals globals, Limits limits, String where) {
        return new Pickle(in, globals, limits, where).run();
    }

    static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Tuple) return "tuple";
        if (o instanceof Map) return "dict";
        if (o instanceof List) return "list";
        return o.getClass().getSimpleName();
    }

    private KitException error(String msg, int at) {
        return new KitException(where + ": " + msg + " (pickle byte " + at + ")");
    }

    private Object run() {
        while (true) {
            if (!in.hasRemaining()) throw error("the pickle ends without STOP (file truncated?)", in.position());
            int at = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int proto = in.get() & 0xff;
                    if (proto > 5) throw error("pickle protocol " + proto + " is not supported", at);
                }
                case 0x95 -> { // FRAME: a length hint, the opcodes follow inline
                    need(8, at);
                    in.getLong();
                }
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw error("malformed pickle: STOP with " + stack.size()
                            + " values on the stack", at);
                    return stack.get(0);
                }
                case '(' -> { // MARK
                    if (marks.size() >= limits.maxStack()) throw error("too many nested MARKs", at);
                    marks.add(stack.size());
                }
                case '0' -> pop(at); // POP
                case '1' -> popMark(at); // POP_MARK
                case '2' -> push(peek(at), at); // DUP
                case 'N' -> push(null, at);
                case 0x88 -> push(Boolean.TRUE, at);
                case 0x89 -> push(Boolean.FALSE, at);
                case 'J' -> { need(4, at); push((long) in.getInt(), at); } // BININT
                case 'K' -> { need(1, at); push((long) (in.get() & 0xff), at); } // BININT1
                case 'M' -> { need(2, at); push((long) (in.getShort() & 0xffff), at); } // BININT2
                case 0x8a -> push(longN(in.get() & 0xff, at), at); // LONG1
                case 0x8b -> { need(4, at); push(longN(in.getInt(), at), at); } // LONG4
                case 'G' -> { need(8, at); push(Double.longBitsToDouble(Long.reverseBytes(in.getLong())), at); } // BINFLOAT (big-endian)
                case 'X' -> { need(4, at); push(utf8(in.getInt(), at), at); } // BINUNICODE
                case 0x8c -> { need(1, at); push(utf8(in.get() & 0xff, at), at); } // SHORT_BINUNICODE
                case 0x8d -> { need(8, at); push(utf8(checkedLength(in.getLong(), at), at), at); } // BINUNICODE8
                case 'T' -> { need(4, at); push(latin1(in.getInt(), at), at); } // BINSTRING (Python 2 str)
                case 'U' -> { need(1, at); push(latin1(in.get() & 0xff, at), at); } // SHORT_BINSTRING
                case 'B' -> { need(4, at); push(bytes(in.getInt(), at), at); } // BINBYTES
                case 'C' -> { need(1, at); push(bytes(in.get() & 0xff, at), at); } // SHORT_BINBYTES
                case 0x8e -> { need(8, at); push(bytes(checkedLength(in.getLong(), at), at), at); } // BINBYTES8
                case ')' -> push(new Tuple(List.of()), at);
                case 0x85 -> push(tupleOf(1, at), at);
                case 0x86 -> push(tupleOf(2, at), at);
                case 0x87 -> push(tupleOf(3, at), at);
                case 't' -> push(new Tuple(java.util.Collections.unmodifiableList(popMark(at))), at);
                case ']' -> push(new ArrayList<>(), at);
                case 'l' -> push(new ArrayList<>(popMark(at)), at); // LIST
                case '}' -> push(new LinkedHashMap<>(), at);
                case 'd' -> { // DICT
                    List<Object> kv = popMark(at);
                    push(fill(new LinkedHashMap<>(), kv, at), at);
                }
                case 0x8f -> push(new ArrayList<>(), at); // EMPTY_SET (kept as a list)
                case 0x91 -> push(new ArrayList<>(popMark(at)), at); // FROZENSET
                case 0x90 -> { List<Object> add = popMark(at); list(peek(at), at).addAll(add); count(add.size(), at); } // ADDITEMS
                case 'a' -> { Object v = pop(at); list(peek(at), at).add(v); count(1, at); } // APPEND
                case 'e' -> { List<Object> add = popMark(at); list(peek(at), at).addAll(add); count(add.size(), at); } // APPENDS
                case 's' -> { // SETITEM
                    Object v = pop(at);
                    Object k = pop(at);
                    fill(dict(peek(at), at), List.of(k, v), at);
                }
                case 'u' -> { List<Object> kv = popMark(at); fill(dict(null, at), kv, at); } // SETITEMS
                case 'q' -> { need(1, at); put(in.get() & 0xff, at); } // BINPUT
                case 'r' -> { need(4, at); put(in.getInt() & 0xffffffffL, at); } // LONG_BINPUT
                case 0x94 -> put(memo.size(), at); // MEMOIZE
                case 'h' -> { need(1, at); push(get(in.get() & 0xff, at), at); } // BINGET
                case 'j' -> { need(4, at); push(get(in.getInt() & 0xffffffffL, at), at); } // LONG_BINGET
                case 'c' -> { // GLOBAL 'module\nname\n'
                    String module = line(at);
                    String name = line(at);
                    push(global(module, name, at), at);
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw error("STACK_GLOBAL needs two strings", at);
                    }
                    push(global(m, n, at), at);
                }
                case 'R' -> { // REDUCE
                    Object args = pop(at);
                    Object fn = pop(at);
                    if (!(fn instanceof Global g)) throw error("REDUCE on a " + describe(fn) + ", not an allowed global", at);
                    if (!(args instanceof Tuple t)) throw error("REDUCE of " + g.qualified() + " without an argument tuple", at);
                    push(call(() -> globals.reduce(g, t), at), at);
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop(at);
                    Object cls = pop(at);
                    if (!(cls instanceof Global g)) throw error("NEWOBJ on a " + describe(cls) + ", not an allowed class", at);
                    if (!(args instanceof Tuple t)) throw error("NEWOBJ of " + g.qualified() + " without an argument tuple", at);
                    push(call(() -> globals.newObject(g, t), at), at);
                }
                case 'b' -> { // BUILD
                    Object state = pop(at);
                    Object obj = peek(at);
                    call(() -> { globals.build(obj, state); return null; }, at);
                }
                case 'Q' -> { // BINPERSID
                    Object pid = pop(at);
                    push(call(() -> globals.persistent(pid), at), at);
                }
                default -> throw error("pickle opcode 0x" + Integer.toHexString(op) + (op >= 32 && op < 127 ? " ('"
                        + (char) op + "')" : "") + " is not supported by the safe reader", at);
            }
        }
    }

    private interface Call {
        Object run();
    }

    private Object call(Call c, int at) {
        try {
            return c.run();
        } catch (KitException e) {
            throw error(e.getMessage(), at);
        } catch (RuntimeException e) {
            throw error("malformed value: " + e, at);
        }
    }

    private Object global(String module, String name, int at) {
        Global g = globals.find(module, name);
        if (g == null) {
            throw error("refusing to load: forbidden global " + module + "." + name
                    + " (only the globals a weights file needs are allowed; nothing was run)", at);
        }
        return g;
    }

    private void need(long n, int at) {
        if (in.remaining() < n) throw error("the pickle ends inside an opcode (file truncated?)", at);
    }

    private int checkedLength(long n, int at) {
        if (n < 0 || n > limits.maxString() || n > in.remaining()) {
            throw error("length " + n + " exceeds the " + in.remaining() + " bytes left or the limit " + limits.maxString(), at);
        }
        return (int) n;
    }

    private byte[] bytes(int n, int at) {
        byte[] b = new byte[checkedLength(n & 0xffffffffL, at)];
        in.get(b);
        return b;
    }

    private String utf8(int n, int at) {
        return new String(bytes(n, at), StandardCharsets.UTF_8);
    }

    private String latin1(int n, int at) {
        return new String(bytes(n, at), StandardCharsets.ISO_8859_1);
    }

    private String line(int at) {
        int start = in.position();
        int limit = Math.min(in.limit(), start + 1024);
        for (int i = start; i < limit; i++) {
            if (in.get(i) == '\n') {
                byte[] b = new byte[i - start];
                in.get(b);
                in.get();
                return new String(b, StandardCharsets.UTF_8);
            }
        }
        throw error("GLOBAL name is not terminated within 1024 bytes", at);
    }

    private Object longN(int n, int at) {
        if (n < 0 || n > 1024) throw error("integer of " + n + " bytes exceeds the limit of 1024", at);
        need(n, at);
        byte[] le = new byte[n];
        in.get(le);
        if (n == 0) return 0L;
        byte[] be = new byte[n];
        for (int i = 0; i < n; i++) be[i] = le[n - 1 - i];
        BigInteger v = new BigInteger(be); // two's complement, as pickle's LONG1/LONG4
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private void count(long n, int at) {
        items += n;
        if (items > limits.maxItems()) throw error("more than " + limits.maxItems() + " container items", at);
    }

    private void push(Object o, int at) {
        if (stack.size() >= limits.maxStack()) throw error("pickle stack deeper than " + limits.maxStack(), at);
        stack.add(o);
    }

    private Object pop(int at) {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) throw error("malformed pickle: pop from an empty stack", at);
        return stack.remove(stack.size() - 1);
    }

    private Object peek(int at) {
        if (stack.isEmpty()) throw error("malformed pickle: empty stack", at);
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark(int at) {
        if (marks.isEmpty()) throw error("malformed pickle: no MARK", at);
        int m = marks.remove(marks.size() - 1);
        List<Object> top = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        count(top.size(), at);
        return top;
    }

    private Tuple tupleOf(int n, int at) {
        Object[] a = new Object[n];
        for (int i = n - 1; i >= 0; i--) a[i] = pop(at);
        return new Tuple(java.util.Arrays.asList(a));
    }

    private void put(long index, int at) {
        if (memo.size() >= limits.maxMemo() && !memo.containsKey(index)) throw error("memo larger than " + limits.maxMemo(), at);
        memo.put(index, peek(at));
    }

    private Object get(long index, int at) {
        if (!memo.containsKey(index)) throw error("memo entry " + index + " was never stored", at);
        return memo.get(index);
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, int at) {
        if (!(o instanceof List)) throw error("APPEND to a " + describe(o), at);
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, int at) {
        Object d = o != null ? o : peek(at);
        if (!(d instanceof Map)) throw error("SETITEM on a " + describe(d), at);
        return (Map<Object, Object>) d;
    }

    private Map<Object, Object> fill(Map<Object, Object> d, List<Object> kv, int at) {
        if (kv.size() % 2 != 0) throw error("odd number of items for a dict", at);
        count(kv.size() / 2, at);
        for (int i = 0; i < kv.size(); i += 2) {
            Object k = kv.get(i);
            if (k instanceof List || k instanceof Map) throw error("unhashable dict key (" + describe(k) + ")", at);
            d.put(k, kv.get(i + 1));
        }
        return d;
    }
}
