package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.function.Executable;

/** Helpers shared by the format tests: writing to memory, mapping, patching and assertions. */
final class TestFiles {
  private TestFiles() {}

  /** Writes one file's content through a {@link FormatOutput}. */
  interface Body {
    void write(FormatOutput out) throws IOException;
  }

  /** Opens a buffer as one kind of Kiln file (the readers' common shape). */
  interface Opener {
    Object open(ByteBuffer file, String name) throws CorruptIndexException;
  }

  static final Opener MODEL = ModelFile::read;
  static final Opener SHARD = ShardFile::open;
  static final Opener KEYS = KeysFile::open;
  static final Opener REFINE = RefineFile::open;

  static byte[] write(Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (FormatOutput out = new FormatOutput(bytes)) {
      body.write(out);
    }
    return bytes.toByteArray();
  }

  /** Where a reader finds the file: a heap buffer, or a real file mapped like the loader does. */
  enum Storage {
    HEAP,
    MAPPED;

    ByteBuffer load(byte[] bytes, Path dir, String name) throws IOException {
      if (this == HEAP) {
        return ByteBuffer.wrap(bytes);
      }
      Path file = dir.resolve(name);
      Files.write(file, bytes);
      return map(file);
    }
  }

  static ByteBuffer map(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
    }
  }

  static ByteBuffer le(byte[] bytes) {
    return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  static int getInt(byte[] b, int at) {
    return le(b).getInt(at);
  }

  static long getLong(byte[] b, int at) {
    return le(b).getLong(at);
  }

  /** A copy of {@code b} with a little-endian int replaced. */
  static byte[] withInt(byte[] b, int at, int v) {
    byte[] c = b.clone();
    le(c).putInt(at, v);
    return c;
  }

  static byte[] withLong(byte[] b, int at, long v) {
    byte[] c = b.clone();
    le(c).putLong(at, v);
    return c;
  }

  /** A copy of a whole file with its footer's CRC32C recomputed, as if written that way. */
  static byte[] withFooter(byte[] b) {
    byte[] c = b.clone();
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(c, 0, c.length - 4);
    le(c).putInt(c.length - 4, (int) crc.getValue());
    return c;
  }

  static byte[] ascii(String s) {
    return FileFormat.ascii(s);
  }

  static String asciiAt(byte[] b, int at, int len) {
    return new String(b, at, len, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /**
   * Asserts that {@code open} fails with a {@link CorruptIndexException} naming the file and
   * containing every fragment (case-sensitive), and returns it.
   */
  static CorruptIndexException assertCorrupt(String name, Executable open, String... fragments) {
    CorruptIndexException e = assertThrows(CorruptIndexException.class, open);
    assertTrue(e.getMessage().startsWith(name + ": "), () -> "names the file: " + e.getMessage());
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), () -> "'" + f + "' in: " + e.getMessage());
    }
    return e;
  }

  /** Exact comparison, bit for bit, so -0.0 and NaN payloads count too. */
  static void assertBitsEqual(float[] expected, float[] actual) {
    assertEquals(expected.length, actual.length, "length");
    for (int i = 0; i < expected.length; i++) {
      int e = Float.floatToRawIntBits(expected[i]);
      int a = Float.floatToRawIntBits(actual[i]);
      if (e != a) {
        assertEquals(expected[i], actual[i], "float " + i);
        assertEquals(e, a, "bits of float " + i);
      }
    }
  }

  /** Random floats seasoned with values a lossy copy would change (-0.0, NaN, infinities). */
  static float[] floats(Random r, int n) {
    float[] v = new float[n];
    float[] special = {-0.0f, Float.NaN, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MAX_VALUE};
    for (int i = 0; i < n; i++) {
      v[i] = i < special.length ? special[i] : (float) r.nextGaussian();
    }
    return v;
  }

  static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }
}
