package dev.kiln.search;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.Manifest;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.Probe;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;

/**
 * A published Kiln index version, mapped read-only. Opening reads the manifest and the model,
 * maps every shard and checks headers and directories: the cost depends on nlist and the number
 * of shards, never on the number of items, and no list is copied to the heap (but for IVF-Flat
 * pruning, {@link OpenOptions#flatPruning}, which reads every item once). Many processes opening
 * the same files share one copy in the page cache.
 *
 * <p>{@link #search} is thread-safe; each thread reuses its own scratch space. What the version
 * is (dimension, metric, spec, count, id type) is in {@link VersionInfo}.
 *
 * <pre>{@code
 * try (KilnIndex index = KilnIndex.open(Path.of("/srv/index"))) {   // a root (follows LATEST)
 *   Neighbors n = index.search(query, 10, SearchParams.nprobe(16)); // or a version directory
 * }
 * }</pre>
 */
public final class KilnIndex implements VersionInfo, AutoCloseable {
  private final VersionFiles files;
  private final Searcher searcher;
  private final ItemLookup items;
  private volatile boolean closed;
  private final RecallSteering steering;

  private KilnIndex(VersionFiles files) {
    this.files = files;
    this.searcher = new Searcher(files);
    this.items = new ItemLookup(files);
    this.steering = new RecallSteering(files);
  }

  /**
   * Opens an index root (following its {@code LATEST}) or one version directory, without a
   * checksum pass ({@link OpenOptions#defaults()}).
   *
   * @param path an index root or a version directory, on the local file system
   * @return the opened version; close it when done
   * @throws IOException as {@link #open(Path, OpenOptions)} does
   */
  public static KilnIndex open(Path path) throws IOException {
    return open(path, OpenOptions.defaults());
  }

  /**
   * Opens an index root (following its {@code LATEST}) or one version directory.
   *
   * @param path an index root or a version directory, on the local file system
   * @param options whether to check every file's CRC32C as well
   * @return the opened version; close it when done
   * @throws CorruptIndexException naming the file and the problem when a file is missing,
   *     damaged, of another format version, or does not belong with the others
   * @throws IOException when {@code path} does not exist
   *     ({@link java.nio.file.NoSuchFileException}) or a file cannot be read
   */
  public static KilnIndex open(Path path, OpenOptions options) throws IOException {
    return new KilnIndex(VersionFiles.open(path, options));
  }

  /**
   * Opens the files of version directory {@code dir} as {@code manifest} describes them, without
   * reading a manifest from {@code dir}: the builder evaluates a staged version this way before
   * it writes the manifest that publishes it.
   *
   * @param dir the version directory holding the files {@code manifest} lists
   * @param manifest the manifest to open by, in place of one read from {@code dir}
   * @param options whether to check every file's CRC32C as well
   * @return the opened version; close it when done
   * @throws IOException (a {@link CorruptIndexException} naming the file) when a file is missing,
   *     damaged, or does not match {@code manifest}
   */
  public static KilnIndex open(Path dir, Manifest manifest, OpenOptions options)
      throws IOException {
    return new KilnIndex(VersionFiles.open(dir, manifest, options));
  }

  /**
   * The version directory {@code path} stands for. A version directory has a manifest; a root
   * has LATEST naming one of its versions. A directory with a model but no manifest is a
   * version that was never published or lost its manifest: the error names the manifest.
   *
   * @param path an index root or a version directory
   * @return {@code path} itself when it holds a manifest, else {@code path/versions/ID} for the
   *     ID its {@code LATEST} names (whether that directory exists is left to the open)
   * @throws java.nio.file.NoSuchFileException when {@code path} does not exist
   * @throws CorruptIndexException when {@code path} has neither a manifest nor {@code LATEST}, has
   *     a model but no manifest, or its {@code LATEST} is not a regular file, holds more than
   *     4 KiB or is not a version id
   * @throws IOException when {@code LATEST} cannot be read
   */
  public static Path resolveVersion(Path path) throws IOException {
    return VersionFiles.resolveVersion(path);
  }

  /**
   * The smallest nprobe whose recall@k, as the build measured it on held-out queries, is at least
   * {@code targetRecall} (k is the manifest's {@code quality.k}); when no measured nprobe reaches
   * it, the one that measured best.
   *
   * @param targetRecall the recall@k to reach, in (0, 1]
   * @return an nprobe the build measured
   * @throws IllegalArgumentException when {@code targetRecall} is outside (0, 1] or NaN
   * @throws IllegalStateException when the build measured no recall curve
   */
  public int nprobeFor(double targetRecall) {
    return steering.nprobeFor(targetRecall);
  }

  /**
   * {@code HNSW{M}}: the smallest efSearch whose recall@k, as the build measured it, is at least
   * {@code targetRecall}; when none reaches it, the one that measured best.
   *
   * @param targetRecall the recall@k to reach, in (0, 1]
   * @return an efSearch the build measured
   * @throws IllegalArgumentException when {@code targetRecall} is outside (0, 1] or NaN
   * @throws IllegalStateException when the build measured no efSearch curve
   */
  public int efSearchFor(double targetRecall) {
    return steering.efSearchFor(targetRecall);
  }

