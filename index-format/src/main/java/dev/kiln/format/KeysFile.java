package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * {@code keys-NNNNN.kiln}: the string ids of one shard, indexed by item ordinal. Present only
 * when the build's id column was a string. Layout, the same in versions 1 to 3:
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "KEYS"
 * 8       4     version (3 as written; 1 and 2 are read too)
 * 12      4     shard
 * 16      8     count: number of keys
 * 24      8     dataOffset (64)
 * 32      8     dataLength: bytes of UTF-8 key data
 * 40      8     offsetsOffset: count + 1 u64 offsets into the data, ascending
 * 48      16    reserved (0)
 * 64            data: the keys' UTF-8 bytes, concatenated in ordinal order
 *               offsets, at the next multiple of 64
 *               footer (see {@link FileFormat})
 * </pre>
 */
public final class KeysFile {
  static final int HEADER_BYTES = 64;

  /**
   * The name of shard {@code shard}'s keys file.
   *
   * @param shard the shard number, at least 0
   * @return {@code keys-NNNNN.kiln}, the number zero-padded to at least 5 digits
   */
  public static String fileName(int shard) {
    return String.format("keys-%05d.kiln", shard);
  }

  private final String name;
  private final ByteBuffer buf;
  private final long count;
  private final int dataAt;
  private final long dataLength;
  private final int offsetsAt;

  private KeysFile(String name, ByteBuffer buf) throws CorruptIndexException {
    this.name = name;
    this.buf = buf;
    long contentEnd = buf.limit() - FileFormat.FOOTER_BYTES;
    if (contentEnd < HEADER_BYTES) {
      throw new CorruptIndexException(name, "header truncated");
    }
    count = buf.getLong(16);
    long data = buf.getLong(24);
    dataLength = buf.getLong(32);
    long offsets = buf.getLong(40);
    FileFormat.checkSection(name, "key data", data, dataLength, contentEnd);
    if (count < 0 || count >= contentEnd / 8) {
      throw new CorruptIndexException(name, "bad key count " + count);
    }
    FileFormat.checkSection(name, "key offsets", offsets, 8 * (count + 1), contentEnd);
    dataAt = (int) data;
    offsetsAt = (int) offsets;
  }

  /**
   * Opens a keys file over a buffer holding the whole file. Checks the header and that the
   * sections lie within the file; each key's offsets are checked when it is read.
   *
   * @param file the whole file, normally a read-only mapping; keys are read from it
   * @param name the file's name, for messages
   * @return the opened file
   * @throws CorruptIndexException naming the file when a check fails
   */
  public static KeysFile open(ByteBuffer file, String name) throws CorruptIndexException {
    return new KeysFile(name, FileFormat.openChecked(file, FileFormat.KIND_KEYS, name));
  }

  /**
   * Number of keys: the shard's item count.
   *
   * @return the count
   */
  public long count() {
    return count;
  }

  /**
   * The key of the item with this ordinal.
   *
   * @param ordinal the item's ordinal in the shard, {@code 0 <= ordinal < count()}
   * @return the key, decoded from UTF-8
   * @throws IndexOutOfBoundsException when {@code ordinal} is out of range
   * @throws IllegalStateException when the key's offsets are damaged
   */
  public String key(long ordinal) {
    if (ordinal < 0 || ordinal >= count) {
      throw new IndexOutOfBoundsException(name + ": no key " + ordinal + " of " + count);
    }
    long from = buf.getLong(offsetsAt + 8 * (int) ordinal);
    long to = buf.getLong(offsetsAt + 8 * (int) ordinal + 8);
    if (from < 0 || to < from || to > dataLength) {
      throw new IllegalStateException(name + ": damaged offsets for key " + ordinal);
    }
    byte[] bytes = new byte[(int) (to - from)];
    buf.get(dataAt + (int) from, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /** Streams a keys file; count and total UTF-8 length must be known up front. */
  public static final class Writer {
    private final FormatOutput out;
    private final long count;
    private final long dataLength;
    private final long[] offsets;
    private int n;
    private long written;

    /**
     * Writes the header; the keys follow, one {@link #add} each.
     *
     * @param out where to write, at its start
     * @param shard the shard number
     * @param count keys to come: the shard's item count, below 2^31 - 1
     * @param dataLength the UTF-8 bytes of all those keys together
     * @throws IOException when writing fails
     */
    public Writer(FormatOutput out, int shard, long count, long dataLength) throws IOException {
      this.out = out;
      this.count = count;
      this.dataLength = dataLength;
      this.offsets = new long[Math.toIntExact(count + 1)];
      out.writeHeaderStart(FileFormat.KIND_KEYS);
      out.writeInt(shard);
      out.writeLong(count);
      out.writeLong(HEADER_BYTES);
      out.writeLong(dataLength);
      out.writeLong(FileFormat.align(HEADER_BYTES + dataLength));
      out.writeLong(0);
      out.writeLong(0);
    }

    /**
     * Writes the next key, in ordinal order.
     *
     * @param key the key, possibly empty
     * @throws IllegalStateException when it makes more keys or key bytes than announced
     * @throws IOException when writing fails
     */
    public void add(String key) throws IOException {
      byte[] b = key.getBytes(StandardCharsets.UTF_8);
      if (n >= count || written + b.length > dataLength) {
        throw new IllegalStateException("more keys or key bytes than announced");
      }
      out.writeBytes(b);
      written += b.length;
      offsets[++n] = written;
    }

    /**
     * Writes the offsets and the footer; does not close the stream.
     *
     * @return the CRC32C written in the footer
     * @throws IllegalStateException when fewer keys or bytes came than announced
     * @throws IOException when writing fails
     */
    public int finish() throws IOException {
      if (n != count || written != dataLength) {
        throw new IllegalStateException(
            "announced " + count + " keys / " + dataLength + " bytes, got " + n + " / " + written);
      }
      out.align();
      for (long o : offsets) {
        out.writeLong(o);
      }
      out.finish();
      return out.checksum();
    }
  }
}
