package dev.kiln.search;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.FileChecks;
import dev.kiln.format.FileFormat;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Manifest;
import dev.kiln.format.Quality;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardFile;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.quantize.TopK;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.LongPredicate;
import java.util.function.Predicate;

/**
 * A published Kiln index version, mapped read-only. Opening reads the manifest and the model,
 * maps every shard and checks headers and directories: the cost depends on nlist and the number
 * of shards, never on the number of items, and no list is copied to the heap. Many processes
 * opening the same files share one copy in the page cache.
 *
 * <p>{@link #search} is thread-safe; each thread reuses its own scratch space.
 *
 * <pre>{@code
 * try (KilnIndex index = KilnIndex.open(Path.of("/srv/index"))) {   // a root (follows LATEST)
 *   Neighbors n = index.search(query, 10, SearchParams.nprobe(16)); // or a version directory
 * }
 * }</pre>
 */
public final class KilnIndex implements AutoCloseable {

  /**
   * How to open: {@link #verifyChecksums} reads every byte once to check each file's CRC32C
   * against its footer and the manifest. Without it, open checks headers, directories and how
   * the files fit together, but not the bodies: a damaged code, centroid or id is served as it
   * reads (a wrong answer, never a crash). Verify where files may have been damaged since they
   * were published (a copy, a disk error); {@code kiln sync} always does.
   */
  public record OpenOptions(boolean verifyChecksums) {
    public static OpenOptions defaults() {
      return new OpenOptions(false);
    }
  }

  private final Path versionDir;
  private final Manifest manifest;
  private final IndexModel model;
  /** The metric's query preparation, distances and score mapping. */
  private final MetricStrategy metric;
  /** The model's precomputed L2 table, mapped (null when the model has none). */
  private final ByteBuffer l2Table;
  private final ShardFile[] shards;
  private final KeysFile[] keys;
  /** One per shard when the spec has a refine stage, else empty. */
  private final RefineFile[] refine;
  /** SQ8 refine only: how stored bytes decode (the same in every shard). */
  private final float[] sq8Base;
  private final float[] sq8Step;
  /** Top-k refs are (shard, ordinal) rather than int64 ids: for string keys and for refine. */
  private final boolean ordinalRefs;
  private final int maxListSize;
  private final ThreadLocal<Scratch> scratch;
  private volatile boolean closed;

  /** The recall curve the build measured, or null; read once, for {@link #nprobeFor}. */
  private final Quality quality;

  private KilnIndex(VersionFiles files) {
    Path versionDir = files.dir();
    Manifest manifest = files.manifest();
    IndexModel model = files.model();
    ByteBuffer l2Table = files.l2Table();
    ShardFile[] shards = files.shards();
    KeysFile[] keys = files.keys();
    RefineFile[] refine = files.refine();
    this.versionDir = versionDir;
    this.manifest = manifest;
    this.model = model;
    this.metric = MetricStrategy.of(model.metric());
    this.l2Table = l2Table;
    this.shards = shards;
    this.keys = keys;
    this.refine = refine;
    boolean sq8 = refine.length > 0 && refine[0].encoding() == IndexSpec.Refine.SQ8;
    this.sq8Base = sq8 ? refine[0].sq8Base() : null;
    this.sq8Step = sq8 ? refine[0].sq8Step() : null;
    this.ordinalRefs = keys.length > 0 || refine.length > 0;
    int max = files.maxListSize();
    this.maxListSize = max;
    this.scratch = ThreadLocal.withInitial(() -> new Scratch(model, maxListSize));
    this.quality = manifest.measuredQuality();
  }

  public static KilnIndex open(Path path) throws IOException {
    return open(path, OpenOptions.defaults());
  }

  /**
   * Opens an index root (following its {@code LATEST}) or one version directory.
   *
   * @throws CorruptIndexException naming the file and the problem when a file is missing,
   *     damaged, of another format version, or does not belong with the others
   */
  public static KilnIndex open(Path path, OpenOptions options) throws IOException {
    return new KilnIndex(VersionFiles.open(path, options));
  }

  /**
   * Opens the files of version directory {@code dir} as {@code manifest} describes them, without
   * reading a manifest from {@code dir}: the builder evaluates a staged version this way before
   * it writes the manifest that publishes it.
   */
  public static KilnIndex open(Path dir, Manifest manifest, OpenOptions options)
      throws IOException {
    return new KilnIndex(VersionFiles.open(dir, manifest, options));
  }

