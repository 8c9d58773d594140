package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.FormatOutput;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardHash;
import dev.kiln.format.ShardFile;
import dev.kiln.format.ShardFileWriter;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ScalarQuantizer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * Shared test support: seeded random data, double-precision reference arithmetic, a publisher
 * that writes a real index version with only the format writers and the loader's own {@link
 * IndexModel} (as the Spark job does), and a top-k assertion that tolerates only genuine
 * near-ties.
 */
public final class TestIndexes {
  /** Scores are compared within this relative tolerance (absolute below magnitude 1). */
  public static final double TOLERANCE = 1e-4;

  private static final String[] KEY_SUFFIXES = {"", "-é", "-日本語", "-😀", "-Ωμέγα", "-ß"};

  private TestIndexes() {}

  // ---------------------------------------------------------------- data

  /** Deletes {@code root} and everything under it (benchmarks' temporary index roots). */
  public static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  public static float[] gaussian(Random rnd, int d) {
    float[] x = new float[d];
    for (int i = 0; i < d; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    return x;
  }

  public static float[][] gaussian(Random rnd, int n, int d) {
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      rows[i] = gaussian(rnd, d);
    }
    return rows;
  }

  /** A random value of magnitude in [0.5, 1.5) and random sign: never close to zero. */
  public static float awayFromZero(Random rnd) {
    float v = 0.5f + rnd.nextFloat();
    return rnd.nextBoolean() ? v : -v;
  }

