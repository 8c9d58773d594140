package dev.kiln.format;

import static dev.kiln.format.TestFiles.asciiAt;
import static dev.kiln.format.TestFiles.assertBitsEqual;
import static dev.kiln.format.TestFiles.getInt;
import static dev.kiln.format.TestFiles.getLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.TestFiles.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ModelFileTest {
  @TempDir Path dir;

  /** A model's inputs, generated from a seed. */
  record Model(Metric metric, int dim, IndexSpec spec, float[] centroids, float[] codebooks,
      float[] l2Table) {
    static Model of(Metric metric, int dim, IndexSpec spec, boolean withTable, long seed) {
      Random r = new Random(seed);
      float[] centroids = TestFiles.floats(r, spec.nlist() * dim);
      boolean pq = spec.encoding() == IndexSpec.Encoding.PQ;
      float[] codebooks = pq ? TestFiles.floats(r, 256 * dim) : null;
      if (spec.encoding() == IndexSpec.Encoding.SQ8) {
        codebooks = new float[2 * dim]; // base, then step: finite, steps never negative
        for (int j = 0; j < 2 * dim; j++) {
          codebooks[j] = j < dim ? r.nextFloat() * 2 - 1 : r.nextFloat();
        }
      }
      float[] table = withTable ? TestFiles.floats(r, spec.nlist() * spec.pqM() * 256) : null;
      return new Model(metric, dim, spec, centroids, codebooks, table);
    }

    byte[] write(int[] crcOut) throws IOException {
      return TestFiles.write(out -> crcOut[0] =
          ModelFile.write(out, metric, dim, spec, centroids, codebooks, l2Table, null));
    }
  }

  static List<Arguments> models() {
    List<Arguments> args = new ArrayList<>();
    for (Storage storage : Storage.values()) {
      for (Metric metric : Metric.values()) {
        args.add(Arguments.of(storage, metric, IndexSpec.flat(5), false));
        args.add(Arguments.of(storage, metric, IndexSpec.pq(5, 4), false));
        args.add(Arguments.of(storage, metric, new IndexSpec(1, IndexSpec.Encoding.SQ8, 0, 0),
            false));
      }
      // The table exists only for L2 with PQ.
      args.add(Arguments.of(storage, Metric.L2, IndexSpec.pq(5, 4), true));
      args.add(Arguments.of(storage, Metric.L2, IndexSpec.pq(1, 1), true));
    }
    return args;
  }

  @ParameterizedTest(name = "{0} {1} {2} table={3}")
  @MethodSource("models")
  void roundTrip(Storage storage, Metric metric, IndexSpec spec, boolean table) throws IOException {
    Model m = Model.of(metric, 12, spec, table, 17);
    int[] crc = new int[1];
    byte[] bytes = m.write(crc);

    ByteBuffer buf = storage.load(bytes, dir, ModelFile.NAME);
    ModelFile f = ModelFile.read(buf, "v/model.kiln");

    assertEquals("v/model.kiln", f.name());
    assertEquals(metric, f.metric());
    assertEquals(12, f.dim());
    assertEquals(spec, f.spec());
    assertBitsEqual(m.centroids(), f.centroids());
    if (m.codebooks() == null) {
      assertNull(f.codebooks());
    } else {
      assertBitsEqual(m.codebooks(), f.codebooks());
    }
    if (m.l2Table() == null) {
      assertNull(f.l2Table());
    } else {
      assertBitsEqual(m.l2Table(), toArray(f.l2Table()));
    }
    assertEquals(crc[0], f.checksum(), "checksum() is the CRC the writer put in the footer");
    FileFormat.verifyChecksum(buf, "v/model.kiln");
  }

  @Test
  void l2TableIsAFreshViewEachTime() throws IOException {
    Model m = Model.of(Metric.L2, 4, IndexSpec.pq(2, 2), true, 3);
    ModelFile f = ModelFile.read(ByteBuffer.wrap(m.write(new int[1])), "m");
    f.l2Table().get(new float[10]);
    // A reader advancing one view must not move the next caller's.
    assertEquals(2 * 2 * 256, f.l2Table().remaining());
  }

  /** Pins the byte layout FORMAT.md documents, reading raw bytes rather than through the reader. */
  @Test
  void pqLayoutMatchesTheSpec() throws IOException {
    // nlist 3, d 6, M 3: centroids end at 128 + 72 = 200, so codebooks start at 256.
    Model m = Model.of(Metric.L2, 6, IndexSpec.pq(3, 3), true, 5);
    int[] crc = new int[1];
    byte[] b = m.write(crc);

    assertEquals("KILN", asciiAt(b, 0, 4));
    assertEquals("MODL", asciiAt(b, 4, 4));
    assertEquals(3, getInt(b, 8), "version");
    assertEquals(0, getInt(b, 12), "metric l2");
    assertEquals(6, getInt(b, 16), "dim");
    assertEquals(3, getInt(b, 20), "nlist");
    assertEquals(1, getInt(b, 24), "encoding PQ");
    assertEquals(3, getInt(b, 28), "pqM");
    assertEquals(8, getInt(b, 32), "pqBits");
    assertEquals(1, getInt(b, 36), "flags: L2 table");
    assertEquals(128, getLong(b, 40), "centroidsOffset");
    assertEquals(0, getLong(b, 64), "no graph");
    assertZeros(b, 72, 128);
    long codebooksAt = 256;
    long tableAt = FileFormat.align(codebooksAt + 4L * 256 * 6);
    assertEquals(codebooksAt, getLong(b, 48));
    assertEquals(tableAt, getLong(b, 56));
    assertEquals(6400, tableAt);

    assertFloatsAt(b, 128, m.centroids());
    assertZeros(b, 128 + 4 * 18, (int) codebooksAt);
    assertFloatsAt(b, (int) codebooksAt, m.codebooks());
    assertFloatsAt(b, (int) tableAt, m.l2Table());
    // No padding between the last section and the footer.
    long contentEnd = tableAt + 4L * 3 * 3 * 256;
    assertFooter(b, contentEnd, crc[0]);
  }

  @Test
  void flatLayoutMatchesTheSpec() throws IOException {
    Model m = Model.of(Metric.COSINE, 3, IndexSpec.flat(7), false, 6);
    int[] crc = new int[1];
    byte[] b = m.write(crc);

    assertEquals(2, getInt(b, 12), "metric cosine");
    assertEquals(3, getInt(b, 16));
    assertEquals(7, getInt(b, 20));
    assertEquals(0, getInt(b, 24), "encoding Flat");
    assertEquals(0, getInt(b, 28), "pqM");
    assertEquals(0, getInt(b, 32), "pqBits");
    assertEquals(0, getInt(b, 36), "flags");
    assertEquals(128, getLong(b, 40));
    assertEquals(0, getLong(b, 48), "no codebooks");
    assertEquals(0, getLong(b, 56), "no table");
    assertEquals(0, getLong(b, 64), "no graph");
    assertFloatsAt(b, 128, m.centroids());
    assertFooter(b, 128 + 4 * 21, crc[0]);
  }

  /** HNSW{M},SQ8's model: one list, encoding 2, SQ8's base then step where codebooks go. */
  @Test
  void sq8LayoutMatchesTheSpec() throws IOException {
    Model m = Model.of(Metric.L2, 5, new IndexSpec(1, IndexSpec.Encoding.SQ8, 0, 0), false, 8);
    int[] crc = new int[1];
    byte[] b = m.write(crc);
    assertEquals(2, getInt(b, 24), "encoding SQ8");
    assertEquals(0, getInt(b, 28), "pqM");
    assertEquals(0, getInt(b, 32), "pqBits");
    assertEquals(192, getLong(b, 48), "parameters after the centroids, aligned");
    assertEquals(0, getLong(b, 56), "no table");
    assertFloatsAt(b, 192, m.codebooks());
    assertFooter(b, 192 + 4 * 10, crc[0]);

    // A negative step decodes nothing sensible: refused at write and at read.
    float[] bad = m.codebooks().clone();
    bad[7] = -1;
    assertWriteFails("step[2] is -1.0", Metric.L2, 5, m.spec(), m.centroids(), bad, null);
    TestFiles.le(b).putFloat(192 + 4 * 7, -1f);
    byte[] fixed = TestFiles.withFooter(b);
    CorruptIndexException e = assertThrows(CorruptIndexException.class,
        () -> ModelFile.read(ByteBuffer.wrap(fixed), "m"));
    assertTrue(e.getMessage().contains("step[2] is -1.0"), e.getMessage());
  }

  @Test
  void metricCodes() throws IOException {
    assertEquals(0, getInt(Model.of(Metric.L2, 2, IndexSpec.flat(1), false, 1).write(new int[1]), 12));
    assertEquals(1, getInt(Model.of(Metric.IP, 2, IndexSpec.flat(1), false, 1).write(new int[1]), 12));
    assertEquals(2, getInt(Model.of(Metric.COSINE, 2, IndexSpec.flat(1), false, 1).write(new int[1]), 12));
  }

  @Test
  void writerRejectsInconsistentInputs() {
    float[] c = new float[2 * 8];
    float[] cb = new float[256 * 8];
    float[] t = new float[2 * 4 * 256];
    IndexSpec pq = IndexSpec.pq(2, 4);
    IndexSpec flat = IndexSpec.flat(2);
    assertWriteFails("nlist x d", Metric.L2, 8, pq, new float[15], cb, null);
    assertWriteFails("exactly for PQ and SQ8", Metric.L2, 8, flat, c, cb, null);
    assertWriteFails("exactly for PQ and SQ8", Metric.L2, 8, pq, c, null, null);
    IndexSpec sq8 = new IndexSpec(1, IndexSpec.Encoding.SQ8, 0, 0);
    assertWriteFails("2 x d floats", Metric.L2, 8, sq8, new float[8], new float[15], null);
    assertWriteFails("M x 2^bits", Metric.L2, 8, pq, c, new float[256 * 4], null);
    assertWriteFails("only for L2 with PQ", Metric.IP, 8, pq, c, cb, t);
    assertWriteFails("only for L2 with PQ", Metric.L2, 8, flat, c, null, new float[0]);
    assertWriteFails("nlist x M x 2^bits", Metric.L2, 8, pq, c, cb, new float[t.length - 1]);
    assertWriteFails("not divisible", Metric.L2, 6, pq, new float[12], new float[256 * 6], null);
  }

  private static void assertWriteFails(String fragment, Metric metric, int dim, IndexSpec spec,
      float[] centroids, float[] codebooks, float[] table) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        TestFiles.write(out -> ModelFile.write(out, metric, dim, spec, centroids, codebooks, table, null)));
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  static float[] toArray(FloatBuffer b) {
    float[] out = new float[b.remaining()];
    b.get(out);
    return out;
  }

  static void assertFloatsAt(byte[] b, int at, float[] expected) {
    float[] actual = new float[expected.length];
    TestFiles.le(b).position(at).slice().order(java.nio.ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer().get(actual);
    assertBitsEqual(expected, actual);
  }

  static void assertZeros(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      assertEquals(0, b[i], "padding byte " + i);
    }
  }

  /** Footer: "KEND", content length, CRC32C of every byte before the CRC. */
  static void assertFooter(byte[] b, long contentEnd, int crc) {
    assertEquals(contentEnd + 16, b.length, "file length");
    assertEquals("KEND", asciiAt(b, (int) contentEnd, 4));
    assertEquals(contentEnd, getLong(b, (int) contentEnd + 4));
    CRC32C expected = new CRC32C();
    expected.update(b, 0, b.length - 4);
    assertEquals((int) expected.getValue(), getInt(b, b.length - 4));
    assertEquals(crc, getInt(b, b.length - 4));
  }
}
