package dev.kiln.format;

import static dev.kiln.format.TestFiles.asciiAt;
import static dev.kiln.format.TestFiles.getInt;
import static dev.kiln.format.TestFiles.getLong;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.TestFiles.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ShardFileTest {
  @TempDir Path dir;

  static final int MODEL_CRC = 0xCAFEF00D;

  /** One shard's content: per list, codes and (for int64 ids) ascending ids. */
  record Shard(int shard, int shardCount, int dim, int codeSize, IdType idType, long[] sizes,
      byte[][][] codes, long[][] ids) {

    static Shard of(IdType idType, int codeSize, long[] sizes, long seed) {
      Random r = new Random(seed);
      byte[][][] codes = new byte[sizes.length][][];
      long[][] ids = new long[sizes.length][];
      for (int l = 0; l < sizes.length; l++) {
        int n = (int) sizes[l];
        codes[l] = new byte[n][];
        for (int i = 0; i < n; i++) {
          codes[l][i] = TestFiles.bytes(r, codeSize);
        }
        // Distinct, sorted, and spanning negative values: ids ascend as signed int64.
        TreeSet<Long> set = new TreeSet<>();
        while (set.size() < n) {
          set.add(r.nextLong());
        }
        ids[l] = set.stream().mapToLong(Long::longValue).toArray();
      }
      return new Shard(2, 3, 7, codeSize, idType, sizes, codes, ids);
    }

    long count() {
      return Arrays.stream(sizes).sum();
    }

    byte[] write(int[] crcOut) throws IOException {
      return TestFiles.write(out -> {
        ShardFileWriter w = new ShardFileWriter(
            out, shard, shardCount, dim, codeSize, false, idType, MODEL_CRC, sizes);
        for (int l = 0; l < sizes.length; l++) {
          for (int i = 0; i < sizes[l]; i++) {
            if (idType == IdType.LONG) {
              w.add(l, ids[l][i], codes[l][i]);
            } else {
              w.add(l, codes[l][i]);
            }
          }
        }
        crcOut[0] = w.finish();
      });
    }
  }

  static final long[][] SIZE_PATTERNS = {
    {3, 0, 5, 2},   // an empty list in the middle
    {0, 4, 1},      // the first list empty
    {2, 3, 0},      // the last list empty
    {0, 0, 0},      // no items at all
    {0, 0, 6, 0, 0},
    {1},
    {0},
    {70, 0, 1},     // a list spanning several 64-byte blocks
  };

  static List<Arguments> shards() {
    List<Arguments> args = new ArrayList<>();
    for (Storage storage : Storage.values()) {
      for (IdType idType : IdType.values()) {
        for (long[] sizes : SIZE_PATTERNS) {
          // 5-byte codes force padding before the ids; 8-byte codes need none.
          args.add(Arguments.of(storage, idType, 5, sizes));
          args.add(Arguments.of(storage, idType, 8, sizes));
        }
      }
    }
    return args;
  }

  @ParameterizedTest(name = "{0} {1} codeSize={2} sizes={3}")
  @MethodSource("shards")
  void roundTrip(Storage storage, IdType idType, int codeSize, long[] sizes) throws IOException {
    Shard s = Shard.of(idType, codeSize, sizes, Arrays.hashCode(sizes));
    int[] crc = new int[1];
    byte[] bytes = s.write(crc);

    ByteBuffer buf = storage.load(bytes, dir, ShardFile.fileName(2));
    ShardFile f = ShardFile.open(buf, "v/shard-00002.kiln");

    assertEquals("v/shard-00002.kiln", f.name());
    assertEquals(2, f.shard());
    assertEquals(3, f.shardCount());
    assertEquals(sizes.length, f.nlist());
    assertEquals(7, f.dim());
    assertEquals(codeSize, f.codeSize());
    assertEquals(idType, f.idType());
    assertEquals(MODEL_CRC, f.modelChecksum());
    assertEquals(s.count(), f.count());
    long ordinal = 0;
    for (int l = 0; l < sizes.length; l++) {
      assertEquals(sizes[l], f.listSize(l), "size of list " + l);
      assertEquals(ordinal, f.firstOrdinal(l), "first ordinal of list " + l);
      ordinal += sizes[l];
      if (sizes[l] > 0) {
        assertEquals(0, f.codesOffset(l) % 64, "blocks are 64-byte aligned");
      }
      for (int i = 0; i < sizes[l]; i++) {
        byte[] code = new byte[codeSize];
        f.buffer().get(f.codesOffset(l) + i * codeSize, code);
        assertArrayEquals(s.codes()[l][i], code, "code " + i + " of list " + l);
      }
      if (idType == IdType.LONG) {
        assertEquals(0, f.idsOffset(l) % 8, "ids are 8-byte aligned");
        for (int i = 0; i < sizes[l]; i++) {
          assertEquals(s.ids()[l][i], f.id(l, i), "id " + i + " of list " + l);
          assertEquals(s.ids()[l][i], f.idOfOrdinal(f.firstOrdinal(l) + i),
              "id of ordinal " + (f.firstOrdinal(l) + i));
        }
      }
    }
    assertEquals(crc[0], FileFormat.storedChecksum(buf));
    FileFormat.verifyChecksum(buf, f.name());
  }

  /** Pins the byte layout FORMAT.md documents, reading raw bytes rather than through the reader. */
  @Test
  void layoutMatchesTheSpec() throws IOException {
    long[] sizes = {3, 0, 2, 0};
    Shard s = Shard.of(IdType.LONG, 5, sizes, 9);
    int[] crc = new int[1];
    byte[] b = s.write(crc);

    assertEquals("KILN", asciiAt(b, 0, 4));
    assertEquals("SHRD", asciiAt(b, 4, 4));
    assertEquals(3, getInt(b, 8), "version");
    assertEquals(2, getInt(b, 12), "shard");
    assertEquals(3, getInt(b, 16), "shardCount");
    assertEquals(4, getInt(b, 20), "nlist");
    assertEquals(7, getInt(b, 24), "dim");
    assertEquals(5, getInt(b, 28), "codeSize");
    assertEquals(0, getInt(b, 32), "idType long");
    assertEquals(MODEL_CRC, getInt(b, 36));
    assertEquals(5, getLong(b, 40), "count");
    assertEquals(64, getLong(b, 48), "directoryOffset");
    assertEquals(0, getInt(b, 56), "termBytes: none");
    assertEquals(0, getInt(b, 60), "reserved");

    // Directory: 4 x 24 bytes from 64 to 160; the first block starts at 192.
    long[][] dirEntries = new long[4][];
    for (int l = 0; l < 4; l++) {
      int e = 64 + 24 * l;
      dirEntries[l] = new long[] {getLong(b, e), getLong(b, e + 8), getLong(b, e + 16)};
    }
    // List 0: 3 codes of 5 bytes (15), ids at 192 + 16, ending at 232; next block at 256.
    assertArrayEquals(new long[] {192, 0, 3}, dirEntries[0]);
    // An empty list points at where the next block starts.
    assertArrayEquals(new long[] {256, 3, 0}, dirEntries[1]);
    // List 2: 2 codes (10 bytes), ids at 256 + 16, ending at 288; the content ends at 320.
    assertArrayEquals(new long[] {256, 3, 2}, dirEntries[2]);
    assertArrayEquals(new long[] {320, 5, 0}, dirEntries[3]);
    ModelFileTest.assertZeros(b, 160, 192);

    for (int i = 0; i < 3; i++) {
      assertArrayEquals(s.codes()[0][i], Arrays.copyOfRange(b, 192 + 5 * i, 192 + 5 * i + 5));
      assertEquals(s.ids()[0][i], getLong(b, 208 + 8 * i));
    }
    ModelFileTest.assertZeros(b, 207, 208);
    for (int i = 0; i < 2; i++) {
      assertArrayEquals(s.codes()[2][i], Arrays.copyOfRange(b, 256 + 5 * i, 256 + 5 * i + 5));
      assertEquals(s.ids()[2][i], getLong(b, 272 + 8 * i));
    }
    ModelFileTest.assertZeros(b, 288, 320);
    ModelFileTest.assertFooter(b, 320, crc[0]);
  }

  @Test
  void stringIdBlocksHoldCodesOnly() throws IOException {
    Shard s = Shard.of(IdType.STRING, 5, new long[] {3, 2}, 9);
    byte[] b = s.write(new int[1]);
    assertEquals(1, getInt(b, 32), "idType string");
    // Directory 64..112, block 0 at 128 (15 bytes), block 1 at 192 (10 bytes), content ends at 256.
    assertEquals(128, getLong(b, 64));
    assertEquals(192, getLong(b, 88));
    assertEquals(256 + 16, b.length);
  }

  // --- idOfOrdinal: the list is found by binary search over the directory ---

  /** Opens a shard with int64 ids and these list sizes; ids[l][i] as Shard.of draws them. */
  private static ShardFile longShard(Shard s) throws IOException {
    return ShardFile.open(TestFiles.le(s.write(new int[1])), "v/shard-00002.kiln");
  }

  /** Every ordinal, in order, maps to the id the writer got for it. */
  private static void assertIdsByOrdinal(Shard s, ShardFile f) {
    long ordinal = 0;
    for (int l = 0; l < s.sizes().length; l++) {
      for (int i = 0; i < s.sizes()[l]; i++, ordinal++) {
        assertEquals(s.ids()[l][i], f.idOfOrdinal(ordinal), "ordinal " + ordinal);
      }
    }
    assertEquals(f.count(), ordinal);
  }

  @Test
  void idOfOrdinalSkipsEmptyListsBeforeBetweenAndAfter() throws IOException {
    // Lists 0, 1 empty before; 3, 4 between; 6 after; 2 and 5 hold the items.
    Shard s = Shard.of(IdType.LONG, 5, new long[] {0, 0, 3, 0, 0, 2, 0}, 11);
    ShardFile f = longShard(s);
    assertEquals(s.ids()[2][0], f.idOfOrdinal(0), "first ordinal");
    assertEquals(s.ids()[2][2], f.idOfOrdinal(2), "last of list 2");
    assertEquals(s.ids()[5][0], f.idOfOrdinal(3), "first of list 5, after two empty lists");
    assertEquals(s.ids()[5][1], f.idOfOrdinal(4), "last ordinal");
    assertIdsByOrdinal(s, f);
  }

  @Test
  void idOfOrdinalWithSingleItemListsAtBothEnds() throws IOException {
    Shard s = Shard.of(IdType.LONG, 8, new long[] {1, 0, 4, 1}, 12);
    ShardFile f = longShard(s);
    assertEquals(s.ids()[0][0], f.idOfOrdinal(0));
    assertEquals(s.ids()[3][0], f.idOfOrdinal(5));
    assertIdsByOrdinal(s, f);
  }

  /** Enough lists, most of them empty, that the search takes many steps. */
  @Test
  void idOfOrdinalOverManyListsMostlyEmpty() throws IOException {
    Random r = new Random(13);
    long[] sizes = new long[1000];
    for (int l = 0; l < sizes.length; l++) {
      sizes[l] = r.nextInt(10) < 7 ? 0 : 1 + r.nextInt(3);
    }
    sizes[0] = 0;
    sizes[sizes.length - 1] = 0;
    Shard s = Shard.of(IdType.LONG, 2, sizes, 13);
    assertIdsByOrdinal(s, longShard(s));
  }

  @Test
  void idOfOrdinalOutOfRange() throws IOException {
    ShardFile f = longShard(Shard.of(IdType.LONG, 5, new long[] {0, 3, 0, 2, 0}, 14));
    for (long bad : new long[] {-1, 5, 6, Long.MAX_VALUE, Long.MIN_VALUE}) {
      IndexOutOfBoundsException e =
          assertThrows(IndexOutOfBoundsException.class, () -> f.idOfOrdinal(bad));
      assertEquals("v/shard-00002.kiln: no item " + bad + " of 5", e.getMessage());
    }
    ShardFile empty = longShard(Shard.of(IdType.LONG, 5, new long[] {0, 0, 0}, 15));
    IndexOutOfBoundsException e =
        assertThrows(IndexOutOfBoundsException.class, () -> empty.idOfOrdinal(0));
    assertEquals("v/shard-00002.kiln: no item 0 of 0", e.getMessage());
  }

  @Test
  void fileNames() {
    assertEquals("shard-00000.kiln", ShardFile.fileName(0));
    assertEquals("shard-00042.kiln", ShardFile.fileName(42));
    assertEquals("shard-123456.kiln", ShardFile.fileName(123456));
  }

  // --- writer misuse: each is a bug in the caller, reported at once ---

  private static ShardFileWriter writer(IdType idType, long... sizes) throws IOException {
    FormatOutput out = new FormatOutput(new java.io.ByteArrayOutputStream());
    return new ShardFileWriter(out, 0, 1, 2, 2, false, idType, 0, sizes);
  }

  private static final byte[] CODE = {1, 2};

  private static void assertMisuse(String fragment, Executable e) {
    IllegalStateException ex = assertThrows(IllegalStateException.class, e);
    assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
  }

  @Test
  void aShardWithTermsWantsEachItemsTerm() throws IOException {
    FormatOutput out = new FormatOutput(new java.io.ByteArrayOutputStream());
    ShardFileWriter longs = new ShardFileWriter(out, 0, 1, 2, 2, true, IdType.LONG, 0,
        new long[] {1});
    assertMisuse("add each item with its term", () -> longs.add(0, 7L, CODE));
    ShardFileWriter strings = new ShardFileWriter(
        new FormatOutput(new java.io.ByteArrayOutputStream()), 0, 1, 2, 2, true, IdType.STRING, 0,
        new long[] {1});
    assertMisuse("add each item with its term", () -> strings.add(0, CODE));
  }

  @Test
  void itemsOutOfListOrder() throws IOException {
    ShardFileWriter w = writer(IdType.LONG, 1, 0, 1);
    w.add(0, 1, CODE);
    w.add(2, 1, CODE);
    assertMisuse("list order", () -> w.add(1, 1, CODE));
  }

  @Test
  void listBeyondNlist() throws IOException {
    ShardFileWriter w = writer(IdType.STRING, 1, 1);
    assertMisuse("list order", () -> w.add(2, CODE));
  }

  @Test
  void negativeList() throws IOException {
    assertMisuse("list order", () -> writer(IdType.LONG, 1).add(-1, 1, CODE));
    assertMisuse("list order", () -> writer(IdType.STRING, 1).add(-1, CODE));
  }

  @Test
  void fewerItemsThanAnnouncedBeforeTheNextList() throws IOException {
    ShardFileWriter w = writer(IdType.LONG, 2, 1);
    w.add(0, 1, CODE);
    assertMisuse("announced 2 items but got 1", () -> w.add(1, 1, CODE));
  }

  @Test
  void fewerItemsThanAnnouncedInTheLastList() throws IOException {
    ShardFileWriter w = writer(IdType.STRING, 0, 3);
    w.add(1, CODE);
    assertMisuse("announced 3 items but got 1", w::finish);
  }

  @Test
  void skippedListThatAnnouncedItems() throws IOException {
    ShardFileWriter w = writer(IdType.LONG, 0, 1, 1);
    assertMisuse("list 1 announced items but got none", () -> w.add(2, 1, CODE));
  }

  @Test
  void trailingListsThatAnnouncedItems() throws IOException {
    ShardFileWriter w = writer(IdType.STRING, 1, 0, 2);
    w.add(0, CODE);
    assertMisuse("list 2 announced items but got none", w::finish);
    assertMisuse("list 0 announced items but got none", writer(IdType.LONG, 1)::finish);
  }

  @Test
  void moreItemsThanAnnounced() throws IOException {
    ShardFileWriter longs = writer(IdType.LONG, 1, 1);
    longs.add(0, 1, CODE);
    assertMisuse("more items than announced", () -> longs.add(0, 2, CODE));

    ShardFileWriter strings = writer(IdType.STRING, 2);
    strings.add(0, CODE);
    strings.add(0, CODE);
    assertMisuse("more items than announced", () -> strings.add(0, CODE));
  }

  @Test
  void idsNotAscending() throws IOException {
    ShardFileWriter w = writer(IdType.LONG, 3, 1);
    w.add(0, 5, CODE);
    assertMisuse("ids must ascend", () -> w.add(0, 5, CODE));
    assertMisuse("ids must ascend", () -> w.add(0, -7, CODE));
  }

  @Test
  void idsMayRestartInTheNextList() throws IOException {
    ShardFileWriter w = writer(IdType.LONG, 1, 1);
    w.add(0, 5, CODE);
    w.add(1, 4, CODE); // ids ascend within a list only
    w.finish();
  }

  @Test
  void wrongAddForTheIdType() throws IOException {
    assertMisuse("string keys", () -> writer(IdType.STRING, 1).add(0, 1, CODE));
    assertMisuse("int64 ids", () -> writer(IdType.LONG, 1).add(0, CODE));
  }

  @Test
  void wrongCodeSize() throws IOException {
    IllegalArgumentException e = assertThrows(
        IllegalArgumentException.class, () -> writer(IdType.STRING, 1).add(0, new byte[3]));
    assertTrue(e.getMessage().contains("expected 2"), e.getMessage());
  }
}
