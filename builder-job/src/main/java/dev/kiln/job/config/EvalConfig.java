package dev.kiln.job.config;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * How a build measures the index it made before publishing it, and the publish gate.
 *
 * @param queries Parquet of query vectors (any Hadoop URI; the build's vector column), or null
 *     to sample {@code sampleSize} items of the input and search each with itself left out
 * @param sampleSize queries sampled from the input when {@code queries} is null; 0 turns the
 *     evaluation off
 * @param k neighbours per query for recall@k
 * @param nprobes nprobe values to measure, or empty for powers of two up to
 *     min(nlist, {@link #MAX_AUTO_NPROBE}); for {@code HNSW{M}} the efSearch values, or empty
 *     for {@link #AUTO_EF_SEARCHES}
 * @param minRecall the gate: publish only if recall at {@code atNprobe} is at least this; NaN
 *     for no gate
 * @param atNprobe the nprobe the gate reads ({@code HNSW{M}}: the gate reads efSearch
 *     {@link #GRAPH_GATE_EF_SEARCH}, the default a search uses)
 */
public record EvalConfig(
    String queries, int sampleSize, int k, List<Integer> nprobes, double minRecall, int atNprobe)
    implements Serializable {

  /** The largest nprobe measured by default: beyond it, a query scans a large part of the index. */
  public static final int MAX_AUTO_NPROBE = 256;

  /** The efSearch values an {@code HNSW{M}} build measures by default: Faiss's usual sweep. */
  public static final List<Integer> AUTO_EF_SEARCHES = List.of(16, 32, 64, 128, 256);

  /** Where an {@code HNSW{M}} build's gate reads recall: the efSearch a search defaults to. */
  public static final int GRAPH_GATE_EF_SEARCH = 64;

  public EvalConfig {
    nprobes = List.copyOf(nprobes);
    if (sampleSize < 0) {
      throw new IllegalArgumentException("--eval-queries must be 0 (no evaluation) or more, not "
          + sampleSize);
    }
    if (k < 1) {
      throw new IllegalArgumentException("--eval-k must be positive, not " + k);
    }
    if (atNprobe < 1) {
      throw new IllegalArgumentException("--at-nprobe must be positive, not " + atNprobe);
    }
    for (int n : nprobes) {
      if (n < 1) {
        throw new IllegalArgumentException("--eval-nprobe values must be positive, not " + n);
      }
    }
    if (!Double.isNaN(minRecall) && !(minRecall >= 0 && minRecall <= 1)) {
      throw new IllegalArgumentException("--min-recall must be in [0, 1], got " + minRecall);
    }
    if (!Double.isNaN(minRecall) && queries == null && sampleSize == 0) {
      throw new IllegalArgumentException("--min-recall needs an evaluation: set --eval-queries above 0 or --queries");
    }
  }

  /** 1,000 sampled queries, recall@10, nprobe 1..256 by powers of two, no gate. */
  public static EvalConfig defaults() {
    return new EvalConfig(null, 1000, 10, List.of(), Double.NaN, 16);
  }

  /** No evaluation, no gate. */
  public static EvalConfig off() {
    return new EvalConfig(null, 0, 10, List.of(), Double.NaN, 16);
  }

  public boolean enabled() {
    return queries != null || sampleSize > 0;
  }

  public boolean gated() {
    return !Double.isNaN(minRecall);
  }

  /** The efSearch values measured for an {@code HNSW{M}} index, ascending, gate included. */
  public List<Integer> efSearches() {
    List<Integer> out = new ArrayList<>(nprobes.isEmpty() ? AUTO_EF_SEARCHES : nprobes);
    if (gated()) {
      out.add(GRAPH_GATE_EF_SEARCH);
    }
    return out.stream().distinct().sorted().toList();
  }

  /** The nprobe values measured for an index of {@code nlist} lists, ascending, gate included. */
  public List<Integer> nprobesFor(int nlist) {
    List<Integer> out = new ArrayList<>();
    if (nprobes.isEmpty()) {
      for (int n = 1; n <= Math.min(nlist, MAX_AUTO_NPROBE); n *= 2) {
        out.add(n);
      }
    } else {
      for (int n : nprobes) {
        out.add(Math.min(n, nlist));
      }
    }
    if (gated()) {
      out.add(Math.min(atNprobe, nlist));
    }
    return out.stream().distinct().sorted().toList();
  }
}
