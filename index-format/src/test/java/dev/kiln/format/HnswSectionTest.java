package dev.kiln.format;

import static dev.kiln.format.TestFiles.assertCorrupt;
import static dev.kiln.format.TestFiles.getInt;
import static dev.kiln.format.TestFiles.getLong;
import static dev.kiln.format.TestFiles.withInt;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.TestFiles.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The HNSW graph section of model.kiln (format version 3): layout, round trip, checks. */
class HnswSectionTest {
  @TempDir Path dir;

  private static final int NODES = 6;
  private static final int M = 2;
  private static final int DIM = 3;

  /**
   * A ring on level 0 (node i links to i+1 and i-1; two of the 2M = 4 slots padded) and nodes 1
   * and 4 on level 1, linked to each other; entry point 4.
   */
  static HnswSection ring() {
    int[] level0 = new int[NODES * 2 * M];
    for (int i = 0; i < NODES; i++) {
      level0[i * 4] = (i + 1) % NODES;
      level0[i * 4 + 1] = (i + NODES - 1) % NODES;
      level0[i * 4 + 2] = -1;
      level0[i * 4 + 3] = -1;
    }
    return HnswSection.of(M, 40, 4, NODES, level0, new int[][] {{1, 4}},
        new int[][] {{4, -1, 1, -1}});
  }

  private static byte[] model(HnswSection g) throws IOException {
    float[] centroids = TestFiles.floats(new Random(3), NODES * DIM);
    IndexSpec spec = IndexSpec.flat(NODES).withHnsw(M);
    return TestFiles.write(out -> ModelFile.write(out, Metric.L2, DIM, spec, centroids, null,
        null, g));
  }

  @Test
  void answersWhereEachRowIs() {
    HnswSection g = ring();
    assertEquals(2, g.levels());
    assertEquals(4, g.degree(0));
    assertEquals(2, g.degree(1));
    assertEquals(NODES, g.levelSize(0));
    assertEquals(2, g.levelSize(1));
    assertEquals(3 * 4, g.row(0, 3));
    assertEquals(4, g.neighbour(0, g.row(0, 3)));
    assertEquals(2, g.neighbour(0, g.row(0, 3) + 1));
    assertEquals(-1, g.neighbour(0, g.row(0, 3) + 2));
    assertEquals(M, g.row(1, 4), "node 4 is the second on level 1");
    assertEquals(1, g.neighbour(1, g.row(1, 4)));
    assertEquals(-1, g.row(1, 2), "node 2 is not on level 1");
    assertEquals(-1, g.row(0, NODES));
  }

  @ParameterizedTest
  @EnumSource(Storage.class)
  void roundTripsThroughTheModelFile(Storage storage) throws IOException {
    byte[] b = model(ring());
    ModelFile f = ModelFile.read(storage.load(b, dir, ModelFile.NAME), "v/model.kiln");
    assertEquals(ring(), f.graph());
    assertEquals(M, f.spec().hnswM());
    assertEquals("IVF6_HNSW2,Flat", f.spec().toString());
    assertEquals(40, f.graph().efConstruction());
    assertEquals(4, f.graph().entryPoint());
  }

  /** Pins the section's bytes as FORMAT.md documents them. */
  @Test
  void layoutMatchesTheSpec() throws IOException {
    byte[] b = model(ring());
    assertEquals(3, getInt(b, 8), "version");
    long centroidsEnd = 128 + 4L * NODES * DIM;
    int at = (int) getLong(b, 64);
    assertEquals(FileFormat.align(centroidsEnd), at, "the graph follows the centroids");
    assertEquals(M, getInt(b, at));
    assertEquals(2, getInt(b, at + 4), "levels");
    assertEquals(4, getInt(b, at + 8), "entry point");
    assertEquals(40, getInt(b, at + 12), "efConstruction");
    assertEquals(NODES, getInt(b, at + 16), "level 0 nodes");
    assertEquals(2, getInt(b, at + 20), "level 1 nodes");
    int level0 = at + 64;
    assertEquals(1, getInt(b, level0), "node 0's first link");
    assertEquals(5, getInt(b, level0 + 4));
    assertEquals(-1, getInt(b, level0 + 8));
    int level1 = level0 + 4 * NODES * 2 * M;
    assertEquals(1, getInt(b, level1));
    assertEquals(4, getInt(b, level1 + 4));
    assertEquals(4, getInt(b, level1 + 8), "node 1's link on level 1");
    assertEquals(-1, getInt(b, level1 + 12));
    assertEquals(b.length - FileFormat.FOOTER_BYTES, level1 + 8 + 4 * 2 * M,
        "the footer follows the last row");
  }