  @Override
  public Manifest manifest() {
    return files.manifest();
  }

  @Override
  public IndexModel model() {
    return files.model();
  }

  @Override
  public Path versionDir() {
    return files.dir();
  }

  /**
   * Items per inverted list, summed over the shards: element {@code l} is list {@code l}'s size.
   * Read from the shards' list directories (no list is scanned); a new array on every call.
   *
   * @return nlist sizes, indexed by list
   * @throws IllegalStateException when the index is closed
   */
  public int[] listSizes() {
    if (closed) {
      throw new IllegalStateException("index " + files.dir() + " is closed");
    }
    return files.listSizes();
  }

  /**
   * The {@code k} nearest items to {@code query} among the nearest lists: {@code params.nprobe()}
   * of them, or as many as {@link #nprobeFor} gives for {@code params.targetRecall()}. With
   * {@code params.filter()}, only items it accepts are candidates. Thread-safe. The query is not
   * modified.
   *
   * @param query the query vector, {@link #dim} floats
   * @param k how many results at most; fewer when the probed lists (or the graph walk) offer
   *     fewer items the filter accepts
   * @param params nprobe or target recall, filter, refine factor, efSearch
   * @return the results, best first
   * @throws IllegalArgumentException when the query is null, has another dimension, holds a NaN
   *     or infinite component, or has a squared norm above {@link QueryCheck#MAX_SQUARED_NORM}
   *     (its distances would overflow float), when k is below 1, or when the filter is for the
   *     other kind of id ({@link #idType})
   * @throws IllegalStateException when the index is closed, or when {@code params} asks for a
   *     target recall and the build measured no curve
   */
  public Neighbors search(float[] query, int k, SearchParams params) {
    checkArguments(query, k, "query");
    QueryCheck.checkFilter(params.filter(), files.keys().length > 0, files.dir());
    SearchParams p = steering.steered(params);
    return searcher.search(query, k, steering.nprobeOf(p), p);
  }

  /**
   * The lists {@link #search} scans for {@code query} and {@code params}, into the caller's
   * reusable {@code probe}, with the query prepared as search prepares it (cosine: normalized)
   * into {@code prepared} ({@link #dim} floats): for items kept next to the index (fresh items).
   * Nothing is checked: pass a query {@link #search} accepts.
   *
   * @param query the query, {@link #dim} floats; not modified
   * @param params the search's params (nprobe or target recall, efSearch)
   * @param prepared receives the prepared query: exactly {@link #dim} floats
   * @param probe the caller's probe, overwritten (a thread's own, reused across calls)
   * @return {@code probe}, holding the probed lists and their coarse distances, nearest first
   * @throws IllegalStateException when {@code params} asks for a target recall and the build
   *     measured no curve
   */
  public Probe probe(float[] query, SearchParams params, float[] prepared, Probe probe) {
    return searcher.probe(searcher.prepare(query, prepared), steering.nprobeOf(params), params,
        probe);
  }

  /**
   * {@code query} as search prepares it (cosine: normalized), into {@code prepared}.
   *
   * @param query the query, {@link #dim} floats; not modified
   * @param prepared receives the prepared query: exactly {@link #dim} floats
   * @return {@code prepared}
   */
  public float[] prepare(float[] query, float[] prepared) {
    return searcher.prepare(query, prepared);
  }

  /**
   * {@link #search} for many queries on the calling thread, returned in query order. Faster per
   * query than one {@code search} call each: queries go in blocks (up to 64 for PQ, 256 for
   * fast-scan, up to 4,096 for Flat; the coarse step takes up to 256 at a time, fewer when nlist is
   * large), the coarse step and the PQ tables run on the whole block
   * (centroids and codebooks read from memory once per block, as Faiss's batch search does with
   * BLAS), and the block's lists are scanned list by list, each read once for all the queries
   * that probe it. Each thread keeps its largest block's buffers: query tables (64 x M x 256
   * floats, 1 MiB at PQ16), and two copies of the block's queries (for Flat, 4,096 queries of
   * d = 784 take 25 MiB; a batch of 10 queries, 10 queries' worth). The answers are the same as
   * {@link #search}'s.
   *
   * @param queries the query vectors, {@link #dim} floats each; not modified
   * @param k how many results at most per query
   * @param params the same for every query
   * @return one result per query, in query order
   * @throws IllegalArgumentException before any query is searched, naming the first query
   *     (by its index) that {@link #search(float[], int, SearchParams)} would refuse
   * @throws IllegalStateException as {@link #search(float[], int, SearchParams)} does
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
    QueryCheck.checkFilter(params.filter(), files.keys().length > 0, files.dir());
    SearchParams p = steering.steered(params);
    searcher.search(queries, from, to, k, steering.nprobeOf(p), p, out);
  }

  private void checkArguments(float[] query, int k, String what) {
    checkOpen();
    QueryCheck.checkArguments(query, k, what, files.model().dim());
  }


  /**
   * Searches many queries on the given pool, each query on one thread (its scratch reused), and
   * returns the results in query order. The pool is the caller's: a serving node sizes it to its
   * cores; {@link java.util.concurrent.ForkJoinPool#commonPool()} will do for batch jobs.
   * The queries are cut into up to 4 x cores consecutive parts, one task each, searched as
   * {@link #search(float[][], int, SearchParams)} searches; the calling thread waits for all.
   *
   * @param queries the query vectors, {@link #dim} floats each; not modified
   * @param k how many results at most per query
   * @param params the same for every query
   * @param pool runs the tasks; the caller's, not shut down here
   * @return one result per query, in query order
   * @throws IllegalArgumentException on the calling thread, before any task is submitted, as
   *     {@link #search(float[][], int, SearchParams)} does
   * @throws IllegalStateException when the calling thread is interrupted while it waits (its
   *     interrupt flag set again), or as {@link #search(float[], int, SearchParams)} does; a
   *     task's other exception is rethrown on the calling thread
   */
  public Neighbors[] searchBatch(
      float[][] queries, int k, SearchParams params, ExecutorService pool) {
    checkQueries(queries, k);
    Neighbors[] out = new Neighbors[queries.length];
    Searcher.onPool(queries.length, pool,
        (from, to) -> searchInto(queries, from, to, k, params, out));
    return out;
  }