  /**
   * A version directory has a manifest; a root has LATEST naming one of its versions. A
   * directory with a model but no manifest is a version that was never published or lost its
   * manifest: the error names the manifest.
   */
  public static Path resolveVersion(Path path) throws IOException {
    return VersionFiles.resolveVersion(path);
  }

  /**
   * The smallest nprobe whose recall@k, as the build measured it on held-out queries, is at least
   * {@code targetRecall} (k is the manifest's {@code quality.k}); when no measured nprobe reaches
   * it, the one that measured best.
   *
   * @throws IllegalStateException when the build measured no recall curve
   */
  public int nprobeFor(double targetRecall) {
    if (!(targetRecall > 0 && targetRecall <= 1)) {
      throw new IllegalArgumentException("target recall must be in (0, 1], got " + targetRecall);
    }
    if (quality == null) {
      throw new IllegalStateException("index " + versionDir + " has no measured recall curve"
          + " (built without evaluation): search with SearchParams.nprobe(n) instead");
    }
    return quality.nprobeFor(targetRecall);
  }

  private int nprobeOf(SearchParams params) {
    return params.targetRecall() > 0 ? nprobeFor(params.targetRecall()) : params.nprobe();
  }

  public Manifest manifest() {
    return manifest;
  }

  /**
   * The version's centroids and codebooks, shared: read them, never modify them. A caller that
   * keeps vectors of its own next to the index (fresh items) assigns them to lists with it.
   */
  public IndexModel model() {
    return model;
  }

  public Path versionDir() {
    return versionDir;
  }

  public String version() {
    return manifest.version();
  }

  public int dim() {
    return model.dim();
  }

  public Metric metric() {
    return model.metric();
  }

  /** The index type, with its refine stage if it has one. */
  public IndexSpec spec() {
    return manifest.spec();
  }

  public long count() {
    return manifest.count();
  }

  public IdType idType() {
    return manifest.idTypeValue();
  }

  /**
   * Items per inverted list, summed over the shards: element {@code l} is list {@code l}'s size.
   * Read from the shards' list directories (no list is scanned); a new array on every call.
   */
  public int[] listSizes() {
    if (closed) {
      throw new IllegalStateException("index " + versionDir + " is closed");
    }
    int[] sizes = new int[model.spec().nlist()];
    for (ShardFile s : shards) {
      for (int l = 0; l < sizes.length; l++) {
        // addExact: a list past 2^31 items over all shards must fail, not wrap.
        sizes[l] = Math.addExact(sizes[l], s.listSize(l));
      }
    }
    return sizes;
  }

  /**
   * The {@code k} nearest items to {@code query} among the nearest lists: {@code params.nprobe()}
   * of them, or as many as {@link #nprobeFor} gives for {@code params.targetRecall()}. With
   * {@code params.filter()}, only items it accepts are candidates. Thread-safe. The query is not
   * modified.
   *
   * @throws IllegalArgumentException when the query has another dimension, holds a NaN or
   *     infinite component, or has a squared norm above {@link QueryCheck#MAX_SQUARED_NORM} (its
   *     distances would overflow float), or when k is below 1
   */
  public Neighbors search(float[] query, int k, SearchParams params) {
    checkArguments(query, k, "query");
    Scratch s = scratch.get();
    s.setFilter(params.filter(), keys.length > 0, versionDir);
    float[] q = s.query;
    System.arraycopy(query, 0, q, 0, q.length);
    metric.prepareQuery(q, 0, q.length);
    int nprobe = s.ensureProbes(nprobeOf(params));
    nprobe = model.coarse().probe(q, nprobe, s.probes, s.probeLists, s.probeDist, s.coarseScratch);
    return searchProbed(s, k, params, nprobe);
  }

  /**
   * {@link #search} for many queries on the calling thread, returned in query order. Faster per
   * query than one {@code search} call each: the coarse step runs on blocks of queries, so the
   * centroids are read from memory once per block rather than once per query (as Faiss's batch
   * search does with BLAS). The answers are the same as {@link #search}'s.
   *
   * @throws IllegalArgumentException before any query is searched, naming the first query
   *     (by its index) that {@link #search(float[], int, SearchParams)} would refuse
   */
  public Neighbors[] search(float[][] queries, int k, SearchParams params) {
    checkQueries(queries, k);
    Neighbors[] out = new Neighbors[queries.length];
    searchInto(queries, 0, queries.length, k, params, out);
    return out;
  }

