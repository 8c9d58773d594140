package dev.kiln.format;

import static dev.kiln.format.TestFiles.assertCorrupt;
import static dev.kiln.format.TestFiles.withInt;
import static dev.kiln.format.TestFiles.withLong;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damaged files must fail with a {@link CorruptIndexException} naming the file and the problem,
 * never with an unchecked exception or a huge allocation. The samples are the fixture files,
 * generated afresh (their layout is described in FixtureGenerator).
 */
class CorruptionTest {

  /** One well-formed file of each kind and shape. */
  record Sample(String label, String name, byte[] bytes, TestFiles.Opener opener) {
    @Override
    public String toString() {
      return label;
    }

    void open(byte[] b) throws CorruptIndexException {
      opener.open(ByteBuffer.wrap(b), name);
    }

    /** What the loader does with verifyChecksums: open, then recompute the CRC. */
    void openAndVerify(byte[] b) throws CorruptIndexException {
      open(b);
      FileFormat.verifyChecksum(ByteBuffer.wrap(b), name);
    }
  }

  static List<Sample> samples() throws IOException {
    Map<String, byte[]> longIds = FixtureGenerator.generate(FixtureGenerator.LONG_IDS);
    Map<String, byte[]> stringIds = FixtureGenerator.generate(FixtureGenerator.STRING_IDS);
    Map<String, byte[]> refineFlat = FixtureGenerator.generate(FixtureGenerator.REFINE_FLAT);
    Map<String, byte[]> refineSq8 = FixtureGenerator.generate(FixtureGenerator.REFINE_SQ8);
    return List.of(
        new Sample("PQ model with L2 table", "v/model.kiln", longIds.get("model.kiln"), TestFiles.MODEL),
        new Sample("Flat model", "v/model.kiln", stringIds.get("model.kiln"), TestFiles.MODEL),
        new Sample("shard, int64 ids", "v/shard-00000.kiln", longIds.get("shard-00000.kiln"), TestFiles.SHARD),
        new Sample("shard, string ids", "v/shard-00000.kiln", stringIds.get("shard-00000.kiln"), TestFiles.SHARD),
        new Sample("keys", "v/keys-00000.kiln", stringIds.get("keys-00000.kiln"), TestFiles.KEYS),
        new Sample("refine, float32", "v/refine-00000.kiln", refineFlat.get("refine-00000.kiln"),
            TestFiles.REFINE),
        new Sample("refine, SQ8", "v/refine-00000.kiln", refineSq8.get("refine-00000.kiln"),
            TestFiles.REFINE));
  }

