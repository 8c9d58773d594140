package dev.kiln.cli;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.assertNothingPublished;
import static dev.kiln.testing.KilnTestData.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexLayout;
import dev.kiln.search.KilnIndex;
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
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kiln import-faiss} on files it must refuse: not a Faiss file, an index type or variant
 * Kiln cannot serve, a truncated file at every length, counts and sizes the file cannot hold.
 * Each ends with exit code 3 and one error line naming the file and the problem, allocates
 * nothing the file's size does not justify, and publishes nothing. The samples are exports of
 * the checked-in v1 fixture {@code long-ids} ({@code IVF4,PQ2}, d = 8, l2, 20 items; its lists
 * are stored in Faiss's sparse form).
 */
class ImportFaissCommandTest {
  // Offsets in the export of long-ids (IwPQ, d = 8, nlist = 4, M = 2), by Faiss's layout:
  // Index header = d int32, ntotal int64, 2 x int64, is_trained u8, metric int32 (33 bytes).
  static final int METRIC = 4 + 29;
  static final int NLIST = 4 + 33;
  static final int QUANTIZER = NLIST + 16;
  static final int CENTROID_COUNT = QUANTIZER + 4 + 33;
  static final int DIRECT_MAP = CENTROID_COUNT + 8 + 4 * 4 * 8;
  static final int BY_RESIDUAL = DIRECT_MAP + 9;
  static final int PQ_M = BY_RESIDUAL + 1 + 8 + 8;
  static final int PQ_NBITS = PQ_M + 8;
  static final int PQ_COUNT = PQ_NBITS + 8;
  static final int LISTS = PQ_COUNT + 8 + 4 * 256 * 8;
  static final int LIST_SIZES = LISTS + 4 + 8 + 8 + 4; // after 'ilar', nlist, code_size, 'sprs'

  @TempDir Path tmp;

  @BeforeAll
  static void kernelsChosen() {
    // The loader logs its kernel choice on first use; not inside a captured CLI run.
    VectorizationProvider.kernels();
  }
  private byte[] good;
  private Path root;

  @BeforeEach
  void export() throws IOException {
    Path file = tmp.resolve("good.faissindex");
    CliRun r = cli("export-faiss", "--index", ExportFaissCommandTest.LONG_IDS.toString(),
        "--out", file.toString());
    assertEquals(0, r.exitCode(), r.err());
    good = Files.readAllBytes(file);
    root = tmp.resolve("root");
  }

  @Test
  void theOffsetsAboveMatchTheExport() {
    ByteBuffer b = le(good);
    assertEquals("IwPQ", ascii(0));
    assertEquals(1, b.getInt(METRIC));
    assertEquals(4, b.getLong(NLIST));
    assertEquals("IxF2", ascii(QUANTIZER));
    assertEquals(32, b.getLong(CENTROID_COUNT));
    assertEquals(1, good[BY_RESIDUAL]);
    assertEquals(2, b.getLong(PQ_M));
    assertEquals(8, b.getLong(PQ_NBITS));
    assertEquals(256 * 8, b.getLong(PQ_COUNT));
    assertEquals("ilar", ascii(LISTS));
    assertEquals("sprs", ascii(LISTS + 20));
    assertEquals(4, b.getLong(LIST_SIZES)); // two (list, size) pairs
  }

  @Test
  void theGoodFileImports() throws IOException {
    CliRun r = run(write("ok.faissindex", good));
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("published"), r.out());
    try (KilnIndex index = KilnIndex.open(root, new OpenOptions(true))) {
      assertEquals(20, index.count());
    }
  }

  @Test
  void notAFaissFile() throws IOException {
    expectBadInput(write("text.faissindex", "hello, world\n".getBytes(StandardCharsets.UTF_8)),
        "not a Faiss index file (unknown type tag 'hell' at offset 0)");
    expectBadInput(ExportFaissCommandTest.LONG_IDS.resolve("model.kiln").toAbsolutePath(),
        "not a Faiss index file (unknown type tag 'KILN' at offset 0)");
    expectBadInput(write("empty.faissindex", new byte[0]), "not a Faiss index file: only 0 bytes");
    Path missing = tmp.resolve("missing.faissindex");
    expectBadInput(missing, "no such file");
  }

  @Test
  void unsupportedTypes() throws IOException {
    expectBadInput(write("sq.faissindex", withTag(0, "IwSq")),
        "unsupported Faiss index type IndexIVFScalarQuantizer ('IwSq') at offset 0");
    expectBadInput(write("hnsw.faissindex", withTag(0, "IHNf")),
        "unsupported Faiss index type IndexHNSWFlat ('IHNf')");
    expectBadInput(write("quantizer.faissindex", withTag(QUANTIZER, "IxPq")),
        "unsupported coarse quantizer at offset " + QUANTIZER + ": IndexPQ ('IxPq')");
    // An HNSW quantizer's tag over a flat one: its graph's counts do not fit the file.
    expectBadInput(write("hnsw-quantizer.faissindex", withTag(QUANTIZER, "IHNf")),
        "bad HNSW cum_nneighbor_per_level count");
    expectBadInput(write("lists.faissindex", withTag(LISTS, "ilod")),
        "inverted lists of type 'ilod'");
    expectBadInput(write("nolists.faissindex", withTag(LISTS, "il00")),
        "stores no inverted lists");
    byte[] raw = good.clone();
    raw[BY_RESIDUAL] = 0;
    expectBadInput(write("raw.faissindex", raw), "by_residual=false is not supported");
    expectBadInput(write("nbits.faissindex", withLong(PQ_NBITS, 4)),
        "IndexIVFPQ with 4-bit codes is not supported");
    byte[] l1 = good.clone();
    le(l1).putInt(METRIC, 2);
    expectBadInput(write("l1.faissindex", l1),
        "IndexIVFPQ with Faiss metric type 2 is not supported");
    byte[] ipQuantizer = good.clone();
    le(ipQuantizer).putInt(QUANTIZER + 4 + 29, 0);
    expectBadInput(write("mixed.faissindex", ipQuantizer),
        "the coarse quantizer's metric (0) differs from the IndexIVFPQ's (1)");
  }

  @Test
  void everyTruncationIsRefused() throws IOException {
    // Every length through the headers, quantizer and PQ header; a sample of the codebooks;
    // every length through the inverted lists.
    TreeSet<Integer> lengths = new TreeSet<>();
    for (int n = 0; n < PQ_COUNT + 16; n++) {
      lengths.add(n);
    }
    for (int n = PQ_COUNT + 16; n < LISTS; n += 97) {
      lengths.add(n);
    }
    for (int n = LISTS - 4; n < good.length; n++) {
      lengths.add(n);
    }
    Path file = tmp.resolve("cut.faissindex");
    for (int n : lengths) {
      Files.write(file, Arrays.copyOf(good, n));
      CliRun r = run(file);
      assertEquals(3, r.exitCode(), "cut at " + n + ": " + r.err());
      assertEquals(1, r.errLines().size(), "cut at " + n + ": " + r.err());
      assertTrue(r.err().startsWith("kiln: error: " + file + ": "), r.err());
    }
    assertNothingPublished(root, "v1");
  }

  @Test
  void countsTheFileCannotHoldAreRefusedBeforeAllocating() throws IOException {
    long huge = 1L << 61;
    expectBadInput(write("c1.faissindex", withLong(CENTROID_COUNT, huge)),
        "bad coarse centroids count " + huge + " at offset " + CENTROID_COUNT);
    expectBadInput(write("c2.faissindex", withLong(PQ_COUNT, -1)),
        "bad PQ centroids count 18446744073709551615");
    expectBadInput(write("c3.faissindex", withLong(DIRECT_MAP + 1, huge)), "bad direct map count");
    expectBadInput(write("c4.faissindex", withLong(NLIST, huge)), "bad nlist " + huge);
    expectBadInput(write("c5.faissindex", withLong(NLIST, 1 << 30)),
        "the coarse quantizer has d=8 and 4 centroids; the IndexIVFPQ has d=8 and nlist=1073741824");
    // The second (list, size) pair's size.
    expectBadInput(write("c6.faissindex", withLong(LIST_SIZES + 8 + 24, huge)),
        "claims " + huge + " items");
    expectBadInput(write("c7.faissindex", withLong(LIST_SIZES + 8 + 24, 3)),
        "the inverted lists hold");
    expectBadInput(write("c8.faissindex", withLong(LIST_SIZES, huge)), "bad sparse list sizes count");
    byte[] d = good.clone();
    le(d).putInt(4, Integer.MAX_VALUE);
    expectBadInput(write("c9.faissindex", d), "the coarse quantizer has d=8");
  }

  @Test
  void trailingBytesAreRefused() throws IOException {
    byte[] longer = Arrays.copyOf(good, good.length + 3);
    expectBadInput(write("long.faissindex", longer), "3 unexpected bytes after the index");
  }

  @Test
  void idMapIdsMustBeInternalIds() throws IOException {
    // IndexIDMap around the export: its lists hold the fixture's ids, not 0..ntotal-1.
    ByteBuffer b = ByteBuffer.allocate(4 + 33 + good.length + 8 + 8 * 20)
        .order(ByteOrder.LITTLE_ENDIAN);
    b.put("IxMp".getBytes(StandardCharsets.US_ASCII));
    b.put(good, 4, 33); // the same Index header: d, ntotal, ..., metric
    b.put(good);
    b.putLong(20);
    for (int i = 0; i < 20; i++) {
      b.putLong(1000 + i);
    }
    expectBadInput(write("idmap.faissindex", b.array()), "outside the IndexIDMap's 20 ids");
  }

  @Test
  void versionsAreImmutableAndReRunsAreNoOps() throws IOException {
    Path file = write("ok.faissindex", good);
    assertEquals(0, run(file).exitCode());
    CliRun again = run(file);
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().contains("already published"), again.out());
    CliRun other = run(write("other.faissindex", good));
    assertEquals(4, other.exitCode(), other.err());
    assertEquals(1, other.errLines().size(), other.err());
    CliRun badVersion = cli("import-faiss", "--in", file.toString(), "--output", root.toString(),
        "--version", "../x");
    assertEquals(2, badVersion.exitCode(), badVersion.err());
    assertEquals("v1\n", KilnTestData.latest(root));
    assertTrue(!Files.exists(root.resolve(IndexLayout.STAGING))
        || KilnTestData.list(root.resolve(IndexLayout.STAGING)).isEmpty());
  }

  /**
   * An export of the {@code coarse-graph} fixture (IVF4_HNSW2,PQ2) imports; with a link to a
   * node that does not exist, or a node whose level count disagrees with its offsets, it is
   * refused naming the problem.
   */
  @Test
  void aDamagedHnswQuantizerIsRefused() throws IOException {
    Path file = tmp.resolve("graph.faissindex");
    CliRun r = cli("export-faiss", "--index",
        KilnTestData.CURRENT_FIXTURES.resolve("coarse-graph").toString(), "--out", file.toString());
    assertEquals(0, r.exitCode(), r.err());
    byte[] graph = Files.readAllBytes(file);
    ByteBuffer b = le(graph);
    // IwPQ, its header, nlist, nprobe; IHNf and its header; then the HNSW structure.
    int at = 4 + 33 + 16;
    assertEquals("IHNf", new String(graph, at, 4, StandardCharsets.US_ASCII));
    at += 4 + 33;
    at += 8 + 8 * (int) b.getLong(at); // assign_probas
    at += 8 + 4 * (int) b.getLong(at); // cum_nneighbor_per_level
    int levels = at + 8;
    at += 8 + 4 * (int) b.getLong(at); // levels
    at += 8 + 8 * (int) b.getLong(at); // offsets
    int firstLink = at + 8;
    assertEquals(4, b.getLong(levels - 8), "one level count per list");

    byte[] badLink = graph.clone();
    le(badLink).putInt(firstLink, 99);
    expectBadInput(write("bad-link.faissindex", badLink), "links to node 99");
    byte[] badLevels = graph.clone();
    assertEquals(2, b.getInt(levels), "node 0 is on levels 0 and 1");
    le(badLevels).putInt(levels, 1);
    expectBadInput(write("bad-levels.faissindex", badLevels), "HNSW offsets of node 0 do not match");
    CliRun ok = run(write("graph-ok.faissindex", graph));
    assertEquals(0, ok.exitCode(), ok.err());
  }

  // ------------------------------------------------------------------ helpers

  private CliRun run(Path file) {
    return cli("import-faiss", "--in", file.toString(), "--output", root.toString(),
        "--version", "v1");
  }

  private void expectBadInput(Path file, String message) {
    CliRun r = run(file);
    assertEquals(3, r.exitCode(), file + ": " + r.err());
    assertEquals(1, r.errLines().size(), r.err());
    assertTrue(r.err().startsWith("kiln: error: " + file + ": "), r.err());
    assertTrue(r.err().contains(message), "expected '" + message + "' in: " + r.err());
    assertNothingPublished(root, "v1");
  }

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = tmp.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  private byte[] withTag(int at, String tag) {
    byte[] b = good.clone();
    System.arraycopy(tag.getBytes(StandardCharsets.US_ASCII), 0, b, at, 4);
    return b;
  }

  private byte[] withLong(int at, long v) {
    byte[] b = good.clone();
    le(b).putLong(at, v);
    return b;
  }

  private String ascii(int at) {
    return new String(good, at, 4, StandardCharsets.US_ASCII);
  }

  private static ByteBuffer le(byte[] b) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
  }
}
