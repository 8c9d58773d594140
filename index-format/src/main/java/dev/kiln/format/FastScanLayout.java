package dev.kiln.format;

import java.nio.ByteBuffer;

/**
 * How a list's 4-bit PQ codes ({@code IVF{n},PQ{m}x4fs}) lie in a shard: in blocks of
 * {@value #BLOCK} items, arranged so that one 32-byte load holds one pair of sub-spaces of the
 * whole block, which a scan looks up in two 16-entry tables with byte shuffles and sums in 16-bit
 * lanes (Faiss's "fast-scan", André et al.; this arrangement is Kiln's own, not Faiss's).
 *
 * <pre>
 * block b (items 32b .. 32b+31), M/2 groups of 32 bytes, group p = sub-spaces 2p and 2p+1:
 *   offset 16·M·b + 32·p + 2k      item 32b + k       (k = 0..15)
 *   offset 16·M·b + 32·p + 2k + 1  item 32b + 16 + k
 *   each byte: low nibble = the item's code for sub-space 2p, high nibble = for 2p+1
 * </pre>
 *
 * Read as sixteen 16-bit lanes, lane k holds item k in its low byte and item 16 + k in its high
 * byte, so the sums of the low bytes are items 0-15 in order and those of the high bytes items
 * 16-31. A list of n items takes {@code ceil(n / 32)} blocks; the items past n in the last block
 * have code 0 in every sub-space.
 */
public final class FastScanLayout {
  /** Items per block. */
  public static final int BLOCK = 32;

  private FastScanLayout() {}

  /**
   * Blocks holding {@code size} items.
   *
   * @param size items in the list, at least 0
   * @return {@code ceil(size / 32)}
   */
  public static long blocks(long size) {
    return (size + BLOCK - 1) / BLOCK;
  }

  /**
   * Bytes of the codes of a list of {@code size} items with {@code m} sub-spaces.
   *
   * @param size items in the list, at least 0
   * @param m sub-spaces M (even)
   * @return {@code blocks(size) * bytesPerBlock(m)}: whole blocks, the last one padded
   */
  public static long codesBytes(long size, int m) {
    return blocks(size) * bytesPerBlock(m);
  }

  /**
   * Bytes of one block: 32 items x M nibbles.
   *
   * @param m sub-spaces M (even)
   * @return {@code 16 * m}
   */
  public static int bytesPerBlock(int m) {
    return BLOCK / 2 * m;
  }

  /** Where item {@code i}'s byte of sub-space pair {@code p} is, relative to the list's codes. */
  static long position(int m, long i, int p) {
    long b = i / BLOCK;
    int k = (int) (i % BLOCK);
    int lane = k < 16 ? 2 * k : 2 * (k - 16) + 1;
    return b * bytesPerBlock(m) + 32L * p + lane;
  }

  /**
   * Packs {@code n} codes, {@code m} bytes each (one sub-space per byte, values 0-15), into
   * {@code out}, which must hold {@link #codesBytes}{@code (n, m)} bytes.
   *
   * @param codes the items' codes, {@code n x m} bytes, item after item
   * @param n items to pack
   * @param m sub-spaces M (even)
   * @param out receives the blocks in its first {@code codesBytes(n, m)} bytes, zeros
   *     included; bytes after them are left as they are
   * @throws IllegalArgumentException for a sub-code above 15
   */
  public static void pack(byte[] codes, int n, int m, byte[] out) {
    int bytes = (int) codesBytes(n, m);
    java.util.Arrays.fill(out, 0, bytes, (byte) 0);
    for (int i = 0; i < n; i++) {
      for (int p = 0; p < m / 2; p++) {
        int lo = codes[i * m + 2 * p];
        int hi = codes[i * m + 2 * p + 1];
        if ((lo & ~15) != 0 || (hi & ~15) != 0) {
          throw new IllegalArgumentException("4-bit codes hold 0-15; item " + i + " has "
              + lo + ", " + hi + " in sub-spaces " + 2 * p + ", " + (2 * p + 1));
        }
        out[(int) position(m, i, p)] = (byte) (lo | hi << 4);
      }
    }
  }

  /**
   * Item {@code i}'s code for sub-space {@code j}, from a list's codes at {@code codesOffset}.
   *
   * @param buf the buffer holding the codes, read by absolute index
   * @param codesOffset where the list's first block starts in {@code buf}
   *     ({@link ShardFile#codesOffset})
   * @param m sub-spaces M of the index
   * @param i the item's position in its list, from 0
   * @param j the sub-space, {@code 0 <= j < m}
   * @return the sub-code, 0 to 15
   */
  public static int code(ByteBuffer buf, int codesOffset, int m, long i, int j) {
    int b = buf.get((int) (codesOffset + position(m, i, j / 2))) & 0xff;
    return (j & 1) == 0 ? b & 15 : b >>> 4;
  }
}