  static Sample sample(String label) throws IOException {
    return samples().stream().filter(s -> s.label().equals(label)).findFirst().orElseThrow();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void goodFileOpensAndVerifies(Sample s) throws IOException {
    s.openAndVerify(s.bytes());
  }

  /**
   * Every single-byte change is caught by open or, failing that, by the checksum. The files are a
   * few KB, so every position is tried rather than a sample: header, directory, body, footer.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void everySingleByteFlipIsCaught(Sample s) {
    for (int mask : new int[] {0x01, 0x80, 0xff}) {
      for (int i = 0; i < s.bytes().length; i++) {
        byte[] bad = s.bytes().clone();
        bad[i] ^= (byte) mask;
        try {
          assertCorrupt(s.name(), () -> s.openAndVerify(bad));
        } catch (AssertionError e) {
          throw new AssertionError(String.format("byte %d ^ 0x%02x of %s", i, mask, s), e);
        }
      }
    }
  }

  /** Magic, kind, version and footer are checked at open, without reading the body. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void cheapChecksCatchHeaderAndFooterDamageWithoutTheChecksum(Sample s) {
    int len = s.bytes().length;
    List<Integer> positions = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      positions.add(i);
    }
    for (int i = len - 16; i < len - 4; i++) {
      positions.add(i);
    }
    for (int i : positions) {
      byte[] bad = s.bytes().clone();
      bad[i] ^= 0x01;
      if (i == 8 && FileFormat.readable(TestFiles.getInt(bad, 8))) {
        continue; // version 3 flipped to 2 names another readable version: the CRC catches that
      }
      assertCorrupt(s.name(), () -> s.open(bad));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void checksumMismatchIsReported(Sample s) {
    byte[] bad = s.bytes().clone();
    bad[bad.length / 2] ^= 0x10;
    assertCorrupt(s.name(), () -> FileFormat.verifyChecksum(ByteBuffer.wrap(bad), s.name()),
        "checksum mismatch");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void truncation(Sample s) {
    byte[] b = s.bytes();
    assertCorrupt(s.name(), () -> s.open(Arrays.copyOf(b, b.length - 1)), "footer", "truncated");
    assertCorrupt(s.name(), () -> s.open(Arrays.copyOf(b, b.length / 2)), "footer", "truncated");
    assertCorrupt(s.name(), () -> s.open(Arrays.copyOf(b, 20)), "too short");
    assertCorrupt(s.name(), () -> s.open(new byte[0]), "too short");
    assertCorrupt(s.name(),
        () -> FileFormat.verifyChecksum(ByteBuffer.wrap(new byte[3]), s.name()), "too short");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void trailingGarbage(Sample s) {
    byte[] b = Arrays.copyOf(s.bytes(), s.bytes().length + 1);
    assertCorrupt(s.name(), () -> s.open(b), "footer");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void footerLengthDisagreesWithFile(Sample s) {
    byte[] b = s.bytes();
    byte[] bad = withLong(b, b.length - 12, b.length - 16 - 64);
    assertCorrupt(s.name(), () -> s.open(bad), "footer says");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void wrongMagic(Sample s) {
    byte[] bad = s.bytes().clone();
    bad[0] = 'X';
    assertCorrupt(s.name(), () -> s.open(bad), "wrong magic");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("samples")
  void futureVersion(Sample s) {
    int next = FileFormat.CURRENT_VERSION + 1;
    assertCorrupt(s.name(), () -> s.open(withInt(s.bytes(), 8, next)), "version " + next,
        "upgrade");
    assertCorrupt(s.name(), () -> s.open(withInt(s.bytes(), 8, 0)), "version 0");
  }

  @Test
  void wrongKind() throws IOException {
    byte[] model = sample("PQ model with L2 table").bytes();
    byte[] shard = sample("shard, int64 ids").bytes();
    byte[] keys = sample("keys").bytes();
    assertCorrupt("m", () -> ShardFile.open(ByteBuffer.wrap(model), "m"), "SHRD", "'MODL'");
    assertCorrupt("m", () -> KeysFile.open(ByteBuffer.wrap(model), "m"), "KEYS", "'MODL'");
    assertCorrupt("s", () -> ModelFile.read(ByteBuffer.wrap(shard), "s"), "MODL", "'SHRD'");
    assertCorrupt("s", () -> KeysFile.open(ByteBuffer.wrap(shard), "s"), "KEYS", "'SHRD'");
    assertCorrupt("k", () -> ShardFile.open(ByteBuffer.wrap(keys), "k"), "SHRD", "'KEYS'");
    byte[] refine = sample("refine, SQ8").bytes();
    assertCorrupt("k", () -> RefineFile.open(ByteBuffer.wrap(keys), "k"), "RFIN", "'KEYS'");
    assertCorrupt("m", () -> RefineFile.open(ByteBuffer.wrap(model), "m"), "RFIN", "'MODL'");
    assertCorrupt("r", () -> ShardFile.open(ByteBuffer.wrap(refine), "r"), "SHRD", "'RFIN'");
    assertCorrupt("r", () -> KeysFile.open(ByteBuffer.wrap(refine), "r"), "KEYS", "'RFIN'");
    assertCorrupt("r", () -> ModelFile.read(ByteBuffer.wrap(refine), "r"), "MODL", "'RFIN'");
  }

  // --- bogus header and directory values: each patched alone, checksum left stale ---

  /** Offsets of the long-ids shard's header and directory (see FixtureGenerator). */
  static final int SHARD_DIR = 64;

  static int dirField(int list, int field) {
    return SHARD_DIR + 24 * list + 8 * field;
  }

  static List<Arguments> bogusValues() {
    return List.of(
        // label, sample, offset, long?, value, message fragment
        Arguments.of("huge list size", "shard, int64 ids", dirField(1, 2), true, 1L << 40, "list 1 claims"),
        Arguments.of("max list size", "shard, int64 ids", dirField(2, 2), true, Long.MAX_VALUE, "list 2 claims"),
        Arguments.of("huge list size, string ids", "shard, string ids", dirField(0, 2), true, Long.MAX_VALUE / 3, "list 0 claims"),
        Arguments.of("negative list size", "shard, int64 ids", dirField(1, 2), true, -1L, "inconsistent"),
        Arguments.of("list size + 1", "shard, int64 ids", dirField(1, 2), true, 10L, "list"),
        Arguments.of("size of an empty list", "shard, int64 ids", dirField(3, 2), true, 5L, "list 3 section"),
        Arguments.of("first ordinal", "shard, int64 ids", dirField(2, 1), true, 8L, "inconsistent"),
        Arguments.of("block beyond the end", "shard, int64 ids", dirField(1, 0), true, 1L << 33, "list 1 section"),
        Arguments.of("negative block offset", "shard, int64 ids", dirField(2, 0), true, -64L, "list 2 section"),
        Arguments.of("huge nlist", "shard, int64 ids", 20, false, 1 << 30, "directory section"),
        Arguments.of("zero nlist", "shard, int64 ids", 20, false, 0, "nlist=0"),
        Arguments.of("negative code size", "shard, int64 ids", 28, false, -2, "codeSize=-2"),
        Arguments.of("huge code size", "shard, int64 ids", 28, false, Integer.MAX_VALUE, "claims"),
        Arguments.of("directory beyond the end", "shard, int64 ids", 48, true, 1L << 40, "directory section"),
        Arguments.of("count", "shard, int64 ids", 40, true, 21L, "header says 21 items but the lists hold 20"),
        Arguments.of("id type", "shard, int64 ids", 32, false, 7, "unknown id type code 7"),
        Arguments.of("code layout", "shard, int64 ids", 60, false, 2, "bad header: codeLayout=2"),
        Arguments.of("shard number", "shard, int64 ids", 12, false, 1, "bad shard number 1 of 1"),
        Arguments.of("shard count", "shard, int64 ids", 16, false, 0, "bad shard number"),
        Arguments.of("model metric", "PQ model with L2 table", 12, false, 3, "unknown metric code 3"),
        Arguments.of("model encoding", "PQ model with L2 table", 24, false, 3, "unknown encoding code 3"),
        Arguments.of("model pqBits", "PQ model with L2 table", 32, false, 6, "PQ codes have 8 bits"),
        Arguments.of("model pqM", "PQ model with L2 table", 28, false, 3, "not divisible"),
        Arguments.of("model nlist", "PQ model with L2 table", 20, false, 1 << 28, "centroids section"),
        Arguments.of("model negative dim", "PQ model with L2 table", 16, false, -8, "bad header"),
        Arguments.of("model centroids offset", "PQ model with L2 table", 40, true, 1L << 50, "centroids section"),
        Arguments.of("model codebooks offset", "PQ model with L2 table", 48, true, -1L, "codebooks section"),
        Arguments.of("model table offset", "PQ model with L2 table", 56, true, 64L * 1000, "L2 table section"),
        Arguments.of("Flat model with PQ params", "Flat model", 28, false, 2, "no PQ parameters"),
        Arguments.of("keys count", "keys", 16, true, 1L << 40, "bad key count"),
        Arguments.of("negative keys count", "keys", 16, true, -1L, "bad key count"),
        Arguments.of("keys count + 1", "keys", 16, true, 21L, "key offsets section"),
        Arguments.of("key data length", "keys", 32, true, 1L << 40, "key data section"),
        Arguments.of("key data offset", "keys", 24, true, -5L, "key data section"),
        Arguments.of("key offsets offset", "keys", 40, true, 1L << 40, "key offsets section"),
        Arguments.of("refine encoding", "refine, float32", 20, false, 7, "unknown refine encoding code 7"),
        Arguments.of("refine bytesPerVector", "refine, SQ8", 24, false, 32, "bytesPerVector is 32"),
        Arguments.of("refine count", "refine, float32", 32, true, 1L << 40, "bad vector count"),
        Arguments.of("refine count + 1", "refine, float32", 32, true, 21L, "vectors section"),
        Arguments.of("refine vectors offset", "refine, SQ8", 48, true, -64L, "vectors section"),
        Arguments.of("refine SQ8 params offset", "refine, SQ8", 40, true, 1L << 33, "SQ8 parameters section"),
        Arguments.of("refine negative dim", "refine, SQ8", 16, false, -8, "bad header"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bogusValues")
  void bogusHeaderValueFailsAtOpen(String label, String sampleLabel, int offset, boolean isLong,
      long value, String fragment) throws IOException {
    Sample s = sample(sampleLabel);
    byte[] bad = isLong ? withLong(s.bytes(), offset, value) : withInt(s.bytes(), offset, (int) value);
    assertCorrupt(s.name(), () -> s.open(bad), fragment);
  }

  /**
   * A dimension large enough that 256 x d overflows an int must not read a zero-length codebook:
   * nlist 1, d 2^24, M 1, with all 64 MiB of centroids present.
   */
  @Test
  void codebookSizeOverflowIsCaught() throws IOException {
    int dim = 1 << 24;
    long centroidBytes = 4L * dim;
    byte[] b = new byte[(int) (64 + centroidBytes + 16)];
    ByteBuffer h = TestFiles.le(b);
    h.put(0, TestFiles.ascii("KILN")).put(4, TestFiles.ascii("MODL")).putInt(8, 1);
    h.putInt(12, 0).putInt(16, dim).putInt(20, 1).putInt(24, 1).putInt(28, 1).putInt(32, 8);
    h.putInt(36, 0).putLong(40, 64).putLong(48, 64).putLong(56, 0);
    int footer = b.length - 16;
    h.put(footer, TestFiles.ascii("KEND")).putLong(footer + 4, footer);
    assertCorrupt("big", () -> ModelFile.read(ByteBuffer.wrap(b), "big"), "codebooks section");
  }
}
