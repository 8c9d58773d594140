package dev.kiln.format;

import static dev.kiln.format.FixtureGenerator.DIM;
import static dev.kiln.format.FixtureGenerator.NLIST;
import static dev.kiln.format.TestFiles.assertBitsEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rule: fixture files of every released format version are checked in and stay loadable.
 *
 * <p>The {@code read...} tests open the checked-in files of each version (1 to 3) and compare
 * their content with the values FixtureGenerator defines; they must keep passing for as long as
 * Kiln claims to read that version. The {@code writerReproduces...} test checks that the current
 * writer still produces the current version's files byte for byte; it moves to the new version's
 * fixtures (checked in beside the old) when the format changes. See FORMAT.md, "Fixtures".
 */
class FixtureCompatibilityTest {

  static final List<String> LONG_IDS_FILES = List.of("model.kiln", "shard-00000.kiln", "manifest.json");
  static final List<String> STRING_IDS_FILES =
      List.of("model.kiln", "shard-00000.kiln", "keys-00000.kiln", "manifest.json");
  static final List<String> REFINE_FILES =
      List.of("model.kiln", "shard-00000.kiln", "refine-00000.kiln", "manifest.json");
  static final List<String> GRAPH_FILES =
      List.of("model.kiln", "shard-00000.kiln", "graph-00000.kiln", "manifest.json");

  static List<String> filesOf(String set) {
    return switch (set) {
      case FixtureGenerator.LONG_IDS, FixtureGenerator.COARSE_GRAPH, FixtureGenerator.FAST_SCAN ->
          LONG_IDS_FILES;
      case FixtureGenerator.STRING_IDS -> STRING_IDS_FILES;
      case FixtureGenerator.HNSW, FixtureGenerator.HNSW_SQ8 -> GRAPH_FILES;
      default -> REFINE_FILES;
    };
  }

  static byte[] resource(String path) throws IOException {
    try (InputStream in = FixtureCompatibilityTest.class.getResourceAsStream(path)) {
      assertNotNull(in, "fixture " + path + " is missing");
      return in.readAllBytes();
    }
  }

