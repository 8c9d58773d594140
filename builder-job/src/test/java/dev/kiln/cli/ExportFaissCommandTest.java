package dev.kiln.cli;

import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.format.Manifest;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.IndexModel;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln export-faiss} on the checked-in fixtures, without Spark or Python: an export
 * imported back gives the same files, string ids come with their keys file, and bad options or
 * input end with the documented exit code and one error line. (What Faiss itself makes of an
 * export is {@code FaissInteropTest}'s part.)
 */
class ExportFaissCommandTest {
  static final Path LONG_IDS = KilnTestData.V1_LONG_IDS;
  static final Path STRING_IDS = KilnTestData.V1_STRING_IDS;

  @TempDir Path tmp;

  @BeforeAll
  static void kernelsChosen() {
    // The loader logs its kernel choice on first use; not inside a captured CLI run.
    VectorizationProvider.kernels();
  }

  @Test
  void exportThenImportGivesTheSameModelAndShard() throws IOException {
    Path file = tmp.resolve("sub/dir/long.faissindex");
    CliRun e = cli("export-faiss", "--index", LONG_IDS.toString(), "--out", file.toString());
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(e.out().contains("IndexIVFPQ, metric L2, d=8, nlist=4, 20 vectors"), e.out());
    assertEquals(List.of("long.faissindex"), KilnTestData.list(file.getParent()).stream().toList(),
        "no temporary file is left");

    Path root = tmp.resolve("root");
    CliRun i = cli("import-faiss", "--in", file.toString(), "--output", root.toString(),
        "--version", "back", "--shards", "1");
    assertEquals(0, i.exitCode(), i.err());
    Manifest m = KilnTestData.assertPublished(root, "back", 1, false);
    assertEquals("IVF4,PQ2", m.index());
    assertEquals("l2", m.metric());
    assertEquals(20, m.count());
    assertEquals("IndexIVFPQ", m.build().faissType());
    // The same centroids, codebooks, codes and ids as the current version's fixture, exported
    // from the v1 one (the values are dyadic, so even the items' L2 terms, which version 2
    // adds, are exact). The import writes no L2 table (the fixture's model keeps one), so only
    // the shard's header, which records the model's checksum, and its footer differ.
    Path back = versionDir(root, "back");
    Path want = KilnTestData.CURRENT_LONG_IDS;
    ModelFile wantModel = readModel(want);
    ModelFile gotModel = readModel(back);
    assertEquals(wantModel.spec(), gotModel.spec());
    assertArrayEquals(wantModel.centroids(), gotModel.centroids());
    assertArrayEquals(wantModel.codebooks(), gotModel.codebooks());
    assertNull(gotModel.l2Table(), "an import writes no L2 table");
    byte[] wantShard = Files.readAllBytes(want.resolve(ShardFile.fileName(0)));
    byte[] gotShard = Files.readAllBytes(back.resolve(ShardFile.fileName(0)));
    assertEquals(wantShard.length, gotShard.length);
    assertArrayEquals(Arrays.copyOfRange(wantShard, 64, wantShard.length - 16),
        Arrays.copyOfRange(gotShard, 64, gotShard.length - 16), "directory, codes, terms, ids");
  }

  /**
   * {@code IVF4_HNSW2,PQ2}: the graph goes out as Faiss's HNSW structure and comes back the same
   * graph (levels, rows, entry point, efConstruction), with the same codes and ids.
   */
  @Test
  void theCoarseGraphSurvivesExportAndImport() throws IOException {
    Path fixture = KilnTestData.CURRENT_FIXTURES.resolve("coarse-graph");
    Path file = tmp.resolve("graph.faissindex");
    CliRun e = cli("export-faiss", "--index", fixture.toString(), "--out", file.toString());
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(e.out().contains("IndexIVFPQ with an IndexHNSWFlat quantizer"), e.out());
    Path root = tmp.resolve("root");
    CliRun i = cli("import-faiss", "--in", file.toString(), "--output", root.toString(),
        "--version", "back", "--shards", "1");
    assertEquals(0, i.exitCode(), i.err());
    Manifest m = KilnTestData.assertPublished(root, "back", 1, false);
    assertEquals("IVF4_HNSW2,PQ2", m.index());
    assertEquals("IndexIVFPQ with an IndexHNSWFlat quantizer", m.build().faissType());
    Path back = versionDir(root, "back");
    ModelFile want = readModel(fixture);
    ModelFile got = readModel(back);
    assertNotNull(got.graph());
    assertEquals(want.graph(), got.graph());
    assertArrayEquals(want.centroids(), got.centroids());
    assertArrayEquals(want.codebooks(), got.codebooks());
    byte[] wantShard = Files.readAllBytes(fixture.resolve(ShardFile.fileName(0)));
    byte[] gotShard = Files.readAllBytes(back.resolve(ShardFile.fileName(0)));
    assertArrayEquals(Arrays.copyOfRange(wantShard, 64, wantShard.length - 16),
        Arrays.copyOfRange(gotShard, 64, gotShard.length - 16), "directory, codes, terms, ids");
  }

  private static ModelFile readModel(Path dir) throws IOException {
    return ModelFile.read(ByteBuffer.wrap(Files.readAllBytes(dir.resolve(ModelFile.NAME)))
        .order(ByteOrder.LITTLE_ENDIAN), ModelFile.NAME);
  }

  @Test
  void stringIdsAreOrdinalsWithAKeysFile() throws IOException {
    Path file = tmp.resolve("strings.faissindex");
    CliRun e = cli("export-faiss", "--index", STRING_IDS.toString(), "--out", file.toString());
    assertEquals(0, e.exitCode(), e.err());
    assertTrue(e.out().contains("IndexIVFFlat, metric INNER_PRODUCT"), e.out());
    Path keysFile = Path.of(file + ".keys.jsonl");
    assertTrue(e.out().contains(keysFile.toString()), e.out());
    List<String> lines = Files.readAllLines(keysFile, StandardCharsets.UTF_8);
    assertEquals(20, lines.size());
    ObjectMapper json = new ObjectMapper();
    String[] keys = new String[20];
    for (int i = 0; i < 20; i++) {
      JsonNode a = json.readTree(lines.get(i));
      assertEquals(i, a.get(0).asLong(), "ids are the ordinals, in order");
      keys[i] = a.get(1).asText();
    }

    // Imported back (as ip, with the ordinals as int64 ids), it answers as the cosine original
    // does for normalized queries; the keys file maps the ids back.
    Path root = tmp.resolve("root");
    CliRun i = cli("import-faiss", "--in", file.toString(), "--output", root.toString(),
        "--version", "v1");
    assertEquals(0, i.exitCode(), i.err());
    Random rnd = new Random(5);
    try (KilnIndex original = KilnIndex.open(STRING_IDS);
        KilnIndex back = KilnIndex.open(root)) {
      assertEquals("ip", back.manifest().metric());
      for (int q = 0; q < 20; q++) {
        float[] query = new float[8];
        for (int j = 0; j < 8; j++) {
          query[j] = (float) rnd.nextGaussian();
        }
        IndexModel.normalize(query, 0, 8);
        for (int nprobe = 1; nprobe <= 4; nprobe++) {
          Neighbors a = original.search(query, 20, SearchParams.nprobe(nprobe));
          Neighbors b = back.search(query, 20, SearchParams.nprobe(nprobe));
          assertEquals(a.size(), b.size());
          for (int r = 0; r < a.size(); r++) {
            assertEquals(a.scores()[r], b.scores()[r], 1e-6);
            if (!a.keys()[r].equals(keys[(int) b.ids()[r]])) {
              // Only a tie may swap two results.
              assertEquals(a.scores()[r], a.scores()[r == 0 ? 1 : r - 1], 1e-6, "rank " + r);
            }
          }
        }
      }
    }
  }

  /**
   * What Faiss would serve differently is refused in one line, exit 2, nothing written: 4-bit
   * fast-scan codes (Faiss's IndexIVFPQFastScan has its own layout) and a refine stage. A
   * one-shard {@code HNSW{M}} is written (FaissHnswExportTest reads it with Faiss).
   */
  @Test
  void fastScanAndRefineIndexesAreRefusedAOneShardGraphIsWritten() {
    Path file = tmp.resolve("x.faissindex");
    CliRun fs = cli("export-faiss", "--index",
        KilnTestData.CURRENT_FIXTURES.resolve("fast-scan").toString(), "--out", file.toString());
    assertEquals(2, fs.exitCode(), fs.err());
    assertEquals(1, fs.errLines().size(), fs.err());
    assertTrue(fs.err().contains("IVF4,PQ2x4fs holds 4-bit fast-scan codes, which export-faiss"
        + " does not write"), fs.err());
    CliRun refine = cli("export-faiss", "--index",
        KilnTestData.CURRENT_FIXTURES.resolve("refine-flat").toString(), "--out", file.toString());
    assertEquals(2, refine.exitCode(), refine.err());
    assertTrue(refine.err().contains("has a refine stage"), refine.err());
    assertFalse(Files.exists(file));
    CliRun graph = cli("export-faiss", "--index",
        KilnTestData.CURRENT_FIXTURES.resolve("hnsw").toString(), "--out", file.toString());
    assertEquals(0, graph.exitCode(), graph.err());
    assertTrue(Files.exists(file));
  }

  @Test
  void oneShardOutOfRangeIsAUsageError() throws IOException {
    Path file = tmp.resolve("x.faissindex");
    CliRun r = cli("export-faiss", "--index", LONG_IDS.toString(), "--out", file.toString(),
        "--shard", "1");
    assertEquals(2, r.exitCode(), r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().contains("--shard 1 is out of range"), r.err());
    assertFalse(Files.exists(file));

    CliRun ok = cli("export-faiss", "--index", LONG_IDS.toString(), "--out", file.toString(),
        "--shard", "0");
    assertEquals(0, ok.exitCode(), ok.err());

    CliRun dir = cli("export-faiss", "--index", LONG_IDS.toString(), "--out", tmp.toString());
    assertEquals(2, dir.exitCode(), dir.err());
    assertTrue(dir.err().contains("is a directory"), dir.err());
  }

  @Test
  void notAnIndexIsBadInput() throws IOException {
    Path file = tmp.resolve("x.faissindex");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    for (Path p : List.of(empty, tmp.resolve("missing"))) {
      CliRun r = cli("export-faiss", "--index", p.toString(), "--out", file.toString());
      assertEquals(3, r.exitCode(), r.err());
      assertEquals(1, r.errLines().size(), r.err());
      assertTrue(r.err().contains(p.toString()), r.err());
      assertFalse(Files.exists(file));
    }
  }
}