  private void checkQueries(float[][] queries, int k) {
    for (int i = 0; i < queries.length; i++) {
      checkArguments(queries[i], k, "query " + i);
    }
  }

  /** Searches queries [from, to), already checked by {@link #checkQueries}. */
  private void searchInto(float[][] queries, int from, int to, int k, SearchParams params,
      Neighbors[] out) {
    Scratch s = scratch.get();
    s.setFilter(params.filter(), keys.length > 0, versionDir);
    int d = model.dim();
    int stride = model.coarse().scratchLength();
    int block = s.ensureBlock(stride);
    int wanted = nprobeOf(params);
    for (int b0 = from; b0 < to; b0 += block) {
      int nb = Math.min(block, to - b0);
      for (int i = 0; i < nb; i++) {
        System.arraycopy(queries[b0 + i], 0, s.blockQueries, i * d, d);
        metric.prepareQuery(s.blockQueries, i * d, d);
      }
      model.coarse().dotsBatch(s.blockQueries, nb, s.blockDots, s.tileDots);
      for (int i = 0; i < nb; i++) {
        System.arraycopy(s.blockQueries, i * d, s.query, 0, d);
        int nprobe = model.coarse().probeFromDots(s.query, 0, s.ensureProbes(wanted), s.probes,
            s.probeLists, s.probeDist, s.blockDots, i * stride);
        out[b0 + i] = searchProbed(s, k, params, nprobe);
      }
    }
  }

