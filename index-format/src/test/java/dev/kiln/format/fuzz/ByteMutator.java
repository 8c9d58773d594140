package dev.kiln.format.fuzz;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Byte-level damage, one to four edits per input: a flipped bit; a byte set to 0x00, 0xFF, 0x7F
 * or 0x80; an int32 or int64 field overwritten with a boundary value (0, -1, the maxima, powers
 * of two, the file's own length and its neighbours) or nudged by a small delta; truncation;
 * extension; a chunk duplicated, deleted or copied over another; random bytes. Positions favour
 * the first 128 bytes and the last 16, where headers, directories and footers lie.
 */
final class ByteMutator implements Mutator {
  static final ByteMutator INSTANCE = new ByteMutator();

  private static final int HEAD = 128;
  private static final int TAIL = 16;
  private static final int[] BYTES = {0x00, 0xFF, 0x7F, 0x80, 0x01, 0x40};
  private static final long[] VALUES = {
    0, 1, -1, 2, 3, 7, 8, 16, 63, 64, 65, 255, 256, 4096, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
    Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE - 7, 0xFFFFFFFFL, 1L << 31, 1L << 32,
    1L << 40, 1L << 61, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE / 3
  };

  private ByteMutator() {}

  @Override
  public byte[] mutate(byte[] seed, Random r, List<String> log) {
    int edits = r.nextInt(4) != 0 ? 1 : 2 + r.nextInt(3);
    byte[] b = seed.clone();
    for (int i = 0; i < edits; i++) {
      b = edit(b, r, log);
    }
    return b;
  }

  static byte[] edit(byte[] b, Random r, List<String> log) {
    int len = b.length;
    if (len < 8) {
      return r.nextBoolean() ? extend(b, r, log) : flip(b, r, log);
    }
    switch (r.nextInt(13)) {
      case 0, 1:
        return flip(b, r, log);
      case 2: {
        int at = position(len, r);
        int v = BYTES[r.nextInt(BYTES.length)];
        b[at] = (byte) v;
        log.add(String.format("byte @%d = 0x%02x", at, v));
        return b;
      }
      case 3, 4: {
        int at = fieldPosition(len, 4, r);
        int v = (int) value(len, r);
        le(b, at, v, 4);
        log.add("int32 @" + at + " = " + v);
        return b;
      }
      case 5, 6: {
        int at = fieldPosition(len, 8, r);
        long v = value(len, r);
        le(b, at, v, 8);
        log.add("int64 @" + at + " = " + v);
        return b;
      }
      case 7: {
        int at = fieldPosition(len, 4, r);
        int delta = r.nextInt(33) - 16;
        int v = (int) get(b, at, 4) + (delta == 0 ? 1 : delta);
        le(b, at, v, 4);
        log.add("int32 @" + at + " += " + (delta == 0 ? 1 : delta));
        return b;
      }
      case 8: {
        int n = switch (r.nextInt(4)) {
          case 0 -> r.nextInt(Math.min(len, HEAD));
          case 1 -> len - 1 - r.nextInt(Math.min(len, TAIL));
          default -> r.nextInt(len);
        };
        log.add("truncate to " + n + " of " + len + " bytes");
        return Arrays.copyOf(b, n);
      }
      case 9:
        return extend(b, r, log);
      case 10: {
        int n = chunk(len, r);
        int from = r.nextInt(len - n + 1);
        int at = r.nextInt(len + 1);
        byte[] out = new byte[len + n];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, from, out, at, n);
        System.arraycopy(b, at, out, at + n, len - at);
        log.add("insert copy of [" + from + ", +" + n + ") @" + at);
        return out;
      }
      case 11: {
        int n = chunk(len, r);
        int from = position(len - n + 1, r);
        byte[] out = new byte[len - n];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + n, out, from, len - n - from);
        log.add("delete [" + from + ", +" + n + ")");
        return out;
      }
      default: {
        if (r.nextBoolean()) {
          int n = chunk(len, r);
          int from = r.nextInt(len - n + 1);
          int to = position(len - n + 1, r);
          System.arraycopy(b, from, b, to, n);
          log.add("copy [" + from + ", +" + n + ") over @" + to);
        } else {
          int n = 1 + r.nextInt(8);
          int at = position(len - n + 1, r);
          for (int i = 0; i < n; i++) {
            b[at + i] = (byte) r.nextInt(256);
          }
          log.add(n + " random bytes @" + at);
        }
        return b;
      }
    }
  }

  private static byte[] flip(byte[] b, Random r, List<String> log) {
    if (b.length == 0) {
      return extend(b, r, log);
    }
    int at = position(b.length, r);
    int bit = r.nextInt(8);
    b[at] ^= (byte) (1 << bit);
    log.add("flip bit " + bit + " @" + at);
    return b;
  }

  private static byte[] extend(byte[] b, Random r, List<String> log) {
    int n = r.nextBoolean() ? 1 + r.nextInt(16) : 1 + r.nextInt(Math.max(1, b.length));
    byte[] out = Arrays.copyOf(b, b.length + n);
    String what;
    switch (r.nextInt(4)) {
      case 0 -> what = "zeros";
      case 1 -> {
        Arrays.fill(out, b.length, out.length, (byte) 0xFF);
        what = "0xFF";
      }
      case 2 -> {
        for (int i = b.length; i < out.length; i++) {
          out[i] = (byte) r.nextInt(256);
        }
        what = "random bytes";
      }
      default -> {
        for (int i = 0; i < n; i++) {
          out[b.length + i] = b.length == 0 ? 0 : b[i % b.length];
        }
        what = "a copy of the start";
      }
    }
    log.add("append " + n + " bytes of " + what);
    return out;
  }

  /** A position, favouring the head and the footer. */
  private static int position(int len, Random r) {
    int p = r.nextInt(20);
    if (p < 9) {
      return r.nextInt(Math.min(len, HEAD));
    }
    if (p < 11) {
      return len - 1 - r.nextInt(Math.min(len, TAIL));
    }
    return r.nextInt(len);
  }

  /** Where a field of {@code width} bytes fits: usually aligned to 4, as most header fields are. */
  private static int fieldPosition(int len, int width, Random r) {
    int at = position(len - width + 1, r);
    if (r.nextInt(4) != 0) {
      at &= ~3;
    }
    return at;
  }

  private static int chunk(int len, Random r) {
    int max = r.nextInt(4) == 0 ? len : Math.min(len, 64);
    return 1 + r.nextInt(max);
  }

  /** A boundary value, a length this file suggests, or a random one. */
  private static long value(int len, Random r) {
    int p = r.nextInt(20);
    if (p < 12) {
      return VALUES[r.nextInt(VALUES.length)];
    }
    if (p < 17) {
      long[] lengths = {len, len - 1, len + 1, len - 16, len - 12, len / 2, 2L * len, len - 64};
      return lengths[r.nextInt(lengths.length)];
    }
    return r.nextLong();
  }

  private static void le(byte[] b, int at, long v, int width) {
    for (int i = 0; i < width; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }

  private static long get(byte[] b, int at, int width) {
    long v = 0;
    for (int i = 0; i < width; i++) {
      v |= (b[at + i] & 0xFFL) << (8 * i);
    }
    return v;
  }
}
