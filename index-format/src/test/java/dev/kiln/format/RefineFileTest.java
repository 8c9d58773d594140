package dev.kiln.format;

import static dev.kiln.format.TestFiles.asciiAt;
import static dev.kiln.format.TestFiles.assertBitsEqual;
import static dev.kiln.format.TestFiles.getInt;
import static dev.kiln.format.TestFiles.getLong;
import static dev.kiln.format.TestFiles.withInt;
import static dev.kiln.format.TestFiles.withLong;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kiln.format.IndexSpec.Refine;
import dev.kiln.format.TestFiles.Storage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RefineFileTest {
  @TempDir Path dir;

  static final int MODEL_CRC = 0xCAFEF00D;
  static final String NAME = "v/refine-00001.kiln";

  /** One refine file's content: encoded vectors in ordinal order, and SQ8's parameters. */
  record Content(int shard, int dim, Refine encoding, float[] base, float[] step, byte[][] vectors) {

    /** float32: random floats, NaN and -0.0 included (stored bit for bit); SQ8: random bytes. */
    static Content random(Refine encoding, int dim, int count, long seed) {
      Random r = new Random(seed);
      byte[][] vectors = new byte[count][];
      for (int o = 0; o < count; o++) {
        vectors[o] = encoding == Refine.FLAT ? le(TestFiles.floats(r, dim)) : TestFiles.bytes(r, dim);
      }
      if (encoding == Refine.FLAT) {
        return new Content(1, dim, encoding, null, null, vectors);
      }
      float[] base = new float[dim];
      float[] step = new float[dim];
      for (int j = 0; j < dim; j++) {
        base[j] = (float) r.nextGaussian();
        // A constant component has step 0; -0.0 is not negative either.
        step[j] = j == 0 ? 0f : j == 1 ? -0.0f : r.nextFloat() / 64;
      }
      return new Content(1, dim, encoding, base, step, vectors);
    }

    long count() {
      return vectors.length;
    }

    byte[] write(int[] crcOut) throws IOException {
      return TestFiles.write(out -> {
        RefineFile.Writer w = new RefineFile.Writer(
            out, shard, dim, encoding, MODEL_CRC, vectors.length, base, step);
        for (byte[] v : vectors) {
          w.add(v, 0);
        }
        crcOut[0] = w.finish();
      });
    }

    byte[] write() throws IOException {
      return write(new int[1]);
    }
  }

  static byte[] le(float[] v) {
    ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return b.array();
  }

  static List<Arguments> contents() {
    List<Arguments> args = new ArrayList<>();
    for (Storage storage : Storage.values()) {
      for (Refine enc : new Refine[] {Refine.FLAT, Refine.SQ8}) {
        args.add(Arguments.of(storage, enc, 8, 20));
        args.add(Arguments.of(storage, enc, 5, 1));   // odd sizes: padding after the vectors
        args.add(Arguments.of(storage, enc, 7, 37));
        args.add(Arguments.of(storage, enc, 3, 0));   // an empty shard
        args.add(Arguments.of(storage, enc, 128, 0)); // empty, with d larger than the header
        args.add(Arguments.of(storage, enc, 96, 3));
      }
    }
    return args;
  }

  @ParameterizedTest(name = "{0} {1} d={2} count={3}")
  @MethodSource("contents")
  void roundTrip(Storage storage, Refine encoding, int dim, int count) throws IOException {
    Content c = Content.random(encoding, dim, count, 31L * dim + count);
    int[] crc = new int[1];
    ByteBuffer buf = storage.load(c.write(crc), dir, RefineFile.fileName(1));
    RefineFile f = RefineFile.open(buf, NAME);

    assertEquals(NAME, f.name());
    assertEquals(1, f.shard());
    assertEquals(dim, f.dim());
    assertEquals(encoding, f.encoding());
    assertEquals(MODEL_CRC, f.modelChecksum());
    assertEquals(count, f.count());
    int bytes = encoding.bytesPerVector(dim);
    assertEquals(0, f.vectorOffset(0) % 64, "the vectors section is 64-byte aligned");
    for (int o = 0; o < count; o++) {
      assertEquals(f.vectorOffset(0) + (long) o * bytes, f.vectorOffset(o), "offset of " + o);
      byte[] v = new byte[bytes];
      f.buffer().get(f.vectorOffset(o), v);
      assertArrayEquals(c.vectors()[o], v, "vector " + o);
    }
    if (encoding == Refine.SQ8) {
      assertBitsEqual(c.base(), f.sq8Base());
      assertBitsEqual(c.step(), f.sq8Step());
      // Copies: a caller cannot change what the next one reads.
      f.sq8Base()[0] = 99f;
      f.sq8Step()[0] = 99f;
      assertBitsEqual(c.base(), f.sq8Base());
      assertBitsEqual(c.step(), f.sq8Step());
    } else {
      assertNull(f.sq8Base());
      assertNull(f.sq8Step());
    }
    assertEquals(crc[0], FileFormat.storedChecksum(buf));
    FileFormat.verifyChecksum(buf, NAME);
  }

  /** float32 vectors decode back to the same floats, NaN payloads and -0.0 included. */
  @Test
  void flatVectorsAreLittleEndianFloats() throws IOException {
    float[][] vs = {{-0.0f, Float.NaN, 1.5f}, {Float.MIN_VALUE, -Float.MAX_VALUE, 2f}};
    byte[][] encoded = {le(vs[0]), le(vs[1])};
    RefineFile f = RefineFile.open(TestFiles.le(
        new Content(0, 3, Refine.FLAT, null, null, encoded).write()), NAME);
    for (int o = 0; o < 2; o++) {
      float[] v = new float[3];
      f.buffer().duplicate().order(ByteOrder.LITTLE_ENDIAN).position(f.vectorOffset(o))
          .slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      assertBitsEqual(vs[o], v);
    }
  }

  /** Pins the float32 layout FORMAT.md documents, reading raw bytes rather than through the reader. */
  @Test
  void flatLayoutMatchesTheSpec() throws IOException {
    float[][] vs = {{1f, -2f}, {0.5f, 3f}, {-0.25f, 8f}};
    byte[][] encoded = {le(vs[0]), le(vs[1]), le(vs[2])};
    int[] crc = new int[1];
    byte[] b = new Content(3, 2, Refine.FLAT, null, null, encoded).write(crc);

    assertEquals("KILN", asciiAt(b, 0, 4));
    assertEquals("RFIN", asciiAt(b, 4, 4));
    assertEquals(3, getInt(b, 8), "version");
    assertEquals(3, getInt(b, 12), "shard");
    assertEquals(2, getInt(b, 16), "dim");
    assertEquals(0, getInt(b, 20), "encoding float32");
    assertEquals(8, getInt(b, 24), "bytesPerVector = 4 x d");
    assertEquals(MODEL_CRC, getInt(b, 28), "modelChecksum");
    assertEquals(3, getLong(b, 32), "count");
    assertEquals(0, getLong(b, 40), "paramsOffset: none for float32");
    assertEquals(64, getLong(b, 48), "vectorsOffset");
    assertEquals(0, getLong(b, 56), "reserved");
    // Vectors 64..88, in ordinal order; padding to 128, where the footer starts.
    for (int o = 0; o < 3; o++) {
      ModelFileTest.assertFloatsAt(b, 64 + 8 * o, vs[o]);
    }
    ModelFileTest.assertZeros(b, 88, 128);
    ModelFileTest.assertFooter(b, 128, crc[0]);
  }

  /** Pins the SQ8 layout: parameters (d bases, then d steps), then signed bytes. */
  @Test
  void sq8LayoutMatchesTheSpec() throws IOException {
    float[] base = {0.5f, -1f, 2f};
    float[] step = {0.125f, 0f, 1f / 1024};
    byte[][] codes = {{-128, 0, 127}, {-1, 1, 42}};
    int[] crc = new int[1];
    byte[] b = new Content(3, 3, Refine.SQ8, base, step, codes).write(crc);

    assertEquals("RFIN", asciiAt(b, 4, 4));
    assertEquals(3, getInt(b, 12), "shard");
    assertEquals(3, getInt(b, 16), "dim");
    assertEquals(1, getInt(b, 20), "encoding SQ8");
    assertEquals(3, getInt(b, 24), "bytesPerVector = d");
    assertEquals(MODEL_CRC, getInt(b, 28), "modelChecksum");
    assertEquals(2, getLong(b, 32), "count");
    assertEquals(64, getLong(b, 40), "paramsOffset");
    assertEquals(128, getLong(b, 48), "vectorsOffset = align64(64 + 8 x d)");
    assertEquals(0, getLong(b, 56), "reserved");
    // Parameters 64..88: base[0..d) then step[0..d); padding to 128.
    ModelFileTest.assertFloatsAt(b, 64, base);
    ModelFileTest.assertFloatsAt(b, 76, step);
    ModelFileTest.assertZeros(b, 88, 128);
    // Vectors 128..134, one signed byte per component; padding to 192, the footer.
    assertArrayEquals(codes[0], Arrays.copyOfRange(b, 128, 131));
    assertArrayEquals(codes[1], Arrays.copyOfRange(b, 131, 134));
    assertEquals(0x80, b[128] & 0xff, "-128 is stored as two's complement");
    ModelFileTest.assertZeros(b, 134, 192);
    ModelFileTest.assertFooter(b, 192, crc[0]);
  }

  /** An empty shard's file: header, SQ8 parameters if any, footer; no vector bytes. */
  @Test
  void emptyShard() throws IOException {
    byte[] flat = Content.random(Refine.FLAT, 128, 0, 1).write();
    assertEquals(64 + 16, flat.length, "float32: 80 bytes whatever d");
    assertEquals(64, getLong(flat, 48), "vectorsOffset");
    byte[] sq8 = Content.random(Refine.SQ8, 128, 0, 1).write();
    assertEquals(64 + 8 * 128 + 16, sq8.length, "SQ8: the parameters");
    for (byte[] b : new byte[][] {flat, sq8}) {
      RefineFile f = RefineFile.open(ByteBuffer.wrap(b), NAME);
      assertEquals(0, f.count());
      assertEquals(128, f.dim());
    }
  }

  @Test
  void fileNames() {
    assertEquals("refine-00000.kiln", RefineFile.fileName(0));
    assertEquals("refine-00042.kiln", RefineFile.fileName(42));
    assertEquals("refine-123456.kiln", RefineFile.fileName(123456));
  }

  // --- writer misuse: each is a bug in the caller, reported at once ---

  private static RefineFile.Writer writer(Refine encoding, int dim, long count, float[] base,
      float[] step) throws IOException {
    FormatOutput out = new FormatOutput(new ByteArrayOutputStream());
    return new RefineFile.Writer(out, 0, dim, encoding, 0, count, base, step);
  }

  private static void assertMisuse(String message, Executable e) {
    IllegalStateException ex = assertThrows(IllegalStateException.class, e);
    assertEquals(message, ex.getMessage());
  }

  private static void assertBadArgument(String message, Executable e) {
    IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
    assertEquals(message, ex.getMessage());
  }

  @Test
  void writerRejectsMoreVectorsThanAnnounced() throws IOException {
    RefineFile.Writer w = writer(Refine.FLAT, 2, 1, null, null);
    w.add(new byte[8], 0);
    assertMisuse("more vectors than the 1 announced", () -> w.add(new byte[8], 0));
    RefineFile.Writer none = writer(Refine.SQ8, 2, 0, new float[2], new float[2]);
    assertMisuse("more vectors than the 0 announced", () -> none.add(new byte[2], 0));
  }

  @Test
  void writerRejectsFewerVectorsThanAnnounced() throws IOException {
    RefineFile.Writer w = writer(Refine.FLAT, 2, 3, null, null);
    w.add(new byte[8], 0);
    assertMisuse("announced 3 vectors, got 1", w::finish);
    assertMisuse("announced 2 vectors, got 0",
        writer(Refine.SQ8, 2, 2, new float[2], new float[2])::finish);
  }

  @Test
  void writerRejectsMissingOrMisplacedSq8Parameters() {
    String message = "SQ8 needs d base and d step values, float32 none";
    assertBadArgument(message, () -> writer(Refine.SQ8, 2, 0, null, null));
    assertBadArgument(message, () -> writer(Refine.SQ8, 2, 0, new float[2], null));
    assertBadArgument(message, () -> writer(Refine.SQ8, 2, 0, null, new float[2]));
    assertBadArgument(message, () -> writer(Refine.SQ8, 2, 0, new float[1], new float[2]));
    assertBadArgument(message, () -> writer(Refine.SQ8, 2, 0, new float[2], new float[3]));
    assertBadArgument(message, () -> writer(Refine.FLAT, 2, 0, new float[2], new float[2]));
  }

  @Test
  void writerRejectsNoRefineStage() {
    assertBadArgument("no refine stage, no refine file",
        () -> writer(Refine.NONE, 2, 0, null, null));
  }

  @Test
  void writerRejectsBadDimensionOrCount() {
    assertBadArgument("bad refine file: dim=0 count=1", () -> writer(Refine.FLAT, 0, 1, null, null));
    assertBadArgument("bad refine file: dim=2 count=-1",
        () -> writer(Refine.SQ8, 2, -1, new float[2], new float[2]));
  }

  /** What a reader would refuse is refused before a byte is written. */
  @Test
  void writerRejectsSq8ParametersNoReaderAccepts() {
    assertBadArgument("bad SQ8 parameters for component 1: base 0.0, step NaN"
            + " (both must be finite, step at least 0)",
        () -> writer(Refine.SQ8, 2, 0, new float[2], new float[] {1f, Float.NaN}));
    assertBadArgument("bad SQ8 parameters for component 0: base 0.0, step -0.5"
            + " (both must be finite, step at least 0)",
        () -> writer(Refine.SQ8, 2, 0, new float[2], new float[] {-0.5f, 1f}));
    assertBadArgument("bad SQ8 parameters for component 1: base Infinity, step 1.0"
            + " (both must be finite, step at least 0)",
        () -> writer(Refine.SQ8, 2, 0, new float[] {0f, Float.POSITIVE_INFINITY},
            new float[] {1f, 1f}));
  }

  /** Offsets step by bytesPerVector from an aligned start, also at the SQ8 parameters' end. */
  @Test
  void sq8VectorsStartAfterTheParametersAligned() throws IOException {
    for (int dim : new int[] {1, 7, 8, 9, 100}) {
      Content c = Content.random(Refine.SQ8, dim, 2, dim);
      RefineFile f = RefineFile.open(TestFiles.le(c.write()), NAME);
      assertEquals(FileFormat.align(64 + 8L * dim), f.vectorOffset(0), "d=" + dim);
      assertEquals(f.vectorOffset(0) + dim, f.vectorOffset(1), "d=" + dim);
    }
  }

  // --- damaged files: each fails at open with one message naming the file ---

  /** float32, d = 8, 20 vectors: vectors at 64..704, content 704 bytes, file 720. */
  static byte[] flatSample() throws IOException {
    return Content.random(Refine.FLAT, 8, 20, 7).write();
  }

  /** SQ8, d = 8, 20 vectors: parameters at 64..128, vectors 128..288, content 320 bytes. */
  static byte[] sq8Sample() throws IOException {
    return Content.random(Refine.SQ8, 8, 20, 7).write();
  }

  static void assertCorruptMessage(String problem, byte[] file) {
    CorruptIndexException e = assertThrows(CorruptIndexException.class,
        () -> RefineFile.open(ByteBuffer.wrap(file), NAME));
    assertEquals(NAME + ": " + problem, e.getMessage());
  }

  @Test
  void samplesAreWhatTheirCommentsSay() throws IOException {
    byte[] flat = flatSample();
    assertEquals(720, flat.length);
    assertEquals(64, getLong(flat, 48));
    byte[] sq8 = sq8Sample();
    assertEquals(336, sq8.length);
    assertEquals(128, getLong(sq8, 48));
    RefineFile.open(ByteBuffer.wrap(flat), NAME);
    RefineFile.open(ByteBuffer.wrap(sq8), NAME);
  }

  @Test
  void truncated() throws IOException {
    byte[] b = flatSample();
    assertCorruptMessage("footer missing: the file is truncated or damaged",
        Arrays.copyOf(b, b.length - 1));
    assertCorruptMessage("footer missing: the file is truncated or damaged",
        Arrays.copyOf(b, 100));
    assertCorruptMessage("file too short (20 bytes) to be a Kiln file", Arrays.copyOf(b, 20));
  }

  /** A file whose footer is intact but whose content stops inside the 64-byte header. */
  @Test
  void headerTruncated() throws IOException {
    byte[] b = flatSample();
    byte[] content = Arrays.copyOf(b, 40);
    byte[] file = Arrays.copyOf(content, content.length + 16);
    ByteBuffer f = TestFiles.le(file);
    f.put(40, TestFiles.ascii("KEND")).putLong(44, 40);
    CRC32C crc = new CRC32C();
    crc.update(file, 0, file.length - 4);
    f.putInt(file.length - 4, (int) crc.getValue());
    assertCorruptMessage("header truncated", file);
  }

  @Test
  void wrongKind() throws IOException {
    byte[] refine = flatSample();
    byte[] shard = ShardFileTest.Shard.of(IdType.LONG, 5, new long[] {2, 1}, 3).write(new int[1]);
    byte[] keys = KeysFileTest.write(1, List.of("a", "b", "c"), new int[1]);
    assertCorruptMessage("expected a RFIN file but found kind 'SHRD'", shard);
    assertCorruptMessage("expected a RFIN file but found kind 'KEYS'", keys);
    CorruptIndexException e = assertThrows(CorruptIndexException.class,
        () -> ShardFile.open(ByteBuffer.wrap(refine), "v/shard-00001.kiln"));
    assertEquals("v/shard-00001.kiln: expected a SHRD file but found kind 'RFIN'", e.getMessage());
    e = assertThrows(CorruptIndexException.class,
        () -> KeysFile.open(ByteBuffer.wrap(refine), "v/keys-00001.kiln"));
    assertEquals("v/keys-00001.kiln: expected a KEYS file but found kind 'RFIN'", e.getMessage());
  }

  @Test
  void futureVersion() throws IOException {
    assertCorruptMessage(
        "format version 4 is not supported by this reader (it reads versions 1 to 3; upgrade the"
            + " loader)",
        withInt(flatSample(), 8, 4));
  }

  @Test
  void badHeader() throws IOException {
    assertCorruptMessage("bad header: shard=-1 dim=8", withInt(flatSample(), 12, -1));
    assertCorruptMessage("bad header: shard=1 dim=0", withInt(flatSample(), 16, 0));
    assertCorruptMessage("bad header: shard=1 dim=-8", withInt(sq8Sample(), 16, -8));
    // So large that 4 x d overflows an int: must not pass as a small bytesPerVector.
    assertCorruptMessage("bad header: shard=1 dim=1073741825",
        withInt(flatSample(), 16, (1 << 30) + 1));
  }

  @Test
  void badEncodingCode() throws IOException {
    assertCorruptMessage("unknown refine encoding code 2", withInt(flatSample(), 20, 2));
    // -1 is Refine.NONE's placeholder code, never written to a file.
    assertCorruptMessage("unknown refine encoding code -1", withInt(sq8Sample(), 20, -1));
  }

  @Test
  void bytesPerVectorInconsistent() throws IOException {
    assertCorruptMessage("bytesPerVector is 8, expected 32 for FLAT at d=8",
        withInt(flatSample(), 24, 8));
    assertCorruptMessage("bytesPerVector is 32, expected 8 for SQ8 at d=8",
        withInt(sq8Sample(), 24, 32));
    // The encoding code flipped alone: float32's bytesPerVector no longer fits.
    assertCorruptMessage("bytesPerVector is 32, expected 8 for SQ8 at d=8",
        withInt(flatSample(), 20, 1));
    // The dimension changed alone.
    assertCorruptMessage("bytesPerVector is 32, expected 36 for FLAT at d=9",
        withInt(flatSample(), 16, 9));
  }

  @Test
  void countTooLargeForTheFile() throws IOException {
    // 704 content bytes hold at most 22 float32 vectors of d = 8.
    assertCorruptMessage("bad vector count 23", withLong(flatSample(), 32, 23));
    assertCorruptMessage("bad vector count 9223372036854775807",
        withLong(flatSample(), 32, Long.MAX_VALUE));
    assertCorruptMessage("bad vector count -1", withLong(flatSample(), 32, -1));
    assertCorruptMessage("bad vector count 41", withLong(sq8Sample(), 32, 41));
    // Fewer than the file could hold, more than fit after the vectors' offset.
    assertCorruptMessage("vectors section [64, +672) lies outside the file's 704 content bytes",
        withLong(flatSample(), 32, 21));
    assertCorruptMessage("vectors section [128, +200) lies outside the file's 320 content bytes",
        withLong(sq8Sample(), 32, 25));
  }

  @Test
  void vectorsSectionOutside() throws IOException {
    assertCorruptMessage(
        "vectors section [1099511627776, +640) lies outside the file's 704 content bytes",
        withLong(flatSample(), 48, 1L << 40));
    assertCorruptMessage("vectors section [-64, +640) lies outside the file's 704 content bytes",
        withLong(flatSample(), 48, -64));
    assertCorruptMessage("vectors section [128, +640) lies outside the file's 704 content bytes",
        withLong(flatSample(), 48, 128));
    assertCorruptMessage("vectors section [192, +160) lies outside the file's 320 content bytes",
        withLong(sq8Sample(), 48, 192));
  }

  @Test
  void sq8ParametersSectionOutside() throws IOException {
    assertCorruptMessage(
        "SQ8 parameters section [1099511627776, +64) lies outside the file's 320 content bytes",
        withLong(sq8Sample(), 40, 1L << 40));
    assertCorruptMessage("SQ8 parameters section [-8, +64) lies outside the file's 320 content bytes",
        withLong(sq8Sample(), 40, -8));
    assertCorruptMessage("SQ8 parameters section [288, +64) lies outside the file's 320 content bytes",
        withLong(sq8Sample(), 40, 288));
  }

  /** The decode {@code base + b x step} must be a finite number with step at least 0. */
  @Test
  void badSq8Parameters() throws IOException {
    int baseAt = 64;
    int stepAt = 64 + 4 * 8;
    assertCorruptMessage("bad SQ8 parameters for component 3",
        withFloat(sq8Sample(), stepAt + 4 * 3, Float.NaN));
    assertCorruptMessage("bad SQ8 parameters for component 0",
        withFloat(sq8Sample(), stepAt, -0.5f));
    assertCorruptMessage("bad SQ8 parameters for component 7",
        withFloat(sq8Sample(), stepAt + 4 * 7, Float.POSITIVE_INFINITY));
    assertCorruptMessage("bad SQ8 parameters for component 5",
        withFloat(sq8Sample(), baseAt + 4 * 5, Float.NEGATIVE_INFINITY));
    assertCorruptMessage("bad SQ8 parameters for component 2",
        withFloat(sq8Sample(), baseAt + 4 * 2, Float.NaN));
  }

  static byte[] withFloat(byte[] b, int at, float v) {
    byte[] c = b.clone();
    TestFiles.le(c).putFloat(at, v);
    return c;
  }
}
