package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code shard-NNNNN.kiln}: a complete inverted-file index over a subset of the items (those
 * whose id hashes to this shard), sharing the version's model. Layout, version 3 (version 2 is
 * the same with field 60 reserved, always 0; version 1 also with field 56 reserved, always 0,
 * and so no terms):
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "SHRD"
 * 8       4     version (3 as written; 1 and 2 are read too)
 * 12      4     shard: this shard's number
 * 16      4     shardCount: shards in the version
 * 20      4     nlist
 * 24      4     dim
 * 28      4     codeSize: bytes per item (M for PQ8, 4 x d for Flat, d for SQ8)
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

  /**
   * The file name of shard {@code n}.
   *
   * @param n the shard number, at least 0
   * @return {@code shard-NNNNN.kiln}, the number zero-padded to at least 5 digits
   */
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
   *
   * @param file the whole file; the lists are read from it
   * @param name the file's name, for messages
   * @return the opened shard
   * @throws CorruptIndexException naming the file when a check fails
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

  /**
   * The file's name, as given to {@link #open}.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * This shard's number.
   *
   * @return {@code 0 <= shard < shardCount()}
   */
  public int shard() {
    return shard;
  }

  /**
   * The number of shards in the version.
   *
   * @return the count, at least 1
   */
  public int shardCount() {
    return shardCount;
  }

  /**
   * The number of lists, as in the model.
   *
   * @return nlist, at least 1
   */
  public int nlist() {
    return nlist;
  }

  /**
   * The vector dimension, as in the model.
   *
   * @return d, at least 1
   */
  public int dim() {
    return dim;
  }

  /**
   * Bytes stored per item.
   *
   * @return M for 8-bit PQ, M/2 for fast-scan PQ, {@code 4 * d} for Flat, d for SQ8
   */
  public int codeSize() {
    return codeSize;
  }

  /**
   * Whether ids are stored here (int64) or in a keys file (strings).
   *
   * @return the id type
   */
  public IdType idType() {
    return idType;
  }

  /**
   * The CRC32C of the {@code model.kiln} this shard was encoded with.
   *
   * @return the checksum, to compare with {@link ModelFile#checksum()}
   */
  public int modelChecksum() {
    return modelChecksum;
  }

  /**
   * Items in this shard: the sum of the list sizes.
   *
   * @return the count
   */
  public long count() {
    return count;
  }

  /**
   * The whole file, little-endian; read-only views of it are safe to share between threads.
   *
   * @return a buffer over the file given to {@link #open}, to read at absolute offsets
   */
  public ByteBuffer buffer() {
    return buf;
  }

  /**
   * Items in a list.
   *
   * @param list the list, {@code 0 <= list < nlist()}
   * @return its size, 0 for an empty list
   */
  public int listSize(int list) {
    return (int) entry(list, 2);
  }

  /**
   * Ordinal (position in list-then-id order) of the list's first item.
   *
   * @param list the list, {@code 0 <= list < nlist()}
   * @return the ordinal; for an empty list, that of the next non-empty list's first item (or
   *     {@code count()})
   */
  public long firstOrdinal(int list) {
    return entry(list, 1);
  }

  /**
   * Absolute offset of the list's first code in {@link #buffer()} (with {@link #fastScan()}, of
   * its first block).
   *
   * @param list a non-empty list: an empty one's offset must not be read from
   * @return the offset
   */
  public int codesOffset(int list) {
    return (int) entry(list, 0);
  }

  /**
   * Whether the codes lie in 4-bit fast-scan blocks ({@link FastScanLayout}).
   *
   * @return true for {@code IVF{n},PQ{m}x4fs} shards
   */
  public boolean fastScan() {
    return fastScan;
  }

  /**
   * Whether items store their L2 term (see the class comment); never in version 1.
   *
   * @return true when the header's termBytes is 4
   */
  public boolean hasTerms() {
    return termBytes > 0;
  }

  /**
   * Absolute offset of the list's first L2 term (f32); only when {@link #hasTerms()}.
   *
   * @param list the list, {@code 0 <= list < nlist()}
   * @return the offset of its {@link #listSize} terms, in item order
   */
  public int termsOffset(int list) {
    return (int) (entry(list, 0) + align8(codesBytes(listSize(list), codeSize, fastScan)));
  }

  /**
   * Absolute offset of the list's first id; only for {@link IdType#LONG}.
   *
   * @param list the list, {@code 0 <= list < nlist()}
   * @return the offset of its {@link #listSize} int64 ids, in item order
   */
  public int idsOffset(int list) {
    // The ids follow the codes and terms: a block's bytes without ids, aligned.
    return (int) (entry(list, 0)
        + align8(blockBytes(listSize(list), codeSize, fastScan, termBytes, IdType.STRING)));
  }

  /**
   * The int64 id of item {@code i} of {@code list}; only for {@link IdType#LONG}.
   *
   * @param list the list, {@code 0 <= list < nlist()}
   * @param i the item's position in the list, {@code 0 <= i < listSize(list)} (not checked)
   * @return the id
   */
  public long id(int list, int i) {
    return buf.getLong(idsOffset(list) + 8 * i);
  }

  /**
   * The int64 id of the item with this ordinal; only for {@link IdType#LONG}. Finds the list by
   * binary search over the directory: O(log nlist).
   *
   * @param ordinal the item's ordinal, {@code 0 <= ordinal < count()}
   * @return the id
   * @throws IndexOutOfBoundsException when {@code ordinal} is out of range
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
   *
   * @param ordinal the item's ordinal (not checked)
   * @return the list's number
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
