package dev.kiln.search;

import dev.kiln.format.KeysFile;
import dev.kiln.quantize.CoarseProber;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.TopK;
import java.util.ArrayList;
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
  /** Every centroid scored: what {@link SearchParams#FLAT_COARSE} asks for. */
  private final CoarseProber flatCoarse;
  private final ListScanner scanner;
  /** Null without a refine stage. */
  private final Reranker reranker;
  private final long count;
  private final boolean ordinalRefs;
  private final ThreadLocal<Scratch> scratch;

  Searcher(VersionFiles files) {
    IndexModel model = files.model();
    this.files = files;
    this.metric = MetricStrategy.of(model.metric());
    this.coarse = model.prober();
    this.flatCoarse = model.exactProber();
    this.scanner = ListScanner.of(files, metric);
    this.reranker = Reranker.of(files, metric);
    this.count = files.manifest().count();
    // Refs are (shard, ordinal) rather than int64 ids: for string keys and for refine.
    this.ordinalRefs = files.keys().length > 0 || files.refine().length > 0;
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
  Probe probe(float[] prepared, int nprobe, SearchParams params, Probe out) {
    return coarse(params).probe(prepared, 0, nprobe, params.efSearch(), out);
  }

  /** The model's prober, or the flat quantizer when the params turn the graph off. */
  private CoarseProber coarse(SearchParams params) {
    return params.efSearch() == SearchParams.FLAT_COARSE ? flatCoarse : coarse;
  }

  Neighbors search(float[] query, int k, int nprobe, SearchParams params) {
    Scratch s = scratch.get();
    float[] q = prepare(query, s.query);
    return searchProbed(q, probe(q, nprobe, params, s.probe), k, params, s);
  }

  /**
   * Searches queries [from, to) on the calling thread, a block at a time. The coarse step runs
   * on the whole block ({@link CoarseProber#probeBlock}: the centroids are read once per block);
   * then each query is prepared (its PQ table) and the block's lists are scanned in
   * {@link BlockSchedule} order, each list once for all the queries that probe it; then each
   * query is re-ranked and mapped. The answers are those of {@link #search(float[], int, int,
   * SearchParams)}: every query gets the same candidates, and they are kept by (distance, ref).
   */
  void search(float[][] queries, int from, int to, int k, int nprobe, SearchParams params,
      Neighbors[] out) {
    Scratch s = scratch.get();
    int d = s.query.length;
    CoarseProber prober = coarse(params);
    // No larger than the batch (rounded up to a power of two, so growing batches reallocate
    // rarely): a thread's block buffers stay as large as its largest batch needed.
    int batch = Math.max(1, to - from);
    int block = Math.min(Math.min(scanner.maxBlock(), BlockSchedule.maxBlock(nprobe)),
        Integer.highestOneBit(batch) == batch ? batch : Integer.highestOneBit(batch) << 1);
    int chunk = Math.min(block, prober.blockSize());
    s.ensureBlock(block, chunk, scanner.stateLength(), ordinalRefs, files.keys());
    float[] rows = s.blockQueries;
    Probe[] probes = s.blockProbes;
    int shortlist = shortlist(k, params);
    s.ensureResults(shortlist);
    for (int b0 = from; b0 < to; b0 += block) {
      int nb = Math.min(block, to - b0);
      for (int i = 0; i < nb; i++) {
        float[] q = prepare(queries[b0 + i], s.blockRows[i]);
        System.arraycopy(q, 0, rows, i * d, d);
        s.blockCandidates[i].start(shortlist, params);
      }
      // The coarse step in the prober's own blocks (its per-query scratch stays in cache).
      if (nb <= chunk) {
        prober.probeBlock(rows, nb, nprobe, params.efSearch(), probes);
      } else {
        for (int c0 = 0; c0 < nb; c0 += chunk) {
          int nc = Math.min(chunk, nb - c0);
          System.arraycopy(rows, c0 * d, s.chunkQueries, 0, nc * d);
          System.arraycopy(probes, c0, s.chunkProbes, 0, nc);
          prober.probeBlock(s.chunkQueries, nc, nprobe, params.efSearch(), s.chunkProbes);
        }
      }
      scanner.prepareBlock(s.blockRows, rows, nb, s.blockStates, s.buffers);
      if (scanner.scansInProbeOrder()) {
        for (int q = 0; q < nb; q++) {
          Probe probe = probes[q];
          for (int p = 0; p < probe.size(); p++) {
            scanner.scanList(s.blockRows[q], s.blockStates[q], probe.list(p), probe.distance(p),
                s.buffers, s.blockCandidates[q]);
          }
        }
      } else {
        BlockSchedule plan = s.schedule;
        plan.build(probes, nb);
        for (int i = 0, n = plan.size(); i < n; ) {
          int list = plan.list(i);
          int end = i + 1;
          while (end < n && plan.list(end) == list) {
            end++;
          }
          scanner.scanShared(plan, i, end, probes, s.blockRows, s.blockStates, s.buffers,
              s.blockCandidates);
          i = end;
        }
      }
      for (int i = 0; i < nb; i++) {
        out[b0 + i] = finish(s.blockRows[i], s.blockCandidates[i], k, s);
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
    int shortlist = shortlist(k, params);
    s.ensureResults(shortlist);
    Candidates candidates = s.candidates.start(shortlist, params);
    scanner.scan(q, probe, s.buffers, candidates);
    return finish(q, candidates, k, s);
  }

  /**
   * How many candidates the scan keeps: k, or with refine a k x factor shortlist by PQ distance
   * for the exact re-rank. No query can return more than the index holds: sized by that, not by
   * k, so a large k (say Integer.MAX_VALUE for "all") neither fails nor pins huge arrays.
   */
  private int shortlist(int k, SearchParams params) {
    int kept = kept(k);
    return reranker == null
        ? kept
        : (int) Math.min((long) kept * params.refineFactor(), Math.max(1, count));
  }

  private int kept(int k) {
    return (int) Math.min(k, Math.max(1, count));
  }

  /** Re-ranks the scanned candidates of the prepared query {@code q} (refine), maps them. */
  private Neighbors finish(float[] q, Candidates candidates, int k, Scratch s) {
    TopK top = candidates.top();
    if (reranker != null) {
      int n = top.drainSorted(s.outDist, s.outRef);
      top.reset(kept(k));
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
    /** Batch search: a block's queries (packed and one array each), states, probes, candidates. */
    float[] blockQueries = new float[0];
    float[][] blockRows = new float[0][];
    float[][] blockStates = new float[0][];
    Probe[] blockProbes = new Probe[0];
    Candidates[] blockCandidates = new Candidates[0];
    /** The part of a block the coarse prober takes at once. */
    float[] chunkQueries = new float[0];
    Probe[] chunkProbes = new Probe[0];
    final BlockSchedule schedule = new BlockSchedule();

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

    void ensureBlock(int block, int chunk, int stateLength, boolean ordinalRefs,
        KeysFile[] keys) {
      int dim = query.length;
      if (chunkProbes.length < chunk) {
        chunkQueries = new float[chunk * dim];
        chunkProbes = new Probe[chunk];
      }
      if (blockRows.length >= block) {
        return;
      }
      blockQueries = new float[block * dim];
      blockRows = new float[block][dim];
      blockStates = new float[block][stateLength];
      blockProbes = new Probe[block];
      blockCandidates = new Candidates[block];
      for (int i = 0; i < block; i++) {
        blockProbes[i] = new Probe();
        blockCandidates[i] = new Candidates(ordinalRefs, keys);
      }
    }
  }
}
