package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@code shard-NNNNN.kiln}: a complete inverted-file index over a subset of the items (those
 * whose id hashes to this shard), sharing the version's model. Layout, version 1:
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "SHRD"
 * 8       4     version (1)
 * 12      4     shard: this shard's number
 * 16      4     shardCount: shards in the version
 * 20      4     nlist
 * 24      4     dim
 * 28      4     codeSize: bytes per item (M for PQ8, 4 x d for Flat)
 * 32      4     idType: 0 = int64 ids stored here, 1 = string keys in keys-NNNNN.kiln
 * 36      4     modelChecksum: CRC32C of the model.kiln this shard was encoded with
 * 40      8     count: items in this shard
 * 48      8     directoryOffset (64)
 * 56      8     reserved (0)
 * 64            directory: nlist entries of 24 bytes:
 *                 blockOffset u64, firstOrdinal u64, size u64
 *               blocks, one per non-empty list, each at a multiple of 64:
 *                 codes: size x codeSize bytes (Flat: d little-endian f32)
 *                 ids:   size x i64, at the next multiple of 8 (only when idType = 0)
 *               footer (see {@link FileFormat})
 * </pre>
 *
 * Items are ordered by list, then by id; an item's ordinal (its position in that order) indexes
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
        long codeBytes = size * codeSize;
        if (size > contentEnd / codeSize) {
          throw new CorruptIndexException(name, "list " + l + " claims " + size + " items");
        }
        long idBytes = idType == IdType.LONG ? align8(codeBytes) + 8 * size : codeBytes;
        FileFormat.checkSection(name, "list " + l, at, idBytes, contentEnd);
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

  /** Absolute offset of the list's first code in {@link #buffer()}. */
  public int codesOffset(int list) {
    return (int) entry(list, 0);
  }

  /** Absolute offset of the list's first id; only for {@link IdType#LONG}. */
  public int idsOffset(int list) {
    return (int) (entry(list, 0) + align8((long) listSize(list) * codeSize));
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
    return id(lo, (int) (ordinal - firstOrdinal(lo)));
  }

  /**
   * Streams a shard: header and directory first (so list sizes must be known up front), then
   * items in list order, then the footer. Buffers the ids of one list at most.
   */
  public static final class Writer {
    private final FormatOutput out;
    private final int codeSize;
    private final IdType idType;
    private final long[] listSizes;
    private final long[] blockOffsets;
    private int list = -1;
    private int inList;
    private long[] ids = new long[0];
    private long lastId;

    public Writer(
        FormatOutput out,
        int shard,
        int shardCount,
        int dim,
        int codeSize,
        IdType idType,
        int modelChecksum,
        long[] listSizes)
        throws IOException {
      this.out = out;
      this.codeSize = codeSize;
      this.idType = idType;
      this.listSizes = listSizes.clone();
      int nlist = listSizes.length;
      long count = 0;
      blockOffsets = new long[nlist];
      long at = FileFormat.align(HEADER_BYTES + (long) nlist * DIRECTORY_ENTRY_BYTES);
      for (int l = 0; l < nlist; l++) {
        blockOffsets[l] = at;
        long bytes = listSizes[l] * codeSize;
        if (idType == IdType.LONG) {
          bytes = align8(bytes) + 8 * listSizes[l];
        }
        at = FileFormat.align(at + bytes);
        count += listSizes[l];
      }
      out.writeHeaderStart(FileFormat.KIND_SHARD);
      out.writeInt(shard);
      out.writeInt(shardCount);
      out.writeInt(nlist);
      out.writeInt(dim);
      out.writeInt(codeSize);
      out.writeInt(idType.code);
      out.writeInt(modelChecksum);
      out.writeLong(count);
      out.writeLong(HEADER_BYTES);
      out.writeLong(0);
      long first = 0;
      for (int l = 0; l < nlist; l++) {
        out.writeLong(blockOffsets[l]);
        out.writeLong(first);
        out.writeLong(listSizes[l]);
        first += listSizes[l];
      }
    }

    /** Adds the next item of a shard with int64 ids; items come in (list, id) order. */
    public void add(int itemList, long id, byte[] code) throws IOException {
      if (idType != IdType.LONG) {
        throw new IllegalStateException("this shard stores string keys: use add(list, code)");
      }
      advanceTo(itemList);
      if (inList > 0 && id <= lastId) {
        throw new IllegalStateException("ids must ascend within list " + itemList);
      }
      writeCode(code); // checks the code and the announced size before the id is kept
      lastId = id;
      ids[inList - 1] = id;
    }

    /** Adds the next item of a shard with string keys (written to the keys file in order). */
    public void add(int itemList, byte[] code) throws IOException {
      if (idType != IdType.STRING) {
        throw new IllegalStateException("this shard stores int64 ids: use add(list, id, code)");
      }
      advanceTo(itemList);
      writeCode(code);
    }

    private void writeCode(byte[] code) throws IOException {
      if (code.length != codeSize) {
        throw new IllegalArgumentException(
            "code has " + code.length + " bytes, expected " + codeSize);
      }
      if (inList >= listSizes[list]) {
        throw new IllegalStateException("list " + list + " has more items than announced");
      }
      out.writeBytes(code);
      inList++;
    }

    private void advanceTo(int itemList) throws IOException {
      if (itemList < 0 || itemList < list || itemList >= listSizes.length) {
        throw new IllegalStateException("items must come in list order; got list " + itemList
            + " after " + list);
      }
      if (itemList == list) {
        return;
      }
      closeList();
      while (list < itemList) {
        list++;
        inList = 0;
        if (list < itemList && listSizes[list] != 0) {
          throw new IllegalStateException("list " + list + " announced items but got none");
        }
      }
      out.padTo(blockOffsets[list]);
      if (idType == IdType.LONG && ids.length < listSizes[list]) {
        ids = new long[(int) listSizes[list]];
      }
    }

    private void closeList() throws IOException {
      if (list < 0) {
        return;
      }
      if (inList != listSizes[list]) {
        throw new IllegalStateException(
            "list " + list + " announced " + listSizes[list] + " items but got " + inList);
      }
      if (idType == IdType.LONG) {
        out.padTo(align8(out.position()));
        for (int i = 0; i < inList; i++) {
          out.writeLong(ids[i]);
        }
      }
    }

    /** Checks every announced item came, pads the last block and writes the footer. */
    public int finish() throws IOException {
      closeList();
      for (int l = list + 1; l < listSizes.length; l++) {
        if (listSizes[l] != 0) {
          throw new IllegalStateException("list " + l + " announced items but got none");
        }
      }
      out.align();
      out.finish();
      return out.checksum();
    }
  }
}
