package dev.kiln.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * {@code keys-NNNNN.kiln}: the string ids of one shard, indexed by item ordinal. Present only
 * when the build's id column was a string. Layout, version 1:
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind "KEYS"
 * 8       4     version (1)
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

  public static KeysFile open(ByteBuffer file, String name) throws CorruptIndexException {
    return new KeysFile(name, FileFormat.openChecked(file, FileFormat.KIND_KEYS, name));
  }

  public long count() {
    return count;
  }

  /** The key of the item with this ordinal. */
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

    public void add(String key) throws IOException {
      byte[] b = key.getBytes(StandardCharsets.UTF_8);
      if (n >= count || written + b.length > dataLength) {
        throw new IllegalStateException("more keys or key bytes than announced");
      }
      out.writeBytes(b);
      written += b.length;
      offsets[++n] = written;
    }

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
