package dev.kiln.search;

import dev.kiln.quantize.CoarseProber;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.TopK;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * A query's route through one opened version, stage by stage: prepare the query (the metric),
 * probe the coarse quantizer, scan the probed lists (the encoding's scanner) into candidates,
 * re-rank them (refine), map refs to ids or keys. Each stage takes and returns what it uses;
 * the per-thread {@link Scratch} only lends buffers. Arguments are checked by {@link KilnIndex}.
 */
final class Searcher {
  private final VersionFiles files;
  private final MetricStrategy metric;
  private final CoarseProber coarse;
  private final ListScanner scanner;
  /** Null without a refine stage. */
  private final Reranker reranker;
  private final long count;
  private final ThreadLocal<Scratch> scratch;

  Searcher(VersionFiles files) {
    IndexModel model = files.model();
    this.files = files;
    this.metric = MetricStrategy.of(model.metric());
    this.coarse = model.prober();
    this.scanner = ListScanner.of(files, metric);
    this.reranker = Reranker.of(files, metric);
    this.count = files.manifest().count();
    // Refs are (shard, ordinal) rather than int64 ids: for string keys and for refine.
    boolean ordinalRefs = files.keys().length > 0 || files.refine().length > 0;
    int maxListSize = files.maxListSize();
    this.scratch = ThreadLocal.withInitial(() -> new Scratch(model.dim(),
        new ScanBuffers(model, maxListSize), new Candidates(ordinalRefs, files.keys())));
  }

  /** Copies {@code query} into {@code out} and prepares it for the metric; returns out. */
  float[] prepare(float[] query, float[] out) {
    System.arraycopy(query, 0, out, 0, out.length);
    metric.prepareQuery(out, 0, out.length);
    return out;
  }

  /** The lists search scans for a prepared query. */
  Probe probe(float[] prepared, int nprobe, Probe out) {
    return coarse.probe(prepared, 0, nprobe, out);
  }

  Neighbors search(float[] query, int k, int nprobe, SearchParams params) {
    Scratch s = scratch.get();
    float[] q = prepare(query, s.query);
    return searchProbed(q, probe(q, nprobe, s.probe), k, params, s);
  }

  /**
   * Searches queries [from, to) on the calling thread. The coarse step runs on blocks of
   * queries ({@link CoarseProber#probeBlock}): the centroids are read once per block.
   */
  void search(float[][] queries, int from, int to, int k, int nprobe, SearchParams params,
      Neighbors[] out) {
    Scratch s = scratch.get();
    int d = s.query.length;
    int block = coarse.blockSize();
    float[] rows = s.blockQueries(block);
    Probe[] probes = s.blockProbes(block);
    for (int b0 = from; b0 < to; b0 += block) {
      int nb = Math.min(block, to - b0);
      for (int i = 0; i < nb; i++) {
        System.arraycopy(queries[b0 + i], 0, rows, i * d, d);
        metric.prepareQuery(rows, i * d, d);
      }
      coarse.probeBlock(rows, nb, nprobe, probes);
      for (int i = 0; i < nb; i++) {
        System.arraycopy(rows, i * d, s.query, 0, d);
        out[b0 + i] = searchProbed(s.query, probes[i], k, params, s);
      }
    }
  }

  /** A part [from, to) of a batch. */
  interface Range {
    void run(int from, int to);
  }

  /**
   * Runs {@code task} over [0, n) cut into up to 4 x cores parts on {@code pool} and waits for
   * them; a part's exception is rethrown (a checked one wrapped).
   */
  static void onPool(int n, ExecutorService pool, Range task) {
    int tasks = Math.max(1, Math.min(n, 4 * Runtime.getRuntime().availableProcessors()));
    List<Future<?>> futures = new ArrayList<>(tasks);
    for (int t = 0; t < tasks; t++) {
      int from = (int) ((long) n * t / tasks);
      int to = (int) ((long) n * (t + 1) / tasks);
      futures.add(pool.submit(() -> task.run(from, to)));
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
  }

  /** Scans the lists of {@code probe} for the prepared query {@code q}, re-ranks, maps. */
  private Neighbors searchProbed(float[] q, Probe probe, int k, SearchParams params, Scratch s) {
    // No query can return more than the index holds: size the heap by that, not by k, so a
    // large k (say Integer.MAX_VALUE for "all") neither fails nor pins huge scratch arrays.
    int kept = (int) Math.min(k, Math.max(1, count));
    // With refine, the scan keeps a k * factor shortlist by PQ distance for the exact re-rank.
    int shortlist = reranker == null
        ? kept
        : (int) Math.min((long) kept * params.refineFactor(), Math.max(1, count));
    s.ensureResults(shortlist);
    Candidates candidates = s.candidates.start(shortlist, params.filter());
    scanner.scan(q, probe, s.buffers, candidates);
    TopK top = candidates.top();
    if (reranker != null) {
      int n = top.drainSorted(s.outDist, s.outRef);
      top.reset(kept);
      reranker.rerank(q, s.outRef, n, top, s.buffers);
    }
    return results(top, s);
  }

  private Neighbors results(TopK top, Scratch s) {
    int n = top.drainSorted(s.outDist, s.outRef);
    float[] scores = new float[n];
    for (int i = 0; i < n; i++) {
      scores[i] = metric.score(s.outDist[i]);
    }
    if (files.keys().length == 0) {
      boolean ordinalRefs = files.refine().length > 0;
      long[] ids = new long[n];
      for (int i = 0; i < n; i++) {
        long ref = s.outRef[i];
        ids[i] = ordinalRefs
            ? files.shards()[ItemRef.shard(ref)].idOfOrdinal(ItemRef.ordinal(ref))
            : ref;
      }
      return Neighbors.ofIds(ids, scores);
    }
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      long ref = s.outRef[i];
      keys[i] = files.keys()[ItemRef.shard(ref)].key(ItemRef.ordinal(ref));
    }
    return Neighbors.ofKeys(keys, scores);
  }

  /** One thread's buffers, sized once per index: no allocation on the hot path but the result. */
  private static final class Scratch {
    final float[] query;
    final ScanBuffers buffers;
    final Candidates candidates;
    final Probe probe = new Probe();
    float[] outDist = new float[0];
    long[] outRef = new long[0];
    /** Batch search: a block of queries and their probes. */
    private float[] blockQueries = new float[0];
    private Probe[] blockProbes = new Probe[0];

    Scratch(int dim, ScanBuffers buffers, Candidates candidates) {
      this.query = new float[dim];
      this.buffers = buffers;
      this.candidates = candidates;
    }

    void ensureResults(int k) {
      if (outDist.length < k) {
        outDist = new float[k];
        outRef = new long[k];
      }
    }

    float[] blockQueries(int block) {
      if (blockQueries.length < block * query.length) {
        blockQueries = new float[block * query.length];
      }
      return blockQueries;
    }

    Probe[] blockProbes(int block) {
      if (blockProbes.length < block) {
        Probe[] grown = Arrays.copyOf(blockProbes, block);
        for (int i = blockProbes.length; i < block; i++) {
          grown[i] = new Probe();
        }
        blockProbes = grown;
      }
      return blockProbes;
    }
  }
}
