package dev.kiln.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;

/**
 * What every Kiln binary file shares: the leading magic and kind, the version, section
 * alignment and the checksum footer. See {@code FORMAT.md} for the layout of each kind.
 *
 * <pre>
 * offset  size  field
 * 0       4     magic "KILN"
 * 4       4     kind: "MODL", "SHRD", "KEYS", "RFIN" or "GRPH"
 * 8       4     format version (u32)
 * ...           kind-specific header, then 64-byte aligned sections
 * len-16  4     footer magic "KEND"
 * len-12  8     content length: bytes before the footer (u64)
 * len-4   4     CRC32C of every byte before this field
 * </pre>
 */
public final class FileFormat {
  /** The first format version; this code still reads it (see FORMAT.md, "History"). */
  public static final int VERSION_1 = 1;

  /** Version 2 adds the per-item L2 terms to shard files; other kinds are unchanged. */
  public static final int VERSION_2 = 2;

  /**
   * Version 3 adds the HNSW graph over the centroids to model files (their header grows to 128
   * bytes); other kinds are unchanged.
   */
  public static final int VERSION_3 = 3;

  /** The format version this code writes; it reads every version from {@link #VERSION_1}. */
  public static final int CURRENT_VERSION = VERSION_3;

  /**
   * Whether this code reads files and manifests of {@code version}.
   *
   * @param version a format version, as a header or manifest records it
   * @return true for {@link #VERSION_1} to {@link #CURRENT_VERSION}
   */
  public static boolean readable(int version) {
    return version >= VERSION_1 && version <= CURRENT_VERSION;
  }

  /** The first 4 bytes of every Kiln file: {@code KILN} in ASCII. Shared: do not modify. */
  public static final byte[] MAGIC = ascii("KILN");
  /** The first 4 bytes of every footer: {@code KEND} in ASCII. Shared: do not modify. */
  public static final byte[] FOOTER_MAGIC = ascii("KEND");
  /** Bytes of the footer: its magic (4), the content length (8) and the CRC32C (4). */
  public static final int FOOTER_BYTES = 16;

  /** Sections start at multiples of this, so the loader can read them in place. */
  public static final int ALIGNMENT = 64;

  /** The kind of {@code model.kiln} ({@link ModelFile}). */
  public static final String KIND_MODEL = "MODL";
  /** The kind of {@code shard-NNNNN.kiln} ({@link ShardFile}). */
  public static final String KIND_SHARD = "SHRD";
  /** The kind of {@code keys-NNNNN.kiln} ({@link KeysFile}). */
  public static final String KIND_KEYS = "KEYS";
  /** The kind of {@code refine-NNNNN.kiln} ({@link RefineFile}). */
  public static final String KIND_REFINE = "RFIN";
  /** Graph files ({@code HNSW{M}}) exist from format version 3 on. */
  public static final String KIND_GRAPH = "GRPH";

  private FileFormat() {}

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Rounds {@code offset} up to the next section boundary.
   *
   * @param offset a byte offset, at least 0
   * @return the smallest multiple of {@link #ALIGNMENT} that is at least {@code offset}
   */
  public static long align(long offset) {
    return (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  }

  /**
   * Checks magic, kind, version and the footer's magic and length: cheap checks that catch a
   * wrong, truncated or future file without reading the body. Returns the buffer in
   * little-endian order, positioned after the version field.
   */
  static ByteBuffer openChecked(ByteBuffer file, String kind, String name)
      throws CorruptIndexException {
    ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long len = b.limit();
    if (len < 12 + FOOTER_BYTES) {
      throw new CorruptIndexException(name, "file too short (" + len + " bytes) to be a Kiln file");
    }
    for (int i = 0; i < 4; i++) {
      if (b.get(i) != MAGIC[i]) {
        throw new CorruptIndexException(name, "not a Kiln file (wrong magic)");
      }
    }
    byte[] k = new byte[4];
    b.get(4, k);
    String actualKind = new String(k, StandardCharsets.US_ASCII);
    if (!actualKind.equals(kind)) {
      throw new CorruptIndexException(
          name, "expected a " + kind + " file but found kind '" + actualKind + "'");
    }
    int version = b.getInt(8);
    if (!readable(version)) {
      throw new CorruptIndexException(name, unsupportedVersion(version));
    }
    int footer = (int) (len - FOOTER_BYTES);
    for (int i = 0; i < 4; i++) {
      if (b.get(footer + i) != FOOTER_MAGIC[i]) {
        throw new CorruptIndexException(name, "footer missing: the file is truncated or damaged");
      }
    }
    long content = b.getLong(footer + 4);
    if (content != footer) {
      throw new CorruptIndexException(
          name, "footer says " + content + " content bytes but the file has " + footer);
    }
    b.position(12);
    return b;
  }

  /** The problem with a file or manifest of another format version, for its message. */
  static String unsupportedVersion(int version) {
    return "format version " + version + " is not supported by this reader (it reads versions "
        + VERSION_1 + " to " + CURRENT_VERSION
        + (version > CURRENT_VERSION ? "; upgrade the loader)" : ")");
  }

  /**
   * Recomputes the CRC32C over the whole file and compares it with the footer. Reads every byte.
   *
   * @param file the whole file, from index 0 to its limit (position ignored)
   * @param name the file's name, for the message
   * @throws CorruptIndexException when the checksums differ or the file is shorter than 4 bytes
   */
  public static void verifyChecksum(ByteBuffer file, String name) throws CorruptIndexException {
    ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    int crcAt = b.limit() - 4;
    if (crcAt < 0) {
      throw new CorruptIndexException(name, "file too short to hold a checksum");
    }
    CRC32C crc = new CRC32C();
    ByteBuffer body = b.duplicate();
    body.position(0).limit(crcAt);
    crc.update(body);
    int expected = b.getInt(crcAt);
    if ((int) crc.getValue() != expected) {
      throw new CorruptIndexException(
          name,
          String.format(
              "checksum mismatch (footer %08x, content %08x): the file is damaged",
              expected, (int) crc.getValue()));
    }
  }

  /**
   * The CRC32C stored in a file's footer (no verification).
   *
   * @param file the whole file, from index 0 to its limit
   * @return the int in its last 4 bytes, little-endian
   */
  public static int storedChecksum(ByteBuffer file) {
    ByteBuffer b = file.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    return b.getInt(b.limit() - 4);
  }

  /** Bounds-checks a section so a bogus header fails with a message, never an IOOBE later. */
  static void checkSection(String name, String what, long offset, long bytes, long contentEnd)
      throws CorruptIndexException {
    if (offset < 0 || bytes < 0 || offset > contentEnd || bytes > contentEnd - offset) {
      throw new CorruptIndexException(
          name,
          what + " section [" + offset + ", +" + bytes + ") lies outside the file's "
              + contentEnd + " content bytes");
    }
  }
}
