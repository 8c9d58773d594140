package dev.kiln.it;

import dev.kiln.search.OpenOptions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.format.IndexLayout;
import dev.kiln.search.IdFilter;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.serve.ServingIndex;
import dev.kiln.serve.ServingOptions;
import dev.kiln.serve.SwapListener;
import dev.kiln.serve.VersionPin;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The guard for refactorings that must not change behaviour (issue 15): the same input, seed and
 * parameters must publish byte-identical files, and the loader must answer the same queries with
 * the same ids and scores, as the code did when the fixtures under
 * {@code src/test/resources/golden/} were written.
 *
 * <p>For each case the test builds with {@code kiln build} (in process, the shared local Spark)
 * from a seeded Parquet input generated here, then compares the new version with
 * {@code golden/<case>/}: every binary file byte for byte, and {@code manifest.json} as JSON
 * without the fields that differ from run to run (see {@link #stable}). It also opens each golden
 * version with {@link KilnIndex} and {@link ServingIndex} and checks the answers recorded in
 * {@code golden/<case>/search.txt}.
 *
 * <p>Regenerate only when a change of the published bytes or answers is intended (and say so in
 * the commit), from the repository root:
 *
 * <pre>
 * mvn -B -q -pl builder-job -am test -Dtest=GoldenFilesTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -DskipITs -Dkiln.golden.regenerate=true
 * </pre>
 *
 * which rewrites {@code builder-job/src/test/resources/golden/} from the current code.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GoldenFilesTest {
  private static final boolean REGENERATE = Boolean.getBoolean("kiln.golden.regenerate");
  private static final String VERSION = "golden";
  private static final String SEARCH_FILE = "search.txt";
  private static final String KERNELS_LINE = "# kernels: ";
  private static final int N = 2000;
  private static final int DIM = 16;
  private static final int NLIST = 8;

  /** One build: its fixture directory, the input it reads and the build options. */
  record Case(String name, String input, String index, String metric, int shards, int evalQueries) {
    @Override
    public String toString() {
      return name;
    }
  }

  static List<Case> cases() {
    return List.of(
        // eval-queries > 0: the manifest's quality (recall per nprobe) is compared too, and
        // targetRecall searches read it.
        new Case("flat-l2-long", "long", "IVF8,Flat", "l2", 1, 20),
        // The graph over the centroids in model.kiln (format version 3).
        new Case("hnsw-pq-l2-long", "long", "IVF8_HNSW4,PQ4", "l2", 1, 0),
        // HNSW{M}: a graph file per shard over its items (format version 3, later).
        new Case("graph-ip-string-2shards", "string", "HNSW8", "ip", 2, 0),
        // HNSW{M},SQ8 with RFlat: 8-bit shards, SQ8's ranges in the model, refine files.
        new Case("graph-sq8-rflat-l2-long", "long", "HNSW8,SQ8,RFlat", "l2", 1, 0),
        new Case("pq-ip-long-2shards", "long", "IVF8,PQ4", "ip", 2, 0),
        new Case("pq-l2-int", "int", "IVF8,PQ4", "l2", 1, 0),
        new Case("rflat-cosine-long", "long", "IVF8,PQ4,RFlat", "cosine", 1, 0),
        // String ids, two invalid rows set aside (_rejects, counted in the manifest), 2 shards.
        new Case("sq8-l2-string-2shards", "string", "IVF8,PQ4,Refine(SQ8)", "l2", 2, 0));
  }

  private final Map<String, String> inputs = new TreeMap<>();
  private final Map<String, Path> built = new TreeMap<>();
  private float[][] vectors;
  private float[][] queries;

  @BeforeAll
  void buildAll(SparkSession spark, @TempDir Path tmp) throws IOException {
    // Seeded blobs, so lists and PQ codes are meaningful; ids of three kinds over the same rows.
    vectors = KilnTestData.blobs(new Random(15), 16, N / 16, DIM, 2, 1).points();
    inputs.put("long", KilnTestData.writeVectors(spark, tmp.resolve("in-long"),
        KilnTestData.longIds(N), vectors));
    inputs.put("int", KilnTestData.writeVectors(spark, tmp.resolve("in-int"),
        KilnTestData.intIds(N), vectors));
    List<Row> rows = new ArrayList<>(KilnTestData.rows(KilnTestData.stringIds(N), vectors, false));
    List<Object> withNaN = KilnTestData.boxed(vectors[0], false);
    withNaN.set(2, Float.NaN);
    rows.add(RowFactory.create("bad-nan", withNaN));
    rows.add(RowFactory.create("bad-dim", KilnTestData.boxed(new float[DIM - 1], false)));
    inputs.put("string", KilnTestData.writeParquet(spark, tmp.resolve("in-string"),
        KilnTestData.schema("id", DataTypes.StringType, "embedding", KilnTestData.FLOAT_ARRAY), rows));

    // Queries: random points, and input rows moved a little (near, not equal, to an item).
    Random rnd = new Random(16);
    queries = new float[6][];
    float[][] far = KilnTestData.gaussian(rnd, 3, DIM, 2);
    for (int i = 0; i < 3; i++) {
      queries[i] = far[i];
      float[] q = vectors[rnd.nextInt(N)].clone();
      for (int j = 0; j < DIM; j++) {
        q[j] += (float) (0.05 * rnd.nextGaussian());
      }
      queries[3 + i] = q;
    }

    for (Case c : cases()) {
      Path root = tmp.resolve("out-" + c.name());
      CliRun run = KilnTestData.cli("build", "--input", inputs.get(c.input()),
          "--output", root.toString(), "--version", VERSION, "--index", c.index(),
          "--metric", c.metric(), "--shards", Integer.toString(c.shards()), "--seed", "15",
          "--kmeans-iterations", "6", "--pq-iterations", "6",
          "--max-reject-fraction", "0.01", "--eval-queries", Integer.toString(c.evalQueries()),
          "--progress", "none");
      assertEquals(0, run.exitCode(), c.name() + ": kiln build failed:\n" + run.err());
      Path dir = KilnTestData.versionDir(root, VERSION);
      built.put(c.name(), dir);
      if (REGENERATE) {
        regenerate(c, dir);
      }
    }
  }

  // ------------------------------------------------------------------ published files

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void publishedFilesAreByteIdentical(Case c) throws IOException {
    Path golden = goldenDir(c);
    Path fresh = built.get(c.name());
    Map<String, Path> want = indexFiles(golden);
    Map<String, Path> got = indexFiles(fresh);
    assertEquals(want.keySet(), got.keySet(), c.name() + ": files of the version");
    assertTrue(want.containsKey(IndexLayout.MANIFEST), "golden " + c.name() + " has no manifest");
    for (String name : want.keySet()) {
      if (name.equals(IndexLayout.MANIFEST)) {
        assertSameManifest(c, want.get(name), got.get(name));
      } else {
        assertSameBytes(c, name, Files.readAllBytes(want.get(name)), Files.readAllBytes(got.get(name)));
      }
    }
  }

  /** The version's files but report.html (timings) and _rejects/ (Spark's random file names). */
  private static Map<String, Path> indexFiles(Path dir) throws IOException {
    Map<String, Path> out = new TreeMap<>();
    try (Stream<Path> s = Files.list(dir)) {
      s.filter(Files::isRegularFile)
          .filter(p -> !KilnTestData.isChecksum(p))
          .filter(p -> p.getFileName().toString().endsWith(".kiln")
              || p.getFileName().toString().equals(IndexLayout.MANIFEST))
          .forEach(p -> out.put(p.getFileName().toString(), p));
    }
    return out;
  }

  private static void assertSameBytes(Case c, String name, byte[] want, byte[] got) {
    int n = Math.min(want.length, got.length);
    for (int i = 0; i < n; i++) {
      if (want[i] != got[i]) {
        fail(String.format("golden/%s/%s: the new build differs at byte offset %d (0x%x): golden "
            + "0x%02x, built 0x%02x (lengths %d and %d)", c.name(), name, i, i, want[i] & 0xff,
            got[i] & 0xff, want.length, got.length));
      }
    }
    if (want.length != got.length) {
      fail(String.format("golden/%s/%s: the new build differs at byte offset %d: golden is %d "
          + "bytes long, built %d", c.name(), name, n, want.length, got.length));
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private static void assertSameManifest(Case c, Path want, Path got) throws IOException {
    JsonNode w = stable(JSON.readTree(want.toFile()));
    JsonNode g = stable(JSON.readTree(got.toFile()));
    String kernels = recordedKernels(c);
    if (!kernels.equals(VectorizationProvider.kernels().name())) {
      // The k-means objective is a sum of kernel distances: other kernels round it differently
      // (the binary files do not change: checked with -Dkiln.vector=scalar against panama(512-bit)).
      double wo = ((ObjectNode) w.get("build")).remove("kmeansObjective").asDouble();
      double go = ((ObjectNode) g.get("build")).remove("kmeansObjective").asDouble();
      assertEquals(wo, go, 1e-6 * Math.abs(wo), "golden/" + c.name() + "/manifest.json: "
          + "build.kmeansObjective (recorded with " + kernels + ", running "
          + VectorizationProvider.kernels().name() + ")");
    }
    String where = firstDifference(w, g, "");
    if (where != null) {
      fail("golden/" + c.name() + "/manifest.json: the new build's manifest differs at " + where
          + "\n golden: " + w.toPrettyString() + "\n built: " + g.toPrettyString());
    }
  }

  /**
   * The manifest without what differs from run to run or machine to machine: the time it was
   * written, stage timings, measured latencies and QPS, the kernels' name, the input's path and
   * its files' modification times, sizes and listing (the fingerprint's configuration entries
   * stay: a re-run after the change must still be recognised as the same build), and the
   * Spark and Kiln version strings.
   */
  static JsonNode stable(JsonNode manifest) {
    ObjectNode m = manifest.deepCopy();
    m.remove(List.of("createdAt", "timings"));
    if (m.get("build") instanceof ObjectNode b) {
      b.remove(List.of("input", "spark", "kiln"));
      if (b.get("fingerprint") instanceof ObjectNode f) {
        f.remove(List.of("input", "inputBytes", "inputModified", "inputListing"));
      }
    }
    if (m.get("quality") instanceof ObjectNode q) {
      q.remove("kernels");
      if (q.get("curve") instanceof ArrayNode curve) {
        for (JsonNode point : curve) {
          ((ObjectNode) point).remove(List.of("p50Ms", "p99Ms", "qps"));
        }
      }
    }
    return m;
  }

  /** The JSON path of the first difference, or null when equal. */
  private static String firstDifference(JsonNode w, JsonNode g, String path) {
    if (w == null || g == null) {
      return w == g ? null : (path.isEmpty() ? "/" : path) + " (present in only one)";
    }
    if (w.isObject() && g.isObject()) {
      TreeMap<String, Boolean> names = new TreeMap<>();
      w.fieldNames().forEachRemaining(n -> names.put(n, true));
      g.fieldNames().forEachRemaining(n -> names.put(n, true));
      for (String n : names.keySet()) {
        String d = firstDifference(w.get(n), g.get(n), path + "/" + n);
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    if (w.isArray() && g.isArray()) {
      if (w.size() != g.size()) {
        return path + " (" + w.size() + " elements, built " + g.size() + ")";
      }
      for (int i = 0; i < w.size(); i++) {
        String d = firstDifference(w.get(i), g.get(i), path + "/" + i);
        if (d != null) {
          return d;
        }
      }
      return null;
    }
    return w.equals(g) ? null : path + " (golden " + w + ", built " + g + ")";
  }

  // ------------------------------------------------------------------ search results

  /** A named way to search: parameters and k. */
  record Search(String label, int k, SearchParams params) {}

  private static List<Search> searches(Case c, boolean stringIds) {
    IdFilter filter = stringIds
        ? IdFilter.keys(key -> key.indexOf('3') < 0)
        : IdFilter.ids(id -> Math.floorMod(id, 3) != 0);
    List<Search> out = new ArrayList<>(List.of(
        new Search("k=10 nprobe=1", 10, SearchParams.nprobe(1)),
        new Search("k=10 nprobe=3", 10, SearchParams.nprobe(3)),
        new Search("k=10 nprobe=" + NLIST, 10, SearchParams.nprobe(NLIST)),
        new Search("k=1 nprobe=2", 1, SearchParams.nprobe(2)),
        new Search("k=40 nprobe=" + NLIST, 40, SearchParams.nprobe(NLIST)),
        new Search("k=10 nprobe=4 filtered", 10, SearchParams.nprobe(4).withFilter(filter))));
    if (c.index().contains("RFlat") || c.index().contains("Refine")) {
      out.add(new Search("k=10 nprobe=4 refine=1", 10, SearchParams.nprobe(4).withRefineFactor(1)));
      out.add(new Search("k=10 nprobe=4 refine=16", 10, SearchParams.nprobe(4).withRefineFactor(16)));
    }
    if (c.evalQueries() > 0) {
      out.add(new Search("k=10 targetRecall=0.95", 10, SearchParams.targetRecall(0.95)));
    }
    return out;
  }

  /** One line per (search, query): {@code label<TAB>q<i><TAB>id score<TAB>id score...}. */
  private List<String> answers(Case c, Path versionDir) throws IOException {
    List<String> lines = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (KilnIndex index = KilnIndex.open(versionDir, new OpenOptions(true))) {
      boolean stringIds = c.input().equals("string");
      for (Search s : searches(c, stringIds)) {
        Neighbors[] batch = index.search(queries, s.k(), s.params());
        Neighbors[] pooled = index.searchBatch(queries, s.k(), s.params(), pool);
        for (int i = 0; i < queries.length; i++) {
          Neighbors one = index.search(queries[i], s.k(), s.params());
          // The three entry points must agree exactly; the single search is what is recorded.
          assertEquals(one, batch[i], c.name() + " " + s.label() + " q" + i + ": batch search");
          assertEquals(one, pooled[i], c.name() + " " + s.label() + " q" + i + ": searchBatch");
          lines.add(line(s.label(), i, one));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    lines.addAll(servingAnswers(c, versionDir));
    return lines;
  }

  private static String line(String label, int query, Neighbors result) {
    StringBuilder line = new StringBuilder(label).append("\tq").append(query);
    for (int r = 0; r < result.size(); r++) {
      line.append('\t').append(result.idString(r)).append(' ').append(result.scores()[r]);
    }
    return line.toString();
  }

  /**
   * The same version served by {@link ServingIndex} with fresh items beside it: three new items,
   * one item of the version replaced and one deleted. This pins ServingIndex's own probe and
   * merge of the fresh set with the version's top-k.
   */
  private List<String> servingAnswers(Case c, Path versionDir) throws IOException {
    boolean stringIds = c.input().equals("string");
    ServingOptions options = new ServingOptions(Duration.ZERO, true, 100, m -> null,
        InstantSource.fixed(Instant.EPOCH), SwapListener.NONE, ServingOptions.DEFAULT_FRESH_GRAPH_FROM);
    List<String> lines = new ArrayList<>();
    try (ServingIndex serving = ServingIndex.open(versionDir, options)) {
      // The item nearest query 3 (an input row moved a little) goes; item 5 moves next to query 4.
      Neighbors nearest;
      try (VersionPin pin = serving.pin()) {
        nearest = pin.index().search(queries[3], 1, SearchParams.nprobe(NLIST));
      }
      String replaced = stringIds ? KilnTestData.stringIds(N)[5]
          : c.input().equals("int") ? KilnTestData.intIds(N)[5].toString()
          : KilnTestData.longIds(N)[5].toString();
      float[] moved = shifted(queries[4], 0.02f);
      if (stringIds) {
        serving.delete(nearest.keys()[0]);
        serving.upsert(replaced, moved);
      } else {
        serving.delete(nearest.ids()[0]);
        serving.upsert(Long.parseLong(replaced), moved);
      }
      for (int f = 0; f < 3; f++) {
        float[] v = shifted(queries[f], 0.03f * (f + 1));
        if (stringIds) {
          serving.upsert("fresh-" + f, v);
        } else {
          serving.upsert(1_000_000_001L + f, v);
        }
      }
      for (Search s : searches(c, stringIds)) {
        for (int i = 0; i < queries.length; i++) {
          lines.add(line("serving " + s.label(), i, serving.search(queries[i], s.k(), s.params())));
        }
      }
    }
    return lines;
  }

  /** v + delta * (1, 2, 3, ...) / d: near v, and not equal to any input row. */
  private static float[] shifted(float[] v, float delta) {
    float[] out = v.clone();
    for (int j = 0; j < out.length; j++) {
      out[j] += delta * (j + 1) / out.length;
    }
    return out;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void goldenVersionsAnswerAsRecorded(Case c) throws IOException {
    Path golden = goldenDir(c);
    List<String> recorded = Files.readAllLines(golden.resolve(SEARCH_FILE), StandardCharsets.UTF_8);
    String kernels = recordedKernels(c);
    List<String> want = recorded.subList(1, recorded.size());
    List<String> got = answers(c, golden);
    // Scores are sums in float: another SIMD width (or the scalar kernels) may round them
    // differently in the last bits, so only the kernels that wrote the file are held to bits.
    boolean exact = kernels.equals(VectorizationProvider.kernels().name());
    assertEquals(want.size(), got.size(), c.name() + ": number of answers in " + SEARCH_FILE);
    for (int i = 0; i < want.size(); i++) {
      String[] w = want.get(i).split("\t");
      String[] g = got.get(i).split("\t");
      String what = "golden/" + c.name() + "/" + SEARCH_FILE + " line " + (i + 2) + " (" + w[0]
          + " " + w[1] + ")";
      assertEquals(w.length, g.length, what + ": number of results\n golden: " + want.get(i)
          + "\n loaded: " + got.get(i));
      for (int r = 2; r < w.length; r++) {
        String[] we = w[r].split(" ");
        String[] ge = g[r].split(" ");
        float ws = Float.parseFloat(we[1]);
        float gs = Float.parseFloat(ge[1]);
        boolean sameScore = exact
            ? Float.floatToIntBits(ws) == Float.floatToIntBits(gs)
            : Math.abs(ws - gs) <= 1e-5 * Math.max(1, Math.abs(ws));
        if (!we[0].equals(ge[0]) || !sameScore) {
          fail(what + ", rank " + (r - 2) + ": golden " + w[r] + ", loaded " + g[r]
              + (exact ? "" : " (scores within 1e-5: recorded with " + kernels + ", running "
                  + VectorizationProvider.kernels().name() + ")")
              + "\n golden: " + want.get(i) + "\n loaded: " + got.get(i));
        }
      }
    }
  }

  // ------------------------------------------------------------------ fixtures

  /** {@code builder-job/src/test/resources/golden}: Maven runs tests in the module directory. */
  private static Path goldenRoot() {
    return Path.of(System.getProperty("basedir", ""), "src", "test", "resources", "golden")
        .toAbsolutePath();
  }

  private static Path goldenDir(Case c) {
    Path dir = goldenRoot().resolve(c.name());
    assertTrue(Files.isDirectory(dir), "no golden files at " + dir
        + " (run with -Dkiln.golden.regenerate=true to write them, see GoldenFilesTest)");
    return dir;
  }

  /** The kernels the golden files were written with: the first line of search.txt. */
  private static String recordedKernels(Case c) throws IOException {
    String first = Files.readAllLines(goldenDir(c).resolve(SEARCH_FILE), StandardCharsets.UTF_8).get(0);
    assertTrue(first.startsWith(KERNELS_LINE), "golden/" + c.name() + "/" + SEARCH_FILE
        + " must start with '" + KERNELS_LINE + "...'");
    return first.substring(KERNELS_LINE.length());
  }

  /** Replaces golden/<case>/ with the version just built and the answers the loader gives on it. */
  private void regenerate(Case c, Path fresh) throws IOException {
    Path dir = goldenRoot().resolve(c.name());
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.list(dir)) {
        for (Path p : s.toList()) {
          Files.delete(p);
        }
      }
    }
    Files.createDirectories(dir);
    for (Map.Entry<String, Path> e : indexFiles(fresh).entrySet()) {
      Files.copy(e.getValue(), dir.resolve(e.getKey()), StandardCopyOption.REPLACE_EXISTING);
    }
    List<String> lines = new ArrayList<>();
    lines.add(KERNELS_LINE + VectorizationProvider.kernels().name());
    lines.addAll(answers(c, dir));
    Files.write(dir.resolve(SEARCH_FILE), lines, StandardCharsets.UTF_8);
    System.err.println("GoldenFilesTest: REGENERATED " + dir);
  }
}
