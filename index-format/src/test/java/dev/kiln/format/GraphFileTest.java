package dev.kiln.format;

import static dev.kiln.format.TestFiles.assertCorrupt;
import static dev.kiln.format.TestFiles.getInt;
import static dev.kiln.format.TestFiles.getLong;
import static dev.kiln.format.TestFiles.withInt;
import static dev.kiln.format.TestFiles.withLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.kiln.format.TestFiles.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code graph-NNNNN.kiln} (HNSW{M}): header fields, round trip, and what a reader refuses. */
class GraphFileTest {
  @TempDir Path dir;

  private static final String NAME = GraphFile.fileName(3);

  private static byte[] file(HnswSection g) throws IOException {
    return TestFiles.write(out -> GraphFile.write(out, 3, 0xCAFE, g));
  }

  @ParameterizedTest
  @EnumSource(Storage.class)
  void roundTripsHeaderAndGraph(Storage storage) throws IOException {
    HnswSection ring = HnswSectionTest.ring();
    byte[] bytes = file(ring);
    assertEquals("GRPH", TestFiles.asciiAt(bytes, 4, 4));
    assertEquals(FileFormat.CURRENT_VERSION, getInt(bytes, 8));
    assertEquals(3, getInt(bytes, 12));
    assertEquals(ring.nodes(), getInt(bytes, 16));
    assertEquals(0xCAFE, getInt(bytes, 20));
    assertEquals(GraphFile.HEADER_BYTES, getLong(bytes, 24));
    GraphFile g = GraphFile.open(storage.load(bytes, dir, NAME), NAME);
    assertEquals(3, g.shard());
    assertEquals(ring.nodes(), g.count());
    assertEquals(0xCAFE, g.modelChecksum());
    assertEquals(ring, g.graph());
    assertEquals("graph-00003.kiln", NAME);
  }

  @Test
  void anEmptyShardHasNoGraph() throws IOException {
    GraphFile g = GraphFile.open(ByteBuffer.wrap(file(null)), NAME);
    assertEquals(0, g.count());
    assertNull(g.graph());
  }

  @Test
  void refusesAHeaderThatDisagreesWithItsGraph() throws IOException {
    byte[] bytes = file(HnswSectionTest.ring());
    assertCorrupt(NAME, () -> GraphFile.open(ByteBuffer.wrap(withInt(bytes, 16, 7)), NAME),
        "level 0 holds 6 nodes, expected 7");
    assertCorrupt(NAME, () -> GraphFile.open(ByteBuffer.wrap(withInt(bytes, 16, 0)), NAME),
        "empty shard");
    assertCorrupt(NAME, () -> GraphFile.open(ByteBuffer.wrap(withLong(bytes, 24, 128)), NAME),
        "graphOffset is 128");
    assertCorrupt(NAME, () -> GraphFile.open(ByteBuffer.wrap(withInt(bytes, 12, -1)), NAME),
        "bad header");
    // A neighbour outside the nodes would send a walk outside the shard's vectors.
    assertCorrupt(NAME, () -> GraphFile.open(ByteBuffer.wrap(withInt(bytes, 128, 6)), NAME),
        "links to node 6");
  }

  @Test
  void refusesAnotherKind() throws IOException {
    byte[] shardLike = file(HnswSectionTest.ring());
    System.arraycopy(TestFiles.ascii("RFIN"), 0, shardLike, 4, 4);
    assertCorrupt(NAME, () -> GraphFile.open(ByteBuffer.wrap(shardLike), NAME), "GRPH");
  }
}
