package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code shard-NNNNN.kiln}: a complete inverted-file index over a subset of the items (those
 * whose id hashes to this shard), sharing the version's model. Layout, version 2 (version 1 is
 * the same with field 56 reserved, always 0, and so no terms):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "SHRD"
 * 8       4     version (2; 1 is read too)
 * 12      4     shard: this shard's number
 * 16      4     shardCount: shards in the version
 * 20      4     nlist
 * 24      4     dim
 * 28      4     codeSize: bytes per item (M for PQ8, 4 x d for Flat)
 * 32      4     idType: 0 = int64 ids stored here, 1 = string keys in keys-NNNNN.kiln
 * 36      4     modelChecksum: CRC32C of the model.kiln this shard was encoded with
 * 40      8     count: items in this shard
 * 48      8     directoryOffset (64)
 * 56      4     termBytes: 4 when each item stores its L2 term, else 0 (always 0 in version 1)
 * 60      4     codeLayout: 0 = one code after another, 1 = 4-bit fast-scan blocks
 *               ({@link FastScanLayout}; IVF{n},PQ{m}x4fs only, codeSize = M/2); reserved,
 *               written 0, before version 3
 * 64            directory: nlist entries of 24 bytes:
 *                 blockOffset u64, firstOrdinal u64, size u64
 *               blocks, one per non-empty list, each at a multiple of 64:
 *                 codes: size x codeSize bytes (Flat: d little-endian f32), or with
 *                        codeLayout 1, ceil(size / 32) blocks of 16 x M bytes
 *                 terms: size x f32, at the next multiple of 8 (only when termBytes = 4)
 *                 ids:   size x i64, at the next multiple of 8 (only when idType = 0)
 *               footer (see {@link FileFormat})
 * </pre>
 *
 * An item's L2 term (PQ codes of residuals under the l2 metric) is {@code ||r||^2 + 2 <c_l, r>}
 * for its decoded residual r and list centroid c_l: the part of its distance to any query that
 * does not depend on the query, so a search needs one table per query, not one per probed list.
 *
 * <p>Items are ordered by list, then by id; an item's ordinal (its position in that order) indexes
 * the keys file when ids are strings. Every size and offset is checked against the file length
 * when the shard is opened, which costs O(nlist) and never reads the blocks.
 */
public final class ShardFile {
  static final int HEADER_BYTES = 64;
  static final int DIRECTORY_ENTRY_BYTES = 24;

  /** The file name of shard {@code n}. */
  public static String fileName(int n) {
    return String.format("shard-%05d.kiln", n);
  }

  private final String name;
  private final ByteBuffer buf;
  private final int shard;
  private final int shardCount;
  private final int nlist;
  private final int dim;
  private final int codeSize;
  private final IdType idType;
  private final int modelChecksum;
  private final long count;
  private final int termBytes;
  private final boolean fastScan;
  private final int directoryAt;

  private ShardFile(String name, ByteBuffer buf) throws CorruptIndexException {
    this.name = name;
    this.buf = buf;
    long contentEnd = buf.limit() - FileFormat.FOOTER_BYTES;
    if (contentEnd < HEADER_BYTES) {
      throw new CorruptIndexException(name, "header truncated");
    }
    shard = buf.getInt(12);
    shardCount = buf.getInt(16);
    nlist = buf.getInt(20);
    dim = buf.getInt(24);
    codeSize = buf.getInt(28);
    idType = IdType.fromCode(buf.getInt(32), name);
    modelChecksum = buf.getInt(36);
    count = buf.getLong(40);
    long dirAt = buf.getLong(48);
    termBytes = buf.getInt(8) >= FileFormat.VERSION_2 ? buf.getInt(56) : 0;
    if (termBytes != 0 && termBytes != 4) {
      throw new CorruptIndexException(name, "bad header: termBytes=" + termBytes);
    }
    int layout = buf.getInt(8) >= FileFormat.VERSION_3 ? buf.getInt(60) : 0;
    if (layout != 0 && layout != 1) {
      throw new CorruptIndexException(name, "bad header: codeLayout=" + layout);
    }
    fastScan = layout == 1;
    if (shardCount < 1 || shard < 0 || shard >= shardCount) {
      throw new CorruptIndexException(name, "bad shard number " + shard + " of " + shardCount);
    }
    if (nlist < 1 || dim < 1 || codeSize < 1) {
      throw new CorruptIndexException(
          name, "bad header: nlist=" + nlist + " dim=" + dim + " codeSize=" + codeSize);
    }
    FileFormat.checkSection(
        name, "directory", dirAt, (long) nlist * DIRECTORY_ENTRY_BYTES, contentEnd);
    directoryAt = (int) dirAt;
    long total = 0;
    for (int l = 0; l < nlist; l++) {
      long at = entry(l, 0);
      long first = entry(l, 1);
      long size = entry(l, 2);
      if (size < 0 || first != total) {
        throw new CorruptIndexException(name, "directory entry of list " + l + " is inconsistent");
      }
      if (size > 0) {
        if (size > contentEnd / codeSize) {
          throw new CorruptIndexException(name, "list " + l + " claims " + size + " items");
        }
        long bytes = blockBytes(size, codeSize, fastScan, termBytes, idType);
        FileFormat.checkSection(name, "list " + l, at, bytes, contentEnd);
      }
      total += size;
    }
    if (total != count) {
      throw new CorruptIndexException(
          name, "header says " + count + " items but the lists hold " + total);
    }
  }

