package dev.kiln.faiss;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.apache.spark.sql.functions.expr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.KilnBuildJob;
import dev.kiln.job.config.EvalConfig;
import dev.kiln.tools.Convert;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kiln and Faiss (the system's python3-faiss, 1.7.x) on the same index files, both ways:
 *
 * <ul>
 *   <li>Kiln to Faiss: six indexes built by Kiln on Spark (l2 and ip, {@code IVF64,PQ8} and
 *       {@code IVF64,Flat}, and {@code IVF256_HNSW4} forms of both; one with string ids, three
 *       with two shards) are exported with
 *       {@code kiln export-faiss}, read by {@code faiss.read_index} plainly and with
 *       {@code IO_FLAG_MMAP}, and searched by Faiss;
 *   <li>Faiss to Kiln: six indexes trained and written by Faiss (the same kinds, with and
 *       without IndexIDMap/IndexIDMap2) are imported with {@code kiln import-faiss}.
 * </ul>
 *
 * <p>Each side searches the same 1,000 queries at nprobe 1 and 16 for the top 10; per case the
 * top-10 ids must be identical (ties aside) for at least 99.9% of the queries and the distances
 * within 1e-4 relative. The figures are printed and written to {@code target/faiss-agreement.txt}.
 *
 * <p>{@code IVF{n}_HNSW{M}} cases (an {@code IndexHNSWFlat} quantizer, both ways) walk the same
 * graph with two searches that differ in detail (Faiss bounds its candidate queue at efSearch and
 * drains it; Kiln stops when the nearest candidate is beyond the efSearch-th best), so at the
 * default efSearch their recall@10 against exact neighbours must agree within 0.005; with an
 * efSearch covering the whole graph both find the exact nearest lists, and the results must be
 * identical as above.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FaissInteropTest {
  private static final int N = 20_000;
  private static final int DIM = 32;
  private static final int QUERIES = 1_000;
  private static final int K = 10;
  private static final int NLIST = 64;
  private static final int[] NPROBES = {1, 16};
  private static final String[] MODES = {"plain", "mmap"};
  private static final double MIN_IDENTICAL = 0.999;
  private static final double MAX_RELATIVE = 1e-4;
  /** The tolerance for the walks' recall@10 at the default efSearch. */
  private static final double MAX_RECALL_GAP = 0.005;
  /** An efSearch that walks every node of the graphs below: the exact nearest lists. */
  private static final int EXHAUSTIVE_EF = 256;
  private static final int HNSW_NLIST = 256;
  /** A sparse graph (8 links per node on level 0), so that the walk decides something. */
  private static final int HNSW_M = 4;

  /** One Kiln build exported to Faiss. */
  private record KilnCase(String name, Metric metric, IndexSpec spec, boolean stringIds,
      int shards) {}

  private static final List<KilnCase> KILN_CASES = List.of(
      new KilnCase("kiln-l2-pq", Metric.L2, IndexSpec.pq(NLIST, 8), false, 2),
      new KilnCase("kiln-ip-pq", Metric.IP, IndexSpec.pq(NLIST, 8), false, 1),
      new KilnCase("kiln-l2-flat", Metric.L2, IndexSpec.flat(NLIST), false, 1),
      new KilnCase("kiln-ip-flat", Metric.IP, IndexSpec.flat(NLIST), true, 2),
      new KilnCase("kiln-l2-hnsw-pq", Metric.L2, IndexSpec.pq(HNSW_NLIST, 8).withHnsw(HNSW_M),
          false, 2),
      new KilnCase("kiln-ip-hnsw-flat", Metric.IP, IndexSpec.flat(HNSW_NLIST).withHnsw(HNSW_M),
          false, 1));

  /** One index trained by Faiss and imported into Kiln. */
  private record FaissCase(String name, String factory, String metric, String ids, int shards) {}

  private static final List<FaissCase> FAISS_CASES = List.of(
      new FaissCase("faiss-l2-pq", "IVF64,PQ8np", "l2", "idmap", 3),
      new FaissCase("faiss-ip-pq", "IVF64,PQ8np", "ip", "ivf", 1),
      new FaissCase("faiss-l2-flat", "IVF64,Flat", "l2", "sequential", 1),
      new FaissCase("faiss-ip-flat", "IVF64,Flat", "ip", "idmap2", 2),
      new FaissCase("faiss-l2-hnsw-pq", "IVF" + HNSW_NLIST + "_HNSW" + HNSW_M + ",PQ8np", "l2",
          "idmap", 2),
      new FaissCase("faiss-ip-hnsw-flat", "IVF" + HNSW_NLIST + "_HNSW" + HNSW_M + ",Flat", "ip",
          "ivf", 1));

  private static final ObjectMapper JSON = new ObjectMapper();

  private Path work;
  private float[][] queries;
  /** Per metric ("l2", "ip"): each query's exact top-10 base rows. */
  private final Map<String, int[][]> truth = new HashMap<>();
  private JsonNode report;
  private final Map<String, Path> kilnVersions = new LinkedHashMap<>();
  private final Map<String, Path> exports = new LinkedHashMap<>();
  private final Map<String, Path> imported = new LinkedHashMap<>();
  private final List<String> table = new ArrayList<>();

  @BeforeAll
  void setUp(SparkSession spark, @TempDir Path tmp) throws Exception {
    String python = FaissPython.require();
    work = tmp;
    long t0 = System.nanoTime();

    // 20,000 x 32 points in 100 Gaussian blobs; queries drawn around the same centres.
    Random rnd = new Random(20240607);
    KilnTestData.Blobs blobs = KilnTestData.blobs(rnd, 100, N / 100, DIM, 2, 1);
    float[][] base = blobs.points();
    queries = new float[QUERIES][DIM];
    for (float[] q : queries) {
      float[] c = blobs.centers()[rnd.nextInt(blobs.centers().length)];
      for (int j = 0; j < DIM; j++) {
        q[j] = (float) (c[j] + rnd.nextGaussian());
      }
    }
    truth.put("l2", ExactNeighbours.top(queries, base, Metric.L2, K));
    truth.put("ip", ExactNeighbours.top(queries, base, Metric.IP, K));
    Path baseFvecs = FaissFiles.writeFvecs(tmp.resolve("base.fvecs"), base);
    Path queryFvecs = FaissFiles.writeFvecs(tmp.resolve("query.fvecs"), queries);
    // Parquet through the fvecs converter (fast), then ids rewritten by Spark SQL: int64 ids
    // spread over the whole range (negative ones and beyond 2^32 included, as
    // KilnTestData.longIds) and non-ASCII string ids (as KilnTestData.stringIds).
    long tw = System.nanoTime();
    String rowNumbers = tmp.resolve("rows.parquet").toString();
    Convert.fvecsToParquet(spark, baseFvecs, rowNumbers);
    String longInput = tmp.resolve("long.parquet").toString();
    spark.read().parquet(rowNumbers)
        .withColumn("id", expr("(id - " + N / 2 + ") * 3000000019 + 17"))
        .write().parquet(longInput);
    StringBuilder suffixes = new StringBuilder();
    for (String suffix : KilnTestData.KEY_SUFFIXES) {
      suffixes.append(suffixes.length() == 0 ? "" : ", ").append("'").append(suffix).append("'");
    }
    String stringInput = tmp.resolve("string.parquet").toString();
    spark.read().parquet(rowNumbers)
        .withColumn("id", expr("concat('item-', id, element_at(array(" + suffixes + "), cast(id % "
            + KilnTestData.KEY_SUFFIXES.length + " as int) + 1))"))
        .write().parquet(stringInput);

    // Kiln builds, exported.
    StringBuilder buildSeconds = new StringBuilder(String.format(Locale.ROOT, " Parquet %.1f s;",
        (System.nanoTime() - tw) / 1e9));
    for (KilnCase c : KILN_CASES) {
      Path root = tmp.resolve(c.name());
      BuildConfig cfg = BuildConfig.defaults(c.stringIds() ? stringInput : longInput,
              root.toString(), "v1", c.spec(), c.metric())
          .withTraining(7, 64, 6, 8_192, 6) // agreement, not recall, is tested
          .withShards(c.shards())
          .withEvaluation(EvalConfig.off());
      long tb = System.nanoTime();
      new KilnBuildJob(spark, cfg).run();
      buildSeconds.append(String.format(Locale.ROOT, " %s %.1f s;", c.name(), (System.nanoTime() - tb) / 1e9));
      kilnVersions.put(c.name(), versionDir(root, "v1"));
      Path out = tmp.resolve(c.name() + ".faissindex");
      CliRun r = cli("export-faiss", "--index", versionDir(root, "v1").toString(),
          "--out", out.toString());
      assertEquals(0, r.exitCode(), r.err());
      exports.put(c.name(), out);
    }
    Path shard1 = tmp.resolve("kiln-l2-pq.shard1.faissindex");
    CliRun r = cli("export-faiss", "--index", kilnVersions.get("kiln-l2-pq").toString(),
        "--out", shard1.toString(), "--shard", "1");
    assertEquals(0, r.exitCode(), r.err());
    exports.put("kiln-l2-pq.shard1", shard1);
    double kilnSeconds = (System.nanoTime() - t0) / 1e9;

    // Faiss: read the exports, train its own indexes, search everything.
    ObjectNode job = JSON.createObjectNode();
    job.put("queries", queryFvecs.toString());
    job.put("base", baseFvecs.toString());
    job.put("k", K);
    ArrayNode np = job.putArray("nprobes");
    for (int p : NPROBES) {
      np.add(p);
    }
    job.putArray("efs").add(EXHAUSTIVE_EF);
    Path reportFile = tmp.resolve("faiss-report.json");
    job.put("report", reportFile.toString());
    ArrayNode read = job.putArray("read");
    for (Map.Entry<String, Path> e : exports.entrySet()) {
      read.addObject().put("name", e.getKey()).put("index", e.getValue().toString())
          .put("out", tmp.resolve(e.getKey()).toString());
    }
    ArrayNode train = job.putArray("train");
    for (FaissCase c : FAISS_CASES) {
      train.addObject().put("name", c.name()).put("factory", c.factory()).put("metric", c.metric())
          .put("ids", c.ids()).put("out", tmp.resolve(c.name() + ".faissindex").toString());
    }
    Path jobFile = tmp.resolve("job.json");
    JSON.writeValue(jobFile.toFile(), job);
    long t1 = System.nanoTime();
    FaissPython.run(python, jobFile, tmp.resolve("faiss_check.log"));
    double faissSeconds = (System.nanoTime() - t1) / 1e9;
    report = JSON.readTree(reportFile.toFile());

    // Kiln imports of Faiss's indexes.
    for (FaissCase c : FAISS_CASES) {
      Path root = tmp.resolve("imported-" + c.name());
      CliRun imp = cli("import-faiss", "--in", tmp.resolve(c.name() + ".faissindex").toString(),
          "--output", root.toString(), "--version", "v1", "--shards", Integer.toString(c.shards()));
      assertEquals(0, imp.exitCode(), imp.err());
      imported.put(c.name(), versionDir(root, "v1"));
    }
    table.add(String.format(Locale.ROOT, "faiss %s; %d x %d vectors, %d queries, k=%d;"
        + " Kiln builds+exports %.1f s, Faiss %.1f s", report.path("faiss").asText(), N, DIM,
        QUERIES, K, kilnSeconds, faissSeconds) + "\nbuilds:" + buildSeconds);
  }

  @AfterAll
  void writeTable() throws IOException {
    if (table.isEmpty()) {
      return;
    }
    String text = String.join("\n", table) + "\n";
    System.out.print("\n==== Faiss agreement\n" + text);
    Path target = Path.of("target");
    if (Files.isDirectory(target)) {
      Files.writeString(target.resolve("faiss-agreement.txt"), text, StandardCharsets.UTF_8);
    }
  }

  @Test
  void faissReadsKilnExportsAndAgrees() throws IOException {
    List<String> failures = new ArrayList<>();
    for (KilnCase c : KILN_CASES) {
      JsonNode entry = report.path("entries").path(c.name());
      String expectType = c.spec().encoding() == IndexSpec.Encoding.PQ ? "IndexIVFPQ" : "IndexIVFFlat";
      Map<Long, String> keys = c.stringIds() ? readKeys(exports.get(c.name())) : null;
      try (KilnIndex index = KilnIndex.open(kilnVersions.get(c.name()))) {
        for (String mode : MODES) {
          assertEquals(expectType, entry.path(mode).path("type").asText(), c.name() + " " + mode);
          assertEquals(N, entry.path(mode).path("ntotal").asLong(), c.name() + " " + mode);
          assertEquals(c.spec().hasCoarseGraph() ? "IndexHNSWFlat" : "IndexFlat",
              entry.path(mode).path("quantizer").asText().replaceAll("(L2|IP)$", ""), c.name());
          for (int nprobe : NPROBES) {
            check(failures, "kiln->faiss", c.name(), c.metric().cliName(), work.resolve(c.name()),
                mode, nprobe, index, keys, c.spec().hasCoarseGraph());
          }
        }
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** nprobe took effect on the Faiss side: nprobe 16 changes some queries' results. */
  @Test
  void nprobeMatters() throws IOException {
    for (String name : List.of("kiln-l2-pq", "faiss-ip-flat.faissindex")) {
      long[] one = FaissFiles.readLongs(work.resolve(name + ".plain.np1.I"));
      long[] sixteen = FaissFiles.readLongs(work.resolve(name + ".plain.np16.I"));
      int differ = 0;
      for (int q = 0; q < QUERIES; q++) {
        for (int i = 0; i < K; i++) {
          if (one[q * K + i] != sixteen[q * K + i]) {
            differ++;
            break;
          }
        }
      }
      assertTrue(differ > 0, name + ": nprobe 1 and 16 gave the same results for every query");
    }
  }

  @Test
  void kilnServesFaissIndexesAndAgrees() throws IOException {
    List<String> failures = new ArrayList<>();
    for (FaissCase c : FAISS_CASES) {
      Manifest m = KilnTestData.readManifest(imported.get(c.name()));
      assertEquals(c.metric(), m.metric());
      assertEquals(N, m.count());
      assertEquals(c.shards(), m.shards());
      assertEquals(c.factory().replace("np", ""), m.index());
      try (KilnIndex index = KilnIndex.open(imported.get(c.name()),
          new OpenOptions(true))) {
        for (String mode : MODES) {
          for (int nprobe : NPROBES) {
            check(failures, "faiss->kiln", c.name(), c.metric(),
                work.resolve(c.name() + ".faissindex"), mode, nprobe, index, null,
                m.index().contains("_HNSW"));
          }
        }
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
  }

  /** Faiss's write_index of what it read from an export reproduces the export byte for byte. */
  @Test
  void exportsAreWhatFaissItselfWrites() {
    for (String name : exports.keySet()) {
      assertTrue(report.path("entries").path(name).path("rewriteIdentical").asBoolean(),
          name + ": faiss.write_index(faiss.read_index(export)) differs from the export");
    }
    for (FaissCase c : FAISS_CASES) {
      assertTrue(report.path("entries").path(c.name()).path("rewriteIdentical").asBoolean(),
          c.name());
    }
  }

  /** {@code --shard 1} holds exactly shard 1's items, with their codes. */
  @Test
  void oneShardExport() throws IOException {
    ShardFile shard = FaissFiles.openShard(kilnVersions.get("kiln-l2-pq"), 1);
    ByteBuffer buf = shard.buffer();
    assertEquals(N, report.path("entries").path("kiln-l2-pq").path("plain").path("ntotal").asLong());
    assertEquals(shard.count(),
        report.path("entries").path("kiln-l2-pq.shard1").path("plain").path("ntotal").asLong());
    try (FaissInput in = new FaissInput(exports.get("kiln-l2-pq.shard1"))) {
      FaissIvf ivf = FaissIndexReader.read(in);
      assertEquals(shard.count(), ivf.ntotal());
      for (int l = 0; l < NLIST; l++) {
        int n = shard.listSize(l);
        assertEquals(n, ivf.listSizes()[l], "list " + l);
        byte[] codes = new byte[n * 8];
        long[] ids = new long[n];
        ivf.readList(in, l, codes, ids);
        for (int i = 0; i < n; i++) {
          assertEquals(shard.id(l, i), ids[i]);
          for (int j = 0; j < 8; j++) {
            assertEquals(buf.get(shard.codesOffset(l) + i * 8 + j), codes[i * 8 + j]);
          }
        }
      }
    }
  }

  // ------------------------------------------------------------------ helpers

  /**
   * One case at one nprobe: identical results for a flat quantizer; for an HNSW one, recall@10
   * within {@link #MAX_RECALL_GAP} at the default efSearch and identical results when both walk
   * the whole graph.
   */
  private void check(List<String> failures, String direction, String name, String metric,
      Path prefix, String mode, int nprobe, KilnIndex index, Map<Long, String> keys, boolean hnsw)
      throws IOException {
    if (!hnsw) {
      record(failures, direction, name, metric, mode, nprobe,
          compare(prefix, mode, "", nprobe, SearchParams.nprobe(nprobe), index, keys));
      return;
    }
    record(failures, direction, name, metric, mode, nprobe, compare(prefix, mode,
        ".ef" + EXHAUSTIVE_EF, nprobe,
        SearchParams.nprobe(nprobe).withEfSearch(EXHAUSTIVE_EF), index, keys));
    long[] faissIds = FaissFiles.readLongs(Path.of(prefix + "." + mode + ".np" + nprobe + ".I"));
    int[][] top = truth.get(metric);
    Long[] ids = KilnTestData.longIds(N); // the ids every HNSW case is built or added with
    long faissHits = 0;
    long kilnHits = 0;
    for (int q = 0; q < QUERIES; q++) {
      Set<String> exact = new HashSet<>();
      for (int row : top[q]) {
        exact.add(Long.toString(ids[row]));
      }
      Neighbors got = index.search(queries[q], K, SearchParams.nprobe(nprobe));
      for (int i = 0; i < K; i++) {
        faissHits += exact.contains(Long.toString(faissIds[q * K + i])) ? 1 : 0;
        kilnHits += i < got.size() && exact.contains(got.idString(i)) ? 1 : 0;
      }
    }
    double faissRecall = (double) faissHits / (QUERIES * K);
    double kilnRecall = (double) kilnHits / (QUERIES * K);
    String line = String.format(Locale.ROOT, "%-11s %-18s %-3s %-5s nprobe %2d: default efSearch,"
        + " recall@10 Faiss %.4f, Kiln %.4f", direction, name, metric, mode, nprobe, faissRecall,
        kilnRecall);
    table.add(line);
    if (Math.abs(faissRecall - kilnRecall) > MAX_RECALL_GAP) {
      failures.add(line);
    }
  }

  private Agreement compare(Path prefix, String mode, String suffix, int nprobe,
      SearchParams params, KilnIndex index, Map<Long, String> keys) throws IOException {
    String stem = prefix + "." + mode + ".np" + nprobe + suffix;
    long[] fi = FaissFiles.readLongs(Path.of(stem + ".I"));
    float[] fd = FaissFiles.readFloats(Path.of(stem + ".D"));
    assertEquals((long) QUERIES * K, fi.length, stem);
    Agreement a = new Agreement();
    for (int q = 0; q < QUERIES; q++) {
      String[] ids = new String[K];
      float[] d = new float[K];
      for (int i = 0; i < K; i++) {
        long id = fi[q * K + i];
        ids[i] = id == -1 ? null : keys != null ? keys.get(id) : Long.toString(id);
        d[i] = fd[q * K + i];
      }
      a.add(q, ids, d, index.search(queries[q], K, params));
    }
    return a;
  }

  private void record(List<String> failures, String direction, String name, String metric,
      String mode, int nprobe, Agreement a) {
    String line = String.format(Locale.ROOT, "%-11s %-18s %-3s %-5s nprobe %2d: %s", direction,
        name, metric, mode, nprobe, a.summary());
    table.add(line);
    if (a.identicalFraction() < MIN_IDENTICAL || a.maxRelative() > MAX_RELATIVE) {
      failures.add(line);
    }
  }

  /** FILE.keys.jsonl: {@code [id, "key"]} per line. */
  private static Map<Long, String> readKeys(Path export) throws IOException {
    Path p = Path.of(export + FaissIndexWriter.KEYS_SUFFIX);
    Map<Long, String> out = new HashMap<>();
    Set<String> seen = new HashSet<>();
    for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
      JsonNode a = JSON.readTree(line);
      out.put(a.get(0).asLong(), a.get(1).asText());
      seen.add(a.get(1).asText());
    }
    assertEquals(N, out.size(), "ids in " + p);
    assertEquals(N, seen.size(), "keys in " + p);
    for (long i = 0; i < N; i++) {
      assertTrue(out.containsKey(i), "ids are the ordinals 0.." + (N - 1) + ": missing " + i);
    }
    return out;
  }
}