  /**
   * Item {@code id}'s vector as this version stores it (Faiss's {@code reconstruct}, Annoy's
   * {@code get_item_vector}): exact from Flat lists and RFlat refine files (normalized under
   * cosine, as indexed), SQ8's decoding under {@code Refine(SQ8)} or {@code HNSW{M},SQ8}, else
   * the PQ reconstruction (centroid plus decoded residual); null when the version holds no such
   * id. The first call per shard builds a sorted table of its ids (16 bytes an item).
   * Thread-safe.
   *
   * @param id the item's int64 id
   * @return a new array of {@link #dim} floats, or null when the version holds no item {@code id}
   * @throws UnsupportedOperationException for fast-scan codes without a refine stage
   * @throws IllegalStateException on an index with string ids (use {@link #vector(String)}), or
   *     when the index is closed
   */
  public float[] vector(long id) {
    checkOpen();
    return items.vector(id);
  }

  /**
   * {@link #vector(long)} for an index with string ids. The first call per shard builds a map
   * of its keys.
   *
   * @param key the item's string id
   * @return a new array of {@link #dim} floats, or null when the version holds no item
   *     {@code key}
   * @throws UnsupportedOperationException for fast-scan codes without a refine stage
   * @throws IllegalStateException on an index with int64 ids (use {@link #vector(long)}), or
   *     when the index is closed
   */
  public float[] vector(String key) {
    checkOpen();
    return items.vector(key);
  }

  /**
   * The {@code k} items nearest item {@code id}'s stored vector ({@link #vector(long)}), the item
   * itself left out: Annoy's {@code get_nns_by_item}, a recommender's "similar items". The
   * params' filter still applies.
   *
   * @param id the item whose stored vector is the query
   * @param k how many results at most, the item itself not among them
   * @param params as for {@link #search(float[], int, SearchParams)}; its filter is combined
   *     with one that leaves the item out
   * @return the results, best first
   * @throws IllegalArgumentException when the version holds no item {@code id}, or as
   *     {@link #search(float[], int, SearchParams)} does
   * @throws UnsupportedOperationException for fast-scan codes without a refine stage
   * @throws IllegalStateException as {@link #vector(long)} and
   *     {@link #search(float[], int, SearchParams)} do
   */
  public Neighbors searchByItem(long id, int k, SearchParams params) {
    checkOpen();
    return search(items.query(id), k, ItemLookup.notItself(id, params));
  }

  /**
   * {@link #searchByItem(long, int, SearchParams)} for an index with string ids.
   *
   * @param key the item whose stored vector is the query
   * @param k how many results at most, the item itself not among them
   * @param params as for {@link #search(float[], int, SearchParams)}; its filter is combined
   *     with one that leaves the item out
   * @return the results, best first
   * @throws IllegalArgumentException when the version holds no item {@code key}, or as
   *     {@link #search(float[], int, SearchParams)} does
   * @throws UnsupportedOperationException for fast-scan codes without a refine stage
   * @throws IllegalStateException as {@link #vector(String)} and
   *     {@link #search(float[], int, SearchParams)} do
   */
  public Neighbors searchByItem(String key, int k, SearchParams params) {
    checkOpen();
    return search(items.query(key), k, ItemLookup.notItself(key, params));
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("index " + files.dir() + " is closed");
    }
  }

  /**
   * Marks the index closed. The mappings are released by the garbage collector once no thread
   * uses them (Java cannot unmap safely by hand); the file handles were closed at open.
   */
  @Override
  public void close() {
    closed = true;
  }
}