  private void checkArguments(float[] query, int k, String what) {
    if (closed) {
      throw new IllegalStateException("index " + versionDir + " is closed");
    }
    if (query == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    if (query.length != model.dim()) {
      throw new IllegalArgumentException(
          what + " has " + query.length + " dimensions, the index has " + model.dim());
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, got " + k);
    }
    QueryCheck.check(query, what);
  }

  /** Scans the lists in {@code s.probeLists} for the query in {@code s.query}. */
  private Neighbors searchProbed(Scratch s, int k, SearchParams params, int nprobe) {
    // No query can return more than the index holds: size the heap by that, not by k, so a
    // large k (say Integer.MAX_VALUE for "all") neither fails nor pins huge scratch arrays.
    int kept = (int) Math.min(k, Math.max(1, manifest.count()));
    // With refine, the scan keeps a k * factor shortlist by PQ distance for the exact re-rank.
    int shortlist = refine.length == 0
        ? kept
        : (int) Math.min((long) kept * params.refineFactor(), Math.max(1, manifest.count()));
    s.top.reset(shortlist);
    s.ensureResults(shortlist);
    if (model.pq() == null) {
      scanFlat(s, nprobe);
    } else {
      scanPq(s, nprobe);
    }
    if (refine.length > 0) {
      rerank(s, kept);
    }
    return results(s);
  }

  /** Re-scores the shortlist in {@code s.top} by the stored vectors and keeps the best k. */
  private void rerank(Scratch s, int k) {
    int n = s.top.drainSorted(s.outDist, s.outRef);
    float[] q = s.query;
    int d = q.length;
    boolean l2 = model.metric() == Metric.L2;
    float constant = 0;
    if (sq8Base != null) {
      // L2: sum (q - base - step*b)^2; inner product: <q, base> + sum (q*step) * b.
      for (int j = 0; j < d; j++) {
        s.residual[j] = l2 ? q[j] - sq8Base[j] : q[j] * sq8Step[j];
        constant += q[j] * sq8Base[j];
      }
    }
    s.top.reset(k);
    for (int i = 0; i < n; i++) {
      long ref = s.outRef[i];
      RefineFile f = refine[ItemRef.shard(ref)];
      int off = f.vectorOffset(ItemRef.ordinal(ref));
      ByteBuffer buf = f.buffer();
      float dist;
      if (sq8Base == null) {
        dist = metric.distance(q, buf, off, d);
      } else {
        dist = l2
            ? K.sq8SquareDistance(s.residual, sq8Step, buf, off, d)
            : -(constant + K.sq8Dot(s.residual, buf, off, d));
      }
      // As in collect: a NaN distance (a damaged vector) never enters.
      if (dist <= s.top.threshold()) {
        s.top.offer(dist, ref);
      }
    }
  }

  private void scanFlat(Scratch s, int nprobe) {
    int d = model.dim();
    for (int p = 0; p < nprobe; p++) {
      int list = (int) s.probeLists[p];
      for (int si = 0; si < shards.length; si++) {
        ShardFile shard = shards[si];
        int n = shard.listSize(list);
        metric.distances(s.query, shard.buffer(), shard.codesOffset(list), n, d, s.block);
        collect(s, si, shard, list, n);
      }
    }
  }

  private void scanPq(Scratch s, int nprobe) {
    ProductQuantizer pq = model.pq();
    int m = pq.m();
    int tableSize = m * ProductQuantizer.KSUB;
    boolean perList = metric.tablesPerList();
    // Query-only part, computed once: <q_j, pq[j][c]>, signed as the metric wants it.
    pq.innerProductTable(s.query, s.queryTable);
    metric.signQueryTable(s.queryTable, tableSize);
    for (int p = 0; p < nprobe; p++) {
      int list = (int) s.probeLists[p];
      float[] table;
      if (!perList) {
        table = s.queryTable; // distance = -<q, c_l> - sum_j <q_j, pq[j][code_j]>
      } else if (l2Table != null) {
        K.addScaled(l2Table, 4 * list * tableSize, -2f, s.queryTable, s.listTable, tableSize);
        table = s.listTable;
      } else {
        float[] c = model.coarse().centroids();
        int d = model.dim();
        for (int i = 0; i < d; i++) {
          s.residual[i] = s.query[i] - c[list * d + i];
        }
        pq.l2Table(s.residual, s.listTable);
        table = s.listTable;
      }
      // With the precomputed table the base is ||q - c||^2; without it the table holds it all.
      float base = perList && l2Table == null ? 0 : s.probeDist[p];
      for (int si = 0; si < shards.length; si++) {
        ShardFile shard = shards[si];
        int n = shard.listSize(list);
        if (n > 0) {
          K.pqDistances(shard.buffer(), shard.codesOffset(list), n, m, table, base, s.block);
          collect(s, si, shard, list, n);
        }
      }
    }
  }

  private void collect(Scratch s, int si, ShardFile shard, int list, int n) {
    if (s.filtered) {
      collectFiltered(s, si, shard, list, n);
      return;
    }
    TopK top = s.top;
    float threshold = top.threshold();
    boolean longIds = !ordinalRefs;
    for (int i = 0; i < n; i++) {
      float d = s.block[i];
      if (d <= threshold) {
        long ref = longIds ? shard.id(list, i) : ItemRef.pack(si, shard.firstOrdinal(list) + i);
        top.offer(d, ref);
        threshold = top.threshold();
      }
    }
  }

  /** {@link #collect} with the query's {@link IdFilter}: a rejected candidate never enters. */
  private void collectFiltered(Scratch s, int si, ShardFile shard, int list, int n) {
    TopK top = s.top;
    float threshold = top.threshold();
    LongPredicate ids = s.idFilter;
    Predicate<String> keyFilter = s.keyFilter;
    for (int i = 0; i < n; i++) {
      float d = s.block[i];
      if (d <= threshold) {
        long ref;
        if (ids != null) {
          long id = shard.id(list, i);
          if (!ids.test(id)) {
            continue;
          }
          ref = ordinalRefs ? ItemRef.pack(si, shard.firstOrdinal(list) + i) : id;
        } else {
          long ordinal = shard.firstOrdinal(list) + i;
          if (!keyFilter.test(keys[si].key(ordinal))) {
            continue;
          }
          ref = ItemRef.pack(si, ordinal);
        }
        top.offer(d, ref);
        threshold = top.threshold();
      }
    }
  }

  /**
   * Searches many queries on the given pool, each query on one thread (its scratch reused), and
   * returns the results in query order. The pool is the caller's: a serving node sizes it to its
   * cores; {@link java.util.concurrent.ForkJoinPool#commonPool()} will do for batch jobs.
   *
   * @throws IllegalArgumentException on the calling thread, before any task is submitted, as
   *     {@link #search(float[][], int, SearchParams)} does
   */
  public Neighbors[] searchBatch(
      float[][] queries, int k, SearchParams params, ExecutorService pool) {
    checkQueries(queries, k);
    int n = queries.length;
    int tasks = Math.max(1, Math.min(n, 4 * Runtime.getRuntime().availableProcessors()));
    Neighbors[] out = new Neighbors[n];
    List<Future<?>> futures = new ArrayList<>(tasks);
    for (int t = 0; t < tasks; t++) {
      int from = (int) ((long) n * t / tasks);
      int to = (int) ((long) n * (t + 1) / tasks);
      futures.add(pool.submit(() -> searchInto(queries, from, to, k, params, out)));
    }
    for (Future<?> f : futures) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("batch search interrupted", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        throw c instanceof RuntimeException r ? r : new IllegalStateException(c);
      }
    }
    return out;
  }