  @Test
  void theSectionAloneRoundTrips() {
    HnswSection g = ring();
    byte[] section = g.toBytes();
    assertEquals(g, HnswSection.fromBytes(section, NODES));
    assertThrows(IllegalArgumentException.class, () -> HnswSection.fromBytes(section, NODES + 1));
  }

  @Test
  void aModelWithoutGraphHasNone() throws IOException {
    byte[] b = TestFiles.write(out -> ModelFile.write(out, Metric.L2, DIM, IndexSpec.flat(NODES),
        new float[NODES * DIM], null, null, null));
    ModelFile f = ModelFile.read(ByteBuffer.wrap(b), "m");
    assertNull(f.graph());
    assertEquals(0, f.spec().hnswM());
  }

  @Test
  void readerRejectsDamagedGraphs() throws IOException {
    byte[] b = model(ring());
    int at = (int) getLong(b, 64);
    int level0 = at + 64;
    assertCorrupt("m", () -> read(withInt(b, level0, NODES)), "links to node 6");
    assertCorrupt("m", () -> read(withInt(b, at + 8, 0)), "entry point 0");
    assertCorrupt("m", () -> read(withInt(b, at, 1)), "bad HNSW graph header");
    assertCorrupt("m", () -> read(withInt(b, at + 16, NODES - 1)), "level 0 holds 5");
    assertCorrupt("m", () -> read(withInt(b, at + 20, 7)), "level 1 holds 7");
    assertCorrupt("m", () -> read(withInt(b, at + 20, 3)), "HNSW graph level 1", "outside");
    int level1 = level0 + 4 * NODES * 2 * M;
    assertCorrupt("m", () -> read(withInt(b, level1 + 8, 2)), "level 1 links to node 2");
    assertCorrupt("m", () -> read(withInt(b, level1, 4)), "out of order");
  }

  /** Read checks the structure; the CRC is checked apart (FileFormat.verifyChecksum). */
  private static ModelFile read(byte[] damaged) throws CorruptIndexException {
    return ModelFile.read(ByteBuffer.wrap(damaged), "m");
  }

  @Test
  void writerAndBuilderCheckTheGraph() {
    float[] c = new float[NODES * DIM];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () ->
        TestFiles.write(out -> ModelFile.write(out, Metric.L2, DIM, IndexSpec.flat(NODES), c,
            null, null, ring())));
    assertTrue(e.getMessage().contains("exactly for _HNSW"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TestFiles.write(out -> ModelFile.write(
        out, Metric.L2, DIM, IndexSpec.flat(NODES).withHnsw(M), c, null, null, null)));
    assertTrue(e.getMessage().contains("exactly for _HNSW"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> TestFiles.write(out -> ModelFile.write(
        out, Metric.L2, DIM, IndexSpec.flat(NODES).withHnsw(4), c, null, null, ring())));
    assertTrue(e.getMessage().contains("the spec's M"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> HnswSection.of(M, 40, 1, 3,
        new int[] {1, 2, -1, -1, 0, -1, -1, -1, 0, -1, -1, -1}, new int[][] {{1}},
        new int[][] {{2, -1}}));
    assertTrue(e.getMessage().contains("level 1 links to node 2"), e.getMessage());
    assertNotEquals(ring(), HnswSection.of(M, 40, 1, NODES, new int[NODES * 4],
        new int[][] {{1, 4}}, new int[][] {{4, -1, 1, -1}}));
  }
}