  static Map<String, byte[]> checkedIn(int version, String set, List<String> names)
      throws IOException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (String n : names) {
      files.put(n, resource("/fixtures/v" + version + "/" + set + "/" + n));
    }
    return files;
  }

  /** Opens one checked-in binary file the way the loader does, after verifying its CRC. */
  static ByteBuffer verified(int version, Map<String, byte[]> files, String name)
      throws IOException {
    ByteBuffer b = ByteBuffer.wrap(files.get(name));
    assertEquals(version, TestFiles.getInt(files.get(name), 8),
        name + " is a version-" + version + " file");
    FileFormat.verifyChecksum(b, name);
    return b;
  }

  /** The fast-scan set: the 4-bit codebooks and table, and every item's code in its block. */
  @Test
  void readsFastScan() throws IOException {
    Map<String, byte[]> files = checkedIn(3, FixtureGenerator.FAST_SCAN, LONG_IDS_FILES);
    ModelFile model = ModelFile.read(verified(3, files, "model.kiln"), "model.kiln");
    assertEquals(IndexSpec.parse("IVF4,PQ2x4fs"), model.spec());
    float[] centroids = FixtureGenerator.pqCentroids();
    float[] codebooks = FastScanFixture.codebooks();
    assertBitsEqual(centroids, model.centroids());
    assertBitsEqual(codebooks, model.codebooks());
    assertBitsEqual(FastScanFixture.l2Table(centroids, codebooks),
        ModelFileTest.toArray(model.l2Table()));
    ShardFile shard = ShardFile.open(verified(3, files, "shard-00000.kiln"), "shard-00000.kiln");
    assertEquals(1, shard.codeSize(), "two 4-bit codes per byte");
    assertTrue(shard.fastScan());
    assertEquals(false, shard.hasTerms());
    assertEquals(model.checksum(), shard.modelChecksum());
    int ordinal = 0;
    for (int l = 0; l < NLIST; l++) {
      long[] ids = FixtureGenerator.LONG_IDS_BY_LIST[l];
      assertEquals(ids.length, shard.listSize(l));
      for (int i = 0; i < ids.length; i++, ordinal++) {
        assertEquals(ids[i], shard.id(l, i));
        byte[] want = FastScanFixture.code(ordinal);
        for (int j = 0; j < 2; j++) {
          assertEquals(want[j], FastScanLayout.code(shard.buffer(), shard.codesOffset(l), 2, i, j),
              "item " + ordinal + " sub-space " + j);
        }
      }
      if (ids.length > 0) {
        // One partial block: the ids start right after its 32 x 2 nibbles (32 bytes).
        assertEquals(shard.codesOffset(l) + 32, shard.idsOffset(l));
      }
    }
    assertManifest(3, files, FixtureGenerator.FAST_SCAN);
  }

  /** The hnsw set: a one-list Flat shard of vectors in id order and the graph over them. */
  @Test
  void readsHnsw() throws IOException {
    Map<String, byte[]> files = checkedIn(3, FixtureGenerator.HNSW, GRAPH_FILES);
    Manifest m = assertManifest(3, files, FixtureGenerator.HNSW);
    assertEquals("HNSW2", m.index());
    assertEquals(IndexSpec.graph(2), m.spec());
    ModelFile model = ModelFile.read(verified(3, files, "model.kiln"), "model.kiln");
    assertEquals(IndexSpec.parse("IVF1,Flat"), model.spec());
    assertEquals(m.spec().base(), model.spec());
    assertBitsEqual(new float[DIM], model.centroids());
    assertNull(model.graph(), "the graph is the shard's, not the model's");
    ShardFile shard = ShardFile.open(verified(3, files, "shard-00000.kiln"), "shard-00000.kiln");
    assertEquals(1, shard.nlist());
    assertEquals(4 * DIM, shard.codeSize());
    assertEquals(model.checksum(), shard.modelChecksum());
    long[] ids = HnswFixture.ids();
    for (int o = 0; o < ids.length; o++) {
      assertEquals(ids[o], shard.id(0, o), "ids ascend with the ordinal");
      float[] v = new float[DIM];
      ByteBuffer.wrap(code(shard, 0, o)).order(java.nio.ByteOrder.LITTLE_ENDIAN)
          .asFloatBuffer().get(v);
      assertBitsEqual(FixtureGenerator.refineVector(o), v);
    }
    GraphFile graph = GraphFile.open(verified(3, files, "graph-00000.kiln"), "graph-00000.kiln");
    assertEquals(0, graph.shard());
    assertEquals(20, graph.count());
    assertEquals(model.checksum(), graph.modelChecksum());
    assertEquals(HnswFixture.graph(), graph.graph());
    assertEquals(64, TestFiles.getInt(files.get("graph-00000.kiln"), 24), "graphOffset");
  }

  /** The hnsw-sq8 set: the hnsw set's items as 8-bit codes, SQ8's ranges in the model. */
  @Test
  void readsHnswSq8() throws IOException {
    Map<String, byte[]> files = checkedIn(3, FixtureGenerator.HNSW_SQ8, GRAPH_FILES);
    Manifest m = assertManifest(3, files, FixtureGenerator.HNSW_SQ8);
    assertEquals("HNSW2,SQ8", m.index());
    ModelFile model = ModelFile.read(verified(3, files, "model.kiln"), "model.kiln");
    assertEquals(IndexSpec.parse("HNSW2,SQ8").base(), model.spec());
    assertEquals(2, TestFiles.getInt(files.get("model.kiln"), 24), "encoding SQ8");
    assertBitsEqual(HnswFixture.sq8Parameters(), model.codebooks());
    ShardFile shard = ShardFile.open(verified(3, files, "shard-00000.kiln"), "shard-00000.kiln");
    assertEquals(DIM, shard.codeSize(), "one byte per component");
    assertEquals(model.checksum(), shard.modelChecksum());
    long[] ids = HnswFixture.ids();
    for (int o = 0; o < ids.length; o++) {
      assertEquals(ids[o], shard.id(0, o));
      assertArrayEquals(FixtureGenerator.sq8Code(o), code(shard, 0, o));
    }
    GraphFile graph = GraphFile.open(verified(3, files, "graph-00000.kiln"), "graph-00000.kiln");
    assertEquals(model.checksum(), graph.modelChecksum());
    assertEquals(HnswFixture.graph(), graph.graph());
  }

  @ParameterizedTest
  @CsvSource({"1, long-ids", "2, long-ids", "3, long-ids", "3, coarse-graph"})
  void readsLongIds(int version, String set) throws IOException {
    Map<String, byte[]> files = checkedIn(version, set, LONG_IDS_FILES);
    boolean graph = set.equals(FixtureGenerator.COARSE_GRAPH);

    ModelFile model = ModelFile.read(verified(version, files, "model.kiln"), "model.kiln");
    assertEquals(Metric.L2, model.metric());
    assertEquals(DIM, model.dim());
    assertEquals(IndexSpec.parse(graph ? "IVF4_HNSW2,PQ2" : "IVF4,PQ2"), model.spec());
    assertEquals(graph ? FixtureGenerator.graph() : null, model.graph());
    float[] centroids = FixtureGenerator.pqCentroids();
    float[] codebooks = FixtureGenerator.pqCodebooks();
    assertBitsEqual(centroids, model.centroids());
    assertBitsEqual(codebooks, model.codebooks());
    float[] table = FixtureGenerator.l2Table(centroids, codebooks);
    assertBitsEqual(table, ModelFileTest.toArray(model.l2Table()));

    ShardFile shard = ShardFile.open(verified(version, files, "shard-00000.kiln"), "shard-00000.kiln");
    assertEquals(0, shard.shard());
    assertEquals(1, shard.shardCount());
    assertEquals(NLIST, shard.nlist());
    assertEquals(DIM, shard.dim());
    assertEquals(2, shard.codeSize());
    assertEquals(IdType.LONG, shard.idType());
    assertEquals(model.checksum(), shard.modelChecksum());
    assertEquals(20, shard.count());
    assertEquals(version >= 2, shard.hasTerms(), "version 2 added the L2 terms");
    int ordinal = 0;
    for (int l = 0; l < NLIST; l++) {
      long[] ids = FixtureGenerator.LONG_IDS_BY_LIST[l];
      assertEquals(ids.length, shard.listSize(l));
      assertEquals(ordinal, shard.firstOrdinal(l));
      for (int i = 0; i < ids.length; i++, ordinal++) {
        assertEquals(ids[i], shard.id(l, i));
        assertArrayEquals(FixtureGenerator.pqCode(ordinal), code(shard, l, i));
        if (shard.hasTerms()) {
          assertEquals(FixtureGenerator.l2Term(table, l, ordinal),
              shard.buffer().getFloat(shard.termsOffset(l) + 4 * i), "term of " + ordinal);
        }
      }
    }

    assertManifest(version, files, set);
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void readsStringIds(int version) throws IOException {
    Map<String, byte[]> files = checkedIn(version, FixtureGenerator.STRING_IDS, STRING_IDS_FILES);

    ModelFile model = ModelFile.read(verified(version, files, "model.kiln"), "model.kiln");
    assertEquals(Metric.COSINE, model.metric());
    assertEquals(DIM, model.dim());
    assertEquals(IndexSpec.parse("IVF4,Flat"), model.spec());
    assertBitsEqual(FixtureGenerator.flatCentroids(), model.centroids());
    assertNull(model.codebooks());
    assertNull(model.l2Table());

    ShardFile shard = ShardFile.open(verified(version, files, "shard-00000.kiln"), "shard-00000.kiln");
    assertEquals(IdType.STRING, shard.idType());
    assertEquals(4 * DIM, shard.codeSize());
    assertEquals(model.checksum(), shard.modelChecksum());
    assertEquals(20, shard.count());
    KeysFile keys = KeysFile.open(verified(version, files, "keys-00000.kiln"), "keys-00000.kiln");
    assertEquals(20, keys.count());
    int ordinal = 0;
    for (int l = 0; l < NLIST; l++) {
      String[] expected = FixtureGenerator.KEYS_BY_LIST[l];
      assertEquals(expected.length, shard.listSize(l));
      assertEquals(ordinal, shard.firstOrdinal(l));
      for (int i = 0; i < expected.length; i++, ordinal++) {
        assertEquals(expected[i], keys.key(shard.firstOrdinal(l) + i));
        float[] v = new float[DIM];
        ByteBuffer.wrap(code(shard, l, i)).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        assertBitsEqual(FixtureGenerator.flatVector(ordinal), v);
      }
    }

    assertManifest(version, files, FixtureGenerator.STRING_IDS);
  }

  /**
   * refine-flat and refine-sq8: long-ids with a refine stage. The refine file holds vector o for
   * item o of the shard, float32 or SQ8; the two sets hold the same vectors.
   */
  @ParameterizedTest
  @CsvSource({"1, refine-flat", "1, refine-sq8", "2, refine-flat", "2, refine-sq8",
      "3, refine-flat", "3, refine-sq8"})
  void readsRefine(int version, String set) throws IOException {
    Map<String, byte[]> files = checkedIn(version, set, REFINE_FILES);
    boolean sq8 = set.equals(FixtureGenerator.REFINE_SQ8);
    IndexSpec.Refine encoding = sq8 ? IndexSpec.Refine.SQ8 : IndexSpec.Refine.FLAT;

    // Additive: the model and the shard are long-ids' files, byte for byte.
    Map<String, byte[]> longIds = checkedIn(version, FixtureGenerator.LONG_IDS, LONG_IDS_FILES);
    assertArrayEquals(longIds.get("model.kiln"), files.get("model.kiln"));
    assertArrayEquals(longIds.get("shard-00000.kiln"), files.get("shard-00000.kiln"));

    Manifest m = assertManifest(version, files, set);
    assertEquals(sq8 ? "IVF4,PQ2,Refine(SQ8)" : "IVF4,PQ2,RFlat", m.index());
    assertEquals(IndexSpec.pq(NLIST, 2).withRefine(encoding), m.spec());
    ModelFile model = ModelFile.read(verified(version, files, "model.kiln"), "model.kiln");
    assertEquals(m.spec().base(), model.spec());
    ShardFile shard = ShardFile.open(verified(version, files, "shard-00000.kiln"), "shard-00000.kiln");

    RefineFile refine = RefineFile.open(verified(version, files, "refine-00000.kiln"), "refine-00000.kiln");
    assertEquals("refine-00000.kiln", refine.name());
    assertEquals(0, refine.shard());
    assertEquals(DIM, refine.dim());
    assertEquals(encoding, refine.encoding());
    assertEquals(model.checksum(), refine.modelChecksum());
    assertEquals(20, refine.count());
    assertEquals(shard.count(), refine.count());
    ByteBuffer buf = refine.buffer();
    boolean sawMin = false;
    boolean sawMax = false;
    int ordinal = 0;
    for (int l = 0; l < NLIST; l++) {
      long[] ids = FixtureGenerator.LONG_IDS_BY_LIST[l];
      for (int i = 0; i < ids.length; i++, ordinal++) {
        // Vector o belongs to item o of the shard, whose id idOfOrdinal finds.
        assertEquals(ids[i], shard.idOfOrdinal(ordinal));
        float[] expected = FixtureGenerator.refineVector(ordinal);
        if (sq8) {
          assertEquals(128 + DIM * ordinal, refine.vectorOffset(ordinal));
          byte[] code = new byte[DIM];
          buf.get(refine.vectorOffset(ordinal), code);
          assertArrayEquals(FixtureGenerator.sq8Code(ordinal), code, "code " + ordinal);
          // base + b x step with b signed: exactly the float32 set's vector.
          float[] base = refine.sq8Base();
          float[] step = refine.sq8Step();
          float[] decoded = new float[DIM];
          for (int j = 0; j < DIM; j++) {
            decoded[j] = base[j] + code[j] * step[j];
            sawMin |= code[j] == -128;
            sawMax |= code[j] == 127;
          }
          assertBitsEqual(expected, decoded);
        } else {
          assertEquals(64 + 4 * DIM * ordinal, refine.vectorOffset(ordinal));
          float[] v = new float[DIM];
          buf.duplicate().position(refine.vectorOffset(ordinal)).slice()
              .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
          assertBitsEqual(expected, v);
        }
      }
    }
    if (sq8) {
      assertBitsEqual(FixtureGenerator.sq8Base(), refine.sq8Base());
      assertBitsEqual(FixtureGenerator.sq8Step(), refine.sq8Step());
      assertEquals(0f, refine.sq8Step()[DIM - 1], "a constant component");
      assertTrue(sawMin && sawMax, "the codes span -128 .. 127, pinning that they are signed");
    } else {
      assertNull(refine.sq8Base());
      assertNull(refine.sq8Step());
    }
  }

  /** The manifest reads back and lists the checked-in files with their real sizes and CRCs. */
  private static Manifest assertManifest(int version, Map<String, byte[]> files, String set)
      throws IOException {
    Manifest m = Manifest.read(new ByteArrayInputStream(files.get("manifest.json")), set + "/manifest.json");
    assertEquals(files.size() - 1, m.files().size());
    for (Manifest.FileEntry f : m.files()) {
      byte[] actual = files.get(f.name());
      assertNotNull(actual, f.name());
      assertEquals(actual.length, f.bytes(), f.name());
      assertEquals(FileFormat.storedChecksum(ByteBuffer.wrap(actual)), f.crc32cValue(), f.name());
    }
    assertEquals(version, m.formatVersion());
    assertEquals(20, m.count());
    assertEquals(1, m.shards());
    assertEquals(DIM, m.dim());
    return m;
  }

  private static byte[] code(ShardFile shard, int list, int i) {
    byte[] code = new byte[shard.codeSize()];
    shard.buffer().get(shard.codesOffset(list) + i * shard.codeSize(), code);
    return code;
  }

  /**
   * Binary files byte for byte; the manifest as a JSON tree, since whitespace and line endings
   * are Jackson's business, not the format's.
   */
  @Test
  void writerReproducesTheCurrentFixturesByteForByte() throws IOException {
    ObjectMapper json = new ObjectMapper();
    for (String set : FixtureGenerator.SETS) {
      Map<String, byte[]> generated = FixtureGenerator.generate(set);
      List<String> names = filesOf(set);
      assertEquals(names, List.copyOf(generated.keySet()), set);
      Map<String, byte[]> checkedIn = checkedIn(FileFormat.CURRENT_VERSION, set, names);
      for (String name : names) {
        if (name.endsWith(".json")) {
          assertEquals(json.readTree(checkedIn.get(name)), json.readTree(generated.get(name)), set + "/" + name);
        } else {
          assertArrayEquals(checkedIn.get(name), generated.get(name),
              set + "/" + name + " differs from what the writer produces now; see FORMAT.md, Fixtures");
        }
      }
    }
  }
}