  private Neighbors results(Scratch s) {
    int n = s.top.drainSorted(s.outDist, s.outRef);
    float[] scores = new float[n];
    for (int i = 0; i < n; i++) {
      scores[i] = metric.score(s.outDist[i]);
    }
    if (keys.length == 0) {
      long[] ids = new long[n];
      for (int i = 0; i < n; i++) {
        long ref = s.outRef[i];
        ids[i] = ordinalRefs ? shards[ItemRef.shard(ref)].idOfOrdinal(ItemRef.ordinal(ref)) : ref;
      }
      return Neighbors.ofIds(ids, scores);
    }
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      long ref = s.outRef[i];
      out[i] = keys[ItemRef.shard(ref)].key(ItemRef.ordinal(ref));
    }
    return Neighbors.ofKeys(out, scores);
  }

  /**
   * Marks the index closed. The mappings are released by the garbage collector once no thread
   * uses them (Java cannot unmap safely by hand); the file handles were closed at open.
   */
  @Override
  public void close() {
    closed = true;
  }

  private static final dev.kiln.vector.VectorKernels K =
      dev.kiln.vector.VectorizationProvider.kernels();

  /** Per-thread buffers, sized once per index: no allocation on the hot path but the result. */
  private static final class Scratch {
    final float[] query;
    final float[] residual;
    final float[] coarseScratch;
    final int nlist;
    final float[] queryTable;
    final float[] listTable;
    final float[] block;
    final TopK top = new TopK();
    final TopK probes = new TopK();
    long[] probeLists = new long[0];
    float[] probeDist = new float[0];
    float[] outDist = new float[0];
    long[] outRef = new long[0];
    /** Batch search: a block of queries, their dots with every centroid, one tile's dots. */
    float[] blockQueries = new float[0];
    float[] blockDots = new float[0];
    final float[] tileDots = new float[4 * dev.kiln.vector.VectorKernels.TILE];
    /** The query's filter, split by id kind; {@code filtered} picks the loop once per list. */
    boolean filtered;
    LongPredicate idFilter;
    Predicate<String> keyFilter;

    Scratch(IndexModel model, int maxListSize) {
      int d = model.dim();
      query = new float[d];
      residual = new float[d];
      coarseScratch = new float[model.coarse().scratchLength()];
      nlist = model.spec().nlist();
      int tableSize = model.spec().pqM() * ProductQuantizer.KSUB;
      queryTable = new float[tableSize];
      listTable = new float[tableSize];
      block = new float[Math.max(1, maxListSize)];
    }

    /**
     * Sizes the batch buffers; returns the block size: at most 64 queries, fewer when nlist is
     * large, so the block's dots (block x nlist floats, at most 1 MiB) stay in cache.
     */
    int ensureBlock(int stride) {
      int block = Math.max(4, Math.min(64, (1 << 18) / stride));
      if (blockDots.length < block * stride) {
        blockQueries = new float[block * query.length];
        blockDots = new float[block * stride];
      }
      return block;
    }

    int ensureProbes(int nprobe) {
      int p = Math.min(nprobe, nlist);
      if (probeLists.length < p) {
        probeLists = new long[p];
        probeDist = new float[p];
      }
      return p;
    }

    void setFilter(IdFilter filter, boolean stringIds, Path index) {
      idFilter = null;
      keyFilter = null;
      if (filter instanceof IdFilter.OnIds f) {
        if (stringIds) {
          throw new IllegalArgumentException(
              "index " + index + " has string ids: filter with IdFilter.keys, not IdFilter.ids");
        }
        idFilter = f.accept();
      } else if (filter instanceof IdFilter.OnKeys f) {
        if (!stringIds) {
          throw new IllegalArgumentException(
              "index " + index + " has int64 ids: filter with IdFilter.ids, not IdFilter.keys");
        }
        keyFilter = f.accept();
      }
      filtered = filter != null;
    }

    void ensureResults(int k) {
      if (outDist.length < k) {
        outDist = new float[k];
        outRef = new long[k];
      }
    }
  }
}
