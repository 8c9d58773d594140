package dev.kiln.it;

import dev.kiln.tools.Vecs;
import static dev.kiln.testing.KilnTestData.assertOneLineError;
import static dev.kiln.testing.KilnTestData.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexLayout;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged indexes, malformed and non-finite query files, and Faiss files with NaN in them, on
 * the commands that read them without Spark ({@code export-faiss}, {@code inspect},
 * {@code search}, {@code report}, {@code import-faiss}): each ends with exit 3 and one
 * {@code kiln: error:} line naming the file, no stack trace, and nothing written.
 */
class CliFaultsTest {
  private static final Path LONG_IDS = KilnTestData.V1_LONG_IDS;
  private static final Path STRING_IDS = KilnTestData.V1_STRING_IDS;

  @TempDir Path tmp;

  @BeforeAll
  static void kernelsChosen() {
    VectorizationProvider.kernels(); // logged on first use; not inside a captured run
  }

  private Path copy(Path fixture, String name) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    try (Stream<Path> s = Files.list(fixture)) {
      for (Path p : s.toList()) {
        Files.copy(p, dir.resolve(p.getFileName()));
      }
    }
    return dir;
  }

  /** Flips one byte of the first non-empty list's codes: the structure stays valid. */
  private static void damageCodes(Path shard) throws IOException {
    byte[] b = Files.readAllBytes(shard);
    ShardFile f = ShardFile.open(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN), "shard");
    int l = 0;
    while (f.listSize(l) == 0) {
      l++;
    }
    b[f.codesOffset(l)] ^= 0x5a;
    Files.write(shard, b);
  }

  /**
   * Search options that need no data are refused before anything is opened: with a missing
   * index and a missing query file, the error is the option's (exit 2), not the files'.
   */
  @Test
  void searchOptionsAreCheckedBeforeTheIndexOpens() {
    String missing = tmp.resolve("no-such-index").toString();
    String noQueries = tmp.resolve("no-such-queries.fvecs").toString();
    for (String[] bad : List.of(new String[] {"--nprobe", "0"}, new String[] {"--k", "0"},
        new String[] {"--mode", "sometimes"}, new String[] {"--refine-factor", "-1"})) {
      List<String> args = new java.util.ArrayList<>(List.of("search", "--index", missing,
          "--queries", noQueries));
      args.addAll(List.of(bad));
      CliRun r = cli(args.toArray(String[]::new));
      assertEquals(2, r.exitCode(), String.join(" ", bad) + ": " + r.err());
      assertTrue(r.err().contains(bad[0]), String.join(" ", bad) + " named: " + r.err());
      assertFalse(r.err().contains("no-such"), "nothing opened before the options: " + r.err());
    }
  }

  @Test
  void exportFaissVerifiesEveryChecksumFirst() throws IOException {
    Path version = copy(LONG_IDS, "damaged");
    Path shard = version.resolve(ShardFile.fileName(0));
    damageCodes(shard);
    Map<String, byte[]> before = KilnTestData.filesUnder(version);
    try (KilnIndex opened = KilnIndex.open(version)) {
      assertEquals(20, opened.count(), "damage that only a checksum shows");
    }
    Path outDir = Files.createDirectories(tmp.resolve("out"));
    CliRun r = cli("export-faiss", "--index", version.toString(), "--out",
        outDir.resolve("x.faissindex").toString());
    assertOneLineError(r, 3, shard.toString(), "checksum");
    assertFalse(r.err().contains("\tat "), r.err());
    assertEquals(Set.of(), KilnTestData.list(outDir), "no output, partial or temporary");
    KilnTestData.assertSameFiles(before, KilnTestData.filesUnder(version));
  }

  @Test
  void aDamagedIndexIsBadInputOnEveryCommand() throws IOException {
    Path truncated = copy(LONG_IDS, "truncated");
    Path shard = truncated.resolve(ShardFile.fileName(0));
    byte[] b = Files.readAllBytes(shard);
    Files.write(shard, java.util.Arrays.copyOf(b, b.length - 100));
    Path noModel = copy(LONG_IDS, "no-model");
    Files.delete(noModel.resolve(ModelFile.NAME));
    Path badLatest = Files.createDirectories(tmp.resolve("bad-latest"));
    Files.writeString(badLatest.resolve(IndexLayout.LATEST), "../../etc\n");
    Path missing = tmp.resolve("missing");
    Path queries = tmp.resolve("q.fvecs");
    Vecs.writeFloats(queries, new float[][] {new float[8]});
    Path out = tmp.resolve("x.faissindex");

    Map<Path, String> cases = Map.of(
        truncated, shard.toString(),
        noModel, noModel.resolve(ModelFile.NAME).toString(),
        badLatest, badLatest.resolve(IndexLayout.LATEST).toString(),
        missing, missing.toString());
    for (Map.Entry<Path, String> c : cases.entrySet()) {
      String index = c.getKey().toString();
      for (String[] args : List.of(
          new String[] {"inspect", index},
          new String[] {"inspect", "--verify", index},
          new String[] {"search", "--index", index, "--queries", queries.toString()},
          new String[] {"export-faiss", "--index", index, "--out", out.toString()},
          new String[] {"report", index, "--out", tmp.resolve("r.html").toString()})) {
        CliRun r = cli(args);
        assertOneLineError(r, 3, c.getValue());
      }
    }
    assertFalse(Files.exists(out));
    assertFalse(Files.exists(tmp.resolve("r.html")));

    Path crc = copy(LONG_IDS, "crc");
    damageCodes(crc.resolve(ShardFile.fileName(0)));
    assertOneLineError(cli("inspect", "--verify", crc.toString()), 3,
        crc.resolve(ShardFile.fileName(0)).toString());
  }

  private Path raw(String name, int... words) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(4 * words.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int w : words) {
      b.putInt(w);
    }
    return Files.write(tmp.resolve(name), b.array());
  }

  private static int[] record(int dim, int values) {
    int[] r = new int[values + 1];
    r[0] = dim;
    return r;
  }

  private static int[] concat(int[]... parts) {
    return Stream.of(parts).flatMapToInt(java.util.Arrays::stream).toArray();
  }

  @Test
  void malformedVecsFilesAreBadInputNamingTheRecord() throws IOException {
    Map<Path, String> cases = new java.util.LinkedHashMap<>();
    cases.put(raw("empty.fvecs"), "empty");
    cases.put(Files.createDirectories(tmp.resolve("dir.fvecs")), "not a regular file");
    cases.put(Files.write(tmp.resolve("short.fvecs"), new byte[] {8, 0}), "too short");
    cases.put(raw("negative.fvecs", concat(record(-5, 3))), "record 0 has dimension -5");
    cases.put(raw("zero.fvecs", 0, 0, 0), "record 0 has dimension 0");
    cases.put(raw("huge.fvecs", 1 << 30, 1, 2, 3), "record 0 has dimension 1073741824");
    cases.put(raw("truncated.fvecs", concat(record(8, 8), record(8, 5))), "record 1 is truncated");
    cases.put(raw("mixed.fvecs", concat(record(8, 8), record(7, 8))), "record 1 has dimension 7");
    for (Map.Entry<Path, String> c : cases.entrySet()) {
      CliRun r = cli("search", "--index", LONG_IDS.toString(), "--queries", c.getKey().toString());
      assertOneLineError(r, 3, c.getKey().toString(), c.getValue());
    }
    Path queries = tmp.resolve("q.fvecs");
    Vecs.writeFloats(queries, new float[][] {new float[8], new float[8]});
    Path gt = raw("gt.ivecs", concat(record(10, 10), record(-1, 10)));
    CliRun r = cli("search", "--index", LONG_IDS.toString(), "--queries", queries.toString(),
        "--groundtruth", gt.toString());
    assertOneLineError(r, 3, gt.toString(), "record 1 has dimension -1");
    Path shortGt = raw("short-gt.ivecs", concat(record(10, 10)));
    r = cli("search", "--index", LONG_IDS.toString(), "--queries", queries.toString(),
        "--groundtruth", shortGt.toString());
    assertOneLineError(r, 3, shortGt.toString(), "2 queries");
    Path wrongDim = tmp.resolve("d7.fvecs");
    Vecs.writeFloats(wrongDim, new float[][] {new float[7]});
    r = cli("search", "--index", LONG_IDS.toString(), "--queries", wrongDim.toString());
    assertOneLineError(r, 3, wrongDim.toString(), "dimension 7");
    Path gt10 = raw("gt10.ivecs", concat(record(10, 10)));
    r = cli("bench", "--base", queries.toString(), "--queries", wrongDim.toString(),
        "--groundtruth", gt10.toString(), "--index", "IVF1,Flat", "--work", tmp.toString());
    assertOneLineError(r, 3, wrongDim.toString(), "dimension 7");
  }

  @Test
  void nonFiniteQueriesAreRefusedNamingTheRow() throws IOException {
    Path ok = tmp.resolve("ok.fvecs");
    float[][] rows = new float[3][8];
    rows[1][3] = 1e18f; // large but finite, and its distances fit in float32
    Vecs.writeFloats(ok, rows);
    CliRun good = cli("search", "--index", LONG_IDS.toString(), "--queries", ok.toString());
    assertEquals(0, good.exitCode(), good.err());
    assertTrue(good.out().contains("query 2: "), good.out());

    float[] bad = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3e38f};
    String[] says = {"NaN at component 5", "Infinity at component 5", "-Infinity at component 5",
        "would overflow"};
    for (int i = 0; i < bad.length; i++) {
      float[][] q = new float[4][8];
      q[2][5] = bad[i];
      if (bad[i] == 3e38f) {
        java.util.Arrays.fill(q[2], 3e38f);
      }
      Path file = tmp.resolve("bad" + i + ".fvecs");
      Vecs.writeFloats(file, q);
      CliRun r = cli("search", "--index", LONG_IDS.toString(), "--queries", file.toString());
      assertOneLineError(r, 3, file.toString(), "query 2", says[i]);
      assertEquals("", r.out(), "nothing searched");
    }
  }

  @Test
  void importFaissRefusesNonFiniteCentroidsCodebooksAndVectors() throws IOException {
    Path pq = tmp.resolve("pq.faissindex");
    assertEquals(0, cli("export-faiss", "--index", LONG_IDS.toString(), "--out", pq.toString())
        .exitCode());
    ModelFile model = ModelFile.read(ByteBuffer.wrap(Files.readAllBytes(
        LONG_IDS.resolve(ModelFile.NAME))).order(ByteOrder.LITTLE_ENDIAN), "model");
    // IndexIVFPQ, d=8, nlist=4, metric L2: the centroids start at byte 98, the PQ's at 276.
    Path centroid = withFloat(pq, "centroid", 98 + 4 * 13, model.centroids()[13], Float.NaN);
    Path codebook = withFloat(pq, "codebook", 276 + 4 * 600, model.codebooks()[600],
        Float.POSITIVE_INFINITY);

    Path flat = tmp.resolve("flat.faissindex");
    assertEquals(0, cli("export-faiss", "--index", STRING_IDS.toString(), "--out",
        flat.toString()).exitCode());
    int last;
    int n;
    try (KilnIndex index = KilnIndex.open(STRING_IDS)) {
      int[] sizes = index.listSizes();
      last = sizes.length - 1;
      while (sizes[last] == 0) {
        last--;
      }
      n = sizes[last];
    }
    // Inline lists end the file: the last list's n vectors of 8 floats, then its n ids.
    long at = Files.size(flat) - n * (32L + 8L) + 4 * 3;
    Path vector = withFloat(flat, "vector", at, Float.NaN, Float.NaN);

    Map<Path, String> cases = Map.of(
        centroid, "coarse centroid 1 holds NaN at component 5",
        codebook, "PQ codebook entry (sub-quantizer 0, code 150) holds Infinity at component 0",
        vector, "list " + last + " holds a vector with NaN at component 3");
    for (Map.Entry<Path, String> c : cases.entrySet()) {
      Path root = tmp.resolve("root-" + c.getKey().getFileName());
      CliRun r = cli("import-faiss", "--in", c.getKey().toString(), "--output", root.toString(),
          "--version", "v1");
      assertOneLineError(r, 3, c.getKey().toString(), c.getValue());
      assertFalse(Files.exists(root), "nothing created under " + root);
    }
  }

  /** A copy of {@code file} with the float at {@code at} (which must be {@code was}) replaced. */
  private Path withFloat(Path file, String name, long at, float was, float value)
      throws IOException {
    byte[] b = Files.readAllBytes(file);
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    if (!Float.isNaN(was)) {
      assertEquals(was, buf.getFloat((int) at), "the layout this test assumes");
    }
    buf.putFloat((int) at, value);
    return Files.write(tmp.resolve(name + ".faissindex"), b);
  }
}
