package dev.kiln.search;

import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;

/**
 * Scores the items of the probed lists, in every shard, and offers them to the candidates: one
 * implementation per list encoding, chosen once when the index opens. The per-item loops are
 * each implementation's own (the kernels, no call per item through an interface).
 */
interface ListScanner {

  /** Scans the lists of {@code probe} for the prepared {@code query}; fills {@code out}. */
  void scan(float[] query, Probe probe, ScanBuffers buffers, Candidates out);

  /** The scanner for an index's encoding: the one place an encoding maps to its scanner. */
  static ListScanner of(VersionFiles files, MetricStrategy metric) {
    return switch (files.model().spec().encoding()) {
      case FLAT -> new FlatScanner(files.shards(), files.model().dim(), metric);
      case PQ -> new PqScanner(files.shards(), files.model(), files.l2Table(), metric);
    };
  }
}
