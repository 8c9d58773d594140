package dev.kiln.search;

import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.SubspaceProber;

/**
 * Scores the items of the probed lists, in every shard, and offers them to the candidates: one
 * implementation per list encoding, chosen once when the index opens. The per-item loops are
 * each implementation's own (the kernels, no call per item through an interface).
 *
 * <p>A query's scan is two steps: {@link #prepare} (what depends on the query alone, such as the
 * PQ query table) and then {@link #scanList} once per probed list. Single search runs them in
 * probe order; batch search ({@link BlockSchedule}) prepares a block of queries and then scans
 * list by list, so a list's data is read from memory once for all the queries that probe it.
 * The candidates keep the best by (distance, ref), so the order lists come in changes nothing.
 */
interface ListScanner {

  /**
   * Queries per batch-search block at most, for this encoding: more queries per block share
   * each list's read, but hold more per-query state and candidates. 64 by default.
   */
  default int maxBlock() {
    return 64;
  }

  /**
   * Whether batch search should scan each query's lists in its probe order, nearest first,
   * instead of list by list across the block: for an encoding whose lists are cheap to read
   * again, the candidates' heap fills with near items first and takes far fewer insertions.
   */
  default boolean scansInProbeOrder() {
    return false;
  }

  /** Floats of per-query state {@link #prepare} writes (0 when there is none). */
  int stateLength();

  /** Writes what depends on the prepared {@code query} alone into {@code state}. */
  void prepare(float[] query, float[] state);

  /**
   * {@link #prepare} for the {@code n} prepared {@code queries} (also packed as the rows of
   * {@code packed}) into {@code states[i]}; the same values, possibly computed several queries
   * at a time.
   */
  default void prepareBlock(float[][] queries, float[] packed, int n, float[][] states,
      ScanBuffers buffers) {
    for (int i = 0; i < n; i++) {
      prepare(queries[i], states[i]);
    }
  }

  /**
   * Scans {@code list} in every shard for the prepared {@code query} and its
   * {@code state}; {@code coarseDistance} is the list's distance in the query's probe.
   */
  void scanList(float[] query, float[] state, int list, float coarseDistance,
      ScanBuffers buffers, Candidates out);

  /**
   * Scans one list for the batch's queries that probe it: the pairs [from, to) of {@code plan},
   * all of one list ({@code queries}, {@code states}, {@code probes} and {@code out} indexed by
   * the block's query). By default one {@link #scanList} a pair; an encoding whose lists are
   * costly to read scores several queries for each read.
   */
  default void scanShared(BlockSchedule plan, int from, int to, Probe[] probes,
      float[][] queries, float[][] states, ScanBuffers buffers, Candidates[] out) {
    for (int i = from; i < to; i++) {
      int q = plan.query(i);
      scanList(queries[q], states[q], plan.list(i), probes[q].distance(plan.rank(i)), buffers,
          out[q]);
    }
  }

  /** Scans the lists of {@code probe} for the prepared {@code query}; fills {@code out}. */
  default void scan(float[] query, Probe probe, ScanBuffers buffers, Candidates out) {
    float[] state = buffers.state(stateLength());
    prepare(query, state);
    for (int p = 0; p < probe.size(); p++) {
      scanList(query, state, probe.list(p), probe.distance(p), buffers, out);
    }
  }

  /**
   * The coarse step's prober whose subspace IVF-Flat scans bound distances in ({@link
   * FlatBounds}), or null: pruning off in the open options, or no subspace that pays.
   */
  static SubspaceProber pruningProber(VersionFiles files) {
    return files.options().flatPruning()
        && files.model().exactProber() instanceof SubspaceProber s ? s : null;
  }

  /** The scanner for an index's encoding: the one place an encoding maps to its scanner. */
  static ListScanner of(VersionFiles files, MetricStrategy metric) {
    if (files.manifest().spec().isGraph()) {
      return new GraphScanner(files.shards(), files.graphs(), files.model().dim(), metric,
          files.model().sq8());
    }
    return switch (files.model().spec().encoding()) {
      case FLAT -> new FlatScanner(files.shards(), files.model().dim(), metric,
          pruningProber(files));
      // The model checks keep SQ8 lists to graph indexes (IndexSpec): never reached.
      case SQ8 -> throw new IllegalStateException("SQ8 lists are searched through a graph");
      case PQ -> files.model().spec().isFastScan()
          ? new FastScanScanner(files.shards(), files.model(), files.l2Table(), metric)
          : new PqScanner(files.shards(), files.model(), files.l2Table(), metric);
    };
  }
}
