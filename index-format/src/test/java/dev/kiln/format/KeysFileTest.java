package dev.kiln.format;

import static dev.kiln.format.TestFiles.asciiAt;
import static dev.kiln.format.TestFiles.getInt;
import static dev.kiln.format.TestFiles.getLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.TestFiles.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeysFileTest {
  @TempDir Path dir;

  static byte[] write(int shard, List<String> keys, int[] crcOut) throws IOException {
    long bytes = keys.stream().mapToLong(k -> k.getBytes(StandardCharsets.UTF_8).length).sum();
    return TestFiles.write(out -> {
      KeysFile.Writer w = new KeysFile.Writer(out, shard, keys.size(), bytes);
      for (String k : keys) {
        w.add(k);
      }
      crcOut[0] = w.finish();
    });
  }

  static final List<String> MIXED = List.of(
      "", "plain", "", "é", "日本語", "🔥 emoji (a surrogate pair)", "ключ", "\u0000nul", "z");

  static List<Arguments> keySets() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      many.add("key-" + i + "-" + "x".repeat(i % 7));
    }
    List<Arguments> args = new ArrayList<>();
    for (Storage storage : Storage.values()) {
      args.add(Arguments.of(storage, MIXED));
      args.add(Arguments.of(storage, List.of()));
      args.add(Arguments.of(storage, List.of("")));
      args.add(Arguments.of(storage, many));
    }
    return args;
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("keySets")
  void roundTrip(Storage storage, List<String> keys) throws IOException {
    int[] crc = new int[1];
    ByteBuffer buf = storage.load(write(4, keys, crc), dir, KeysFile.fileName(4));
    KeysFile f = KeysFile.open(buf, "v/keys-00004.kiln");

    assertEquals(keys.size(), f.count());
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(keys.get(i), f.key(i), "key " + i);
    }
    assertThrows(IndexOutOfBoundsException.class, () -> f.key(-1));
    assertThrows(IndexOutOfBoundsException.class, () -> f.key(keys.size()));
    assertEquals(crc[0], FileFormat.storedChecksum(buf));
    FileFormat.verifyChecksum(buf, "v/keys-00004.kiln");
  }

  /** Pins the byte layout FORMAT.md documents, reading raw bytes rather than through the reader. */
  @Test
  void layoutMatchesTheSpec() throws IOException {
    List<String> keys = List.of("ab", "", "é");   // UTF-8: 2 + 0 + 2 bytes
    int[] crc = new int[1];
    byte[] b = write(9, keys, crc);

    assertEquals("KILN", asciiAt(b, 0, 4));
    assertEquals("KEYS", asciiAt(b, 4, 4));
    assertEquals(3, getInt(b, 8), "version");
    assertEquals(9, getInt(b, 12), "shard");
    assertEquals(3, getLong(b, 16), "count");
    assertEquals(64, getLong(b, 24), "dataOffset");
    assertEquals(4, getLong(b, 32), "dataLength");
    assertEquals(128, getLong(b, 40), "offsetsOffset");
    assertEquals(0, getLong(b, 48), "reserved");
    assertEquals(0, getLong(b, 56), "reserved");
    assertEquals("ab", asciiAt(b, 64, 2));
    assertEquals(0xC3, b[66] & 0xff);
    assertEquals(0xA9, b[67] & 0xff);
    ModelFileTest.assertZeros(b, 68, 128);
    // count + 1 offsets; an empty key repeats the previous offset.
    long[] offsets = new long[4];
    for (int i = 0; i < 4; i++) {
      offsets[i] = getLong(b, 128 + 8 * i);
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(new long[] {0, 2, 2, 4}, offsets);
    // The footer follows the offsets directly.
    ModelFileTest.assertFooter(b, 160, crc[0]);
  }

  @Test
  void fileNames() {
    assertEquals("keys-00000.kiln", KeysFile.fileName(0));
    assertEquals("keys-00042.kiln", KeysFile.fileName(42));
  }

  private static KeysFile.Writer writer(long count, long bytes) throws IOException {
    return new KeysFile.Writer(new FormatOutput(new ByteArrayOutputStream()), 0, count, bytes);
  }

  private static void assertMisuse(Executable e) {
    IllegalStateException ex = assertThrows(IllegalStateException.class, e);
    assertTrue(ex.getMessage().contains("announced"), ex.getMessage());
  }

  @Test
  void writerRejectsMoreKeysThanAnnounced() throws IOException {
    KeysFile.Writer w = writer(1, 10);
    w.add("a");
    assertMisuse(() -> w.add("b"));
  }

  @Test
  void writerRejectsMoreBytesThanAnnounced() throws IOException {
    KeysFile.Writer w = writer(2, 3);
    w.add("ab");
    assertMisuse(() -> w.add("é")); // 2 UTF-8 bytes, not 1 char
  }

  @Test
  void writerRejectsFewerKeysOrBytesThanAnnounced() throws IOException {
    KeysFile.Writer fewerKeys = writer(2, 1);
    fewerKeys.add("a");
    assertMisuse(fewerKeys::finish);
    KeysFile.Writer fewerBytes = writer(1, 5);
    fewerBytes.add("abc");
    assertMisuse(fewerBytes::finish);
  }
}