  /**
   * Opens a shard over a buffer holding the whole file (normally a read-only mapping). Checks
   * the header, footer and directory; does not read the lists or verify the checksum (see
   * {@link FileFormat#verifyChecksum}).
   */
  public static ShardFile open(ByteBuffer file, String name) throws CorruptIndexException {
    return new ShardFile(name, FileFormat.openChecked(file, FileFormat.KIND_SHARD, name));
  }

  private long entry(int list, int field) {
    return buf.getLong(directoryAt + list * DIRECTORY_ENTRY_BYTES + field * 8);
  }

  static long align8(long v) {
    return (v + 7) & ~7L;
  }

  /** Bytes of a list's codes: one after another, or in fast-scan blocks (M = 2 x codeSize). */
  static long codesBytes(long size, int codeSize, boolean fastScan) {
    return fastScan ? FastScanLayout.codesBytes(size, 2 * codeSize) : size * codeSize;
  }

  /** Bytes of a list's block: codes, then terms and ids each at the next multiple of 8. */
  static long blockBytes(long size, int codeSize, boolean fastScan, int termBytes,
      IdType idType) {
    long bytes = codesBytes(size, codeSize, fastScan);
    if (termBytes > 0) {
      bytes = align8(bytes) + termBytes * size;
    }
    if (idType == IdType.LONG) {
      bytes = align8(bytes) + 8 * size;
    }
    return bytes;
  }

  public String name() {
    return name;
  }

  public int shard() {
    return shard;
  }

  public int shardCount() {
    return shardCount;
  }

  public int nlist() {
    return nlist;
  }

  public int dim() {
    return dim;
  }

  public int codeSize() {
    return codeSize;
  }

  public IdType idType() {
    return idType;
  }

  public int modelChecksum() {
    return modelChecksum;
  }

  public long count() {
    return count;
  }

  /** The whole file, little-endian; read-only views of it are safe to share between threads. */
  public ByteBuffer buffer() {
    return buf;
  }

  public int listSize(int list) {
    return (int) entry(list, 2);
  }

  /** Ordinal (position in list-then-id order) of the list's first item. */
  public long firstOrdinal(int list) {
    return entry(list, 1);
  }

  /**
   * Absolute offset of the list's first code in {@link #buffer()} (with {@link #fastScan()}, of
   * its first block).
   */
  public int codesOffset(int list) {
    return (int) entry(list, 0);
  }

  /** Whether the codes lie in 4-bit fast-scan blocks ({@link FastScanLayout}). */
  public boolean fastScan() {
    return fastScan;
  }

  /** Whether items store their L2 term (see the class comment); never in version 1. */
  public boolean hasTerms() {
    return termBytes > 0;
  }

  /** Absolute offset of the list's first L2 term (f32); only when {@link #hasTerms()}. */
  public int termsOffset(int list) {
    return (int) (entry(list, 0) + align8(codesBytes(listSize(list), codeSize, fastScan)));
  }

  /** Absolute offset of the list's first id; only for {@link IdType#LONG}. */
  public int idsOffset(int list) {
    // The ids follow the codes and terms: a block's bytes without ids, aligned.
    return (int) (entry(list, 0)
        + align8(blockBytes(listSize(list), codeSize, fastScan, termBytes, IdType.STRING)));
  }

  /** The int64 id of item {@code i} of {@code list}; only for {@link IdType#LONG}. */
  public long id(int list, int i) {
    return buf.getLong(idsOffset(list) + 8 * i);
  }

  /**
   * The int64 id of the item with this ordinal; only for {@link IdType#LONG}. Finds the list by
   * binary search over the directory: O(log nlist).
   */
  public long idOfOrdinal(long ordinal) {
    if (ordinal < 0 || ordinal >= count) {
      throw new IndexOutOfBoundsException(name + ": no item " + ordinal + " of " + count);
    }
    int list = listOf(ordinal);
    return id(list, (int) (ordinal - firstOrdinal(list)));
  }

  /**
   * The list holding the item with this ordinal (0 &le; ordinal &lt; count): binary search over
   * the directory, O(log nlist).
   */
  public int listOf(long ordinal) {
    // The last list whose first ordinal is at most this one holds it: empty lists before it
    // share its first ordinal, and the next non-empty list starts after it.
    int lo = 0;
    int hi = nlist - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (firstOrdinal(mid) <= ordinal) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }
}