  public static float[] flatten(float[][] rows) {
    int d = rows[0].length;
    float[] out = new float[rows.length * d];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(rows[i], 0, out, i * d, d);
    }
    return out;
  }

  /** {@code n} distinct random int64 ids, negative ones included. */
  public static long[] randomIds(Random rnd, int n) {
    Set<Long> ids = new LinkedHashSet<>();
    while (ids.size() < n) {
      ids.add(rnd.nextLong());
    }
    return ids.stream().mapToLong(Long::longValue).toArray();
  }

  /** {@code n} distinct string ids, many of them non-ASCII (accents, CJK, emoji). */
  public static String[] randomKeys(Random rnd, int n) {
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = "item-" + Integer.toString(rnd.nextInt(1 << 20), 36) + "-" + i
          + KEY_SUFFIXES[rnd.nextInt(KEY_SUFFIXES.length)];
    }
    return keys;
  }

  /** {@code k} distinct rows chosen at random, flattened: stand-in k-means centroids. */
  public static float[] sampleRows(float[][] rows, int k, Random rnd) {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < rows.length; i++) {
      order.add(i);
    }
    Collections.shuffle(order, rnd);
    float[][] picked = new float[k][];
    for (int i = 0; i < k; i++) {
      picked[i] = rows[order.get(i)];
    }
    return flatten(picked);
  }

  /**
   * Stand-in PQ codebooks (M x ksub x d/M): sub-vectors of the residuals of random rows to their
   * assigned centroid. Training quality is not the point; each codeword is a plausible residual.
   */
  public static float[] residualCodebooks(
      float[][] rows, float[] centroids, Metric metric, IndexSpec spec, Random rnd) {
    int d = rows[0].length;
    int m = spec.pqM();
    int dsub = d / m;
    IndexModel coarseOnly =
        new IndexModel(metric, IndexSpec.flat(spec.nlist()), d, centroids, null);
    int ksub = spec.pqCentroids();
    float[] books = new float[ksub * d];
    for (int j = 0; j < m; j++) {
      for (int c = 0; c < ksub; c++) {
        float[] x = rows[rnd.nextInt(rows.length)];
        int list = coarseOnly.coarse().assign(x);
        for (int t = 0; t < dsub; t++) {
          int dim = j * dsub + t;
          books[(j * ksub + c) * dsub + t] = x[dim] - centroids[list * d + dim];
        }
      }
    }
    return books;
  }

  // ---------------------------------------------------------------- reference arithmetic

  public static double dot(float[] a, int aOff, float[] b, int bOff, int len) {
    double s = 0;
    for (int i = 0; i < len; i++) {
      s += (double) a[aOff + i] * b[bOff + i];
    }
    return s;
  }

  public static double squareDistance(float[] a, int aOff, float[] b, int bOff, int len) {
    double s = 0;
    for (int i = 0; i < len; i++) {
      double t = (double) a[aOff + i] - b[bOff + i];
      s += t * t;
    }
    return s;
  }

  /**
   * The score the index should report for {@code x} as stored: squared L2 distance, inner
   * product, or for cosine the inner product with the normalized query.
   */
  public static double score(Metric metric, float[] q, float[] x) {
    return switch (metric) {
      case L2 -> squareDistance(q, 0, x, 0, q.length);
      case IP -> dot(q, 0, x, 0, q.length);
      case COSINE -> dot(q, 0, x, 0, q.length) / Math.sqrt(dot(q, 0, q, 0, q.length));
    };
  }

  public static double tolerance(double expected) {
    return TOLERANCE * Math.max(1, Math.abs(expected));
  }

  public static void assertClose(double expected, double actual, String what) {
    assertTrue(
        Math.abs(expected - actual) <= tolerance(expected),
        () -> what + ": expected " + expected + " but got " + actual);
  }

  // ---------------------------------------------------------------- publishing

  /** Starts describing an index over {@code vectors}; finish with {@link Build#publish}. */
  public static Build index(float[][] vectors, Metric metric, IndexSpec spec) {
    return new Build(vectors, metric, spec);
  }

  /** What to publish. Defaults: ids 0..n-1, centroids and codebooks sampled with seed 1. */
  public static final class Build {
    private final float[][] vectors;
    private final Metric metric;
    private final IndexSpec spec;
    private long[] ids;
    private String[] keys;
    private float[] centroids;
    private float[] codebooks;
    private int shards = 1;
    private boolean l2Table = true;
    private boolean terms = true;
    private String version = "v1";
    private long seed = 1;

    private Build(float[][] vectors, Metric metric, IndexSpec spec) {
      this.vectors = vectors;
      this.metric = metric;
      this.spec = spec;
    }

    public Build ids(long[] ids) {
      this.ids = ids;
      this.keys = null;
      return this;
    }

    public Build keys(String[] keys) {
      this.keys = keys;
      this.ids = null;
      return this;
    }

    public Build centroids(float[] centroids) {
      this.centroids = centroids;
      return this;
    }

    public Build codebooks(float[] codebooks) {
      this.codebooks = codebooks;
      return this;
    }

    public Build shards(int shards) {
      this.shards = shards;
      return this;
    }

    /** Writes model.kiln without the precomputed L2 table (the loader's fallback path). */
    public Build withoutL2Table() {
      this.l2Table = false;
      return this;
    }

    /** Writes shards without the items' L2 terms, as version 1 did (the loader's v1 path). */
    public Build withoutTerms() {
      this.terms = false;
      return this;
    }

    public Build version(String version) {
      this.version = version;
      return this;
    }

    public Build seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Writes ROOT/_staging/ID, moves it to ROOT/versions/ID and points ROOT/LATEST at it.
     * Vectors are normalized first for cosine, as the build does.
     */
    public Published publish(Path root) throws IOException {
      int n = vectors.length;
      int d = vectors[0].length;
      Random rnd = new Random(seed);
      float[][] stored = new float[n][];
      for (int i = 0; i < n; i++) {
        stored[i] = vectors[i].clone();
        if (metric == Metric.COSINE) {
          IndexModel.normalize(stored[i], 0, d);
        }
      }
      float[] cents = centroids != null ? centroids : sampleRows(stored, spec.nlist(), rnd);
      float[] books = null;
      if (spec.encoding() == IndexSpec.Encoding.PQ) {
        books = codebooks != null ? codebooks : residualCodebooks(stored, cents, metric, spec, rnd);
      }
      IndexModel model = new IndexModel(metric, spec, d, cents, books);

      float[] flat = flatten(stored);
      int[] lists = new int[n];
      model.coarse().assign(flat, n, lists, null);
      byte[][] codes = new byte[n][model.codeSize()];
      float[] residual = new float[d];
      for (int i = 0; i < n; i++) {
        model.encode(flat, i * d, lists[i], codes[i], residual);
      }
      long[] itemIds = ids == null && keys == null ? defaultIds(n) : ids;
      Published p = new Published(root, root.resolve(IndexLayout.versionDir(version)), model,
          stored, itemIds, keys, lists, codes);
      write(p, root.resolve(IndexLayout.STAGING).resolve(version));
      return p;
    }

    private static long[] defaultIds(int n) {
      long[] out = new long[n];
      Arrays.setAll(out, i -> i);
      return out;
    }

    private void write(Published p, Path staging) throws IOException {
      Files.createDirectories(staging);
      IndexModel model = p.model();
      int d = model.dim();
      boolean stringIds = p.keys() != null;
      List<Manifest.FileEntry> files = new ArrayList<>();
      int modelCrc = writeFile(staging, ModelFile.NAME, files,
          out -> ModelFile.write(out, metric, d, spec, model.coarse().centroids(),
              model.pq() == null ? null : model.pq().codebooks(),
              l2Table ? model.precomputedL2Table() : null, model.graph()));

      for (int s = 0; s < shards; s++) {
        int shard = s;
        Integer[] items = p.shardItems(s, shards);
        long[] listSizes = new long[spec.nlist()];
        for (int i : items) {
          listSizes[p.lists()[i]]++;
        }
        writeFile(staging, ShardFile.fileName(s), files, out -> {
          boolean withTerms = terms && model.termBytes() > 0;
          ShardFileWriter w = new ShardFileWriter(out, shard, shards, d, spec.codeSize(d),
              spec.isFastScan(), withTerms, stringIds ? IdType.STRING : IdType.LONG, modelCrc,
              listSizes);
          float[] term = new float[1];
          for (int i : items) {
            int list = p.lists()[i];
            if (withTerms) {
              model.l2Terms(p.codes()[i], 1, new int[] {list}, term);
            }
            if (stringIds) {
              w.add(list, p.codes()[i], term[0]);
            } else {
              w.add(list, p.ids()[i], p.codes()[i], term[0]);
            }
          }
          return w.finish();
        });
        if (spec.hasRefine()) {
          // As the build does: SQ8 trained on the (here: all) vectors, stored in ordinal order.
          ScalarQuantizer sq = spec.refine() == IndexSpec.Refine.SQ8
              ? ScalarQuantizer.train(flatten(p.vectors()), p.size(), d) : null;
          int bytes = spec.refine().bytesPerVector(d);
          writeFile(staging, RefineFile.fileName(s), files, out -> {
            RefineFile.Writer w = new RefineFile.Writer(out, shard, d, spec.refine(), modelCrc,
                items.length, sq == null ? null : sq.base(), sq == null ? null : sq.step());
            byte[] code = new byte[bytes];
            for (int i : items) {
              if (sq == null) {
                ByteBuffer.wrap(code).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .put(p.vectors()[i]);
              } else {
                sq.encode(p.vectors()[i], 0, code, 0);
              }
              w.add(code, 0);
            }
            return w.finish();
          });
        }
        if (stringIds) {
          long bytes = 0;
          for (int i : items) {
            bytes += p.keys()[i].getBytes(StandardCharsets.UTF_8).length;
          }
          long dataLength = bytes;
          writeFile(staging, KeysFile.fileName(s), files, out -> {
            KeysFile.Writer w = new KeysFile.Writer(out, shard, items.length, dataLength);
            for (int i : items) {
              w.add(p.keys()[i]);
            }
            return w.finish();
          });
        }
      }

      Manifest manifest = Manifest.builder().version(version).createdAt("2025-01-01T00:00:00Z")
          .index(spec.toString()).metric(metric.cliName()).dim(d).count(p.size())
          .idType(stringIds ? "string" : "long").shards(shards).files(files).create();
      try (OutputStream out = Files.newOutputStream(staging.resolve(IndexLayout.MANIFEST))) {
        manifest.write(out);
      }
      Files.createDirectories(p.versionDir().getParent());
      Files.move(staging, p.versionDir());
      // As the Publisher does: LATEST is replaced by a rename, so a reader never sees it half
      // written.
      Path latestTmp = p.root().resolve(IndexLayout.STAGING).resolve("LATEST-" + version);
      Files.writeString(latestTmp, version + "\n");
      Files.move(latestTmp, p.root().resolve(IndexLayout.LATEST),
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
    }
  }

  @FunctionalInterface
  private interface Body {
    int write(FormatOutput out) throws IOException;
  }

  private static int writeFile(Path dir, String name, List<Manifest.FileEntry> files, Body body)
      throws IOException {
    Path path = dir.resolve(name);
    int crc;
    try (FormatOutput out =
        new FormatOutput(new BufferedOutputStream(Files.newOutputStream(path)))) {
      crc = body.write(out);
    }
    files.add(Manifest.FileEntry.of(name, Files.size(path), crc));
    return crc;
  }

  public static Manifest readManifest(Path versionDir) throws IOException {
    Path path = versionDir.resolve(IndexLayout.MANIFEST);
    try (InputStream in = Files.newInputStream(path)) {
      return Manifest.read(in, path.toString());
    }
  }

  /** Rewrites a version's manifest with its file list changed by {@code edit}. */
  public static void editManifestFiles(
      Path versionDir, UnaryOperator<List<Manifest.FileEntry>> edit) throws IOException {
    Manifest m = readManifest(versionDir);
    Manifest edited = m.toBuilder().files(edit.apply(new ArrayList<>(m.files()))).create();
    try (OutputStream out = Files.newOutputStream(versionDir.resolve(IndexLayout.MANIFEST))) {
      edited.write(out);
    }
  }

  /**
   * A published version and everything the test needs to predict its answers: the vectors as
   * indexed (normalized for cosine), each item's list and code, and its id or key.
   */
  public static final class Published {
    private final Path root;
    private final Path versionDir;
    private final IndexModel model;
    private final float[][] vectors;
    private final long[] ids;
    private final String[] keys;
    private final int[] lists;
    private final byte[][] codes;
    private final Map<Object, Integer> itemById = new HashMap<>();

    Published(Path root, Path versionDir, IndexModel model, float[][] vectors, long[] ids,
        String[] keys, int[] lists, byte[][] codes) {
      this.root = root;
      this.versionDir = versionDir;
      this.model = model;
      this.vectors = vectors;
      this.ids = ids;
      this.keys = keys;
      this.lists = lists;
      this.codes = codes;
      for (int i = 0; i < vectors.length; i++) {
        itemById.put(keys != null ? keys[i] : (Object) ids[i], i);
      }
    }

    public Path root() {
      return root;
    }

    public Path versionDir() {
      return versionDir;
    }

    public IndexModel model() {
      return model;
    }

    /** The vectors as indexed (normalized for cosine). */
    public float[][] vectors() {
      return vectors;
    }

    /** int64 ids, or null when the index has string ids. */
    public long[] ids() {
      return ids;
    }

    /** String ids, or null when the index has int64 ids. */
    public String[] keys() {
      return keys;
    }

    public int[] lists() {
      return lists;
    }

    public byte[][] codes() {
      return codes;
    }

    public int size() {
      return vectors.length;
    }

    public KilnIndex open() throws IOException {
      return KilnIndex.open(versionDir);
    }

    /** The item (row number) result {@code rank} names, by its id or key. */
    public int itemOf(Neighbors n, int rank) {
      Integer item = itemById.get(keys != null ? n.keys()[rank] : (Object) n.ids()[rank]);
      assertTrue(item != null, () -> "result " + rank + " names an unknown item: " + n);
      return item;
    }

    /** The shard an item goes to: the build's rule ({@link ShardHash}). */
    int shardOf(int item, int shards) {
      return keys != null ? ShardHash.shardOf(keys[item], shards)
          : ShardHash.shardOf(ids[item], shards);
    }

    /** The items of one shard in file order: by list, then by id (or key). */
    Integer[] shardItems(int shard, int shards) {
      Comparator<Integer> byList = Comparator.comparingInt(i -> lists[i]);
      Comparator<Integer> order = keys != null
          ? byList.thenComparing(i -> keys[i])
          : byList.thenComparingLong(i -> ids[i]);
      return IntStream.range(0, size())
          .filter(i -> shardOf(i, shards) == shard)
          .boxed()
          .sorted(order)
          .toArray(Integer[]::new);
    }

    /**
     * Which items lie in the lists a query probes, as the loader's coarse quantizer picks them;
     * every item when {@code nprobe >= nlist}.
     */
    public boolean[] probed(float[] query, int nprobe) {
      int nlist = model.spec().nlist();
      if (nprobe >= nlist) {
        return all(size());
      }
      float[] q = query.clone();
      if (model.metric() == Metric.COSINE) {
        IndexModel.normalize(q, 0, q.length);
      }
      long[] probeLists = new long[nlist];
      int p = model.coarse().probe(
          q, nprobe, new dev.kiln.quantize.TopK(), probeLists, new float[nlist],
          new float[model.coarse().scratchLength()]);
      boolean[] listProbed = new boolean[nlist];
      for (int i = 0; i < p; i++) {
        listProbed[(int) probeLists[i]] = true;
      }
      boolean[] out = new boolean[size()];
      for (int i = 0; i < size(); i++) {
        out[i] = listProbed[lists[i]];
      }
      return out;
    }

    /**
     * Asserts {@code actual} is the top {@code k} of the {@code eligible} items by {@code
     * expected} (each item's exact score): distinct eligible items, best first, each reported
     * score within tolerance of the item's exact one, and the score at each rank equal to the
     * brute-force score at that rank. Items may differ from brute force only on a near-tie.
     */
    public void assertTopK(double[] expected, boolean[] eligible, int k, Neighbors actual) {
      boolean higherIsBetter = model.metric().higherIsBetter();
      Comparator<Integer> better = Comparator.comparingDouble(i -> expected[i]);
      Integer[] truth = IntStream.range(0, size())
          .filter(i -> eligible[i])
          .boxed()
          .sorted(higherIsBetter ? better.reversed() : better)
          .limit(k)
          .toArray(Integer[]::new);
      assertEquals(truth.length, actual.size(), () -> "result count of " + actual);
      assertEquals(keys != null, actual.hasStringIds());
      assertEquals(actual.size(), keys != null ? actual.keys().length : actual.ids().length);
      Set<Integer> seen = new HashSet<>();
      for (int r = 0; r < truth.length; r++) {
        int item = itemOf(actual, r);
        int rank = r;
        assertTrue(seen.add(item), () -> "item " + item + " returned twice: " + actual);
        assertTrue(eligible[item], () -> "item " + item + " is not in a probed list");
        assertClose(expected[item], actual.scores()[r], "score of item " + item + " at rank " + r);
        if (item != truth[r]) {
          assertClose(expected[truth[r]], expected[item],
              "rank " + rank + ": got item " + item + ", brute force has item " + truth[r]);
        }
        if (r > 0) {
          float prev = actual.scores()[r - 1];
          float cur = actual.scores()[r];
          assertTrue(higherIsBetter ? prev >= cur : prev <= cur,
              () -> "results not best-first at rank " + rank + ": " + actual);
        }
      }
    }
  }

  private static boolean[] all(int n) {
    boolean[] out = new boolean[n];
    Arrays.fill(out, true);
    return out;
  }
}
