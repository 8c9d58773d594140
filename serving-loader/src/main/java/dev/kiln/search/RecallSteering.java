package dev.kiln.search;

import dev.kiln.format.Quality;
import java.nio.file.Path;

/**
 * A target recall turned into the nprobe, or for {@code HNSW{M}} the efSearch, that the build
 * measured reaching it ({@link KilnIndex#nprobeFor}, {@link SearchParams#targetRecall()}): the
 * manifest's recall curve, read once at open.
 */
final class RecallSteering {
  /** The recall curve the build measured, or null. */
  private final Quality quality;
  private final Path dir;
  private final boolean graph;

  RecallSteering(VersionFiles files) {
    this.quality = files.manifest().measuredQuality();
    this.dir = files.dir();
    this.graph = files.manifest().spec().isGraph();
  }

  /** See {@link KilnIndex#nprobeFor}. */
  int nprobeFor(double targetRecall) {
    if (!(targetRecall > 0 && targetRecall <= 1)) {
      throw new IllegalArgumentException("target recall must be in (0, 1], got " + targetRecall);
    }
    if (quality == null) {
      throw new IllegalStateException("index " + dir + " has no measured recall curve"
          + " (built without evaluation): search with SearchParams.nprobe(n) instead");
    }
    return quality.nprobeFor(targetRecall);
  }

  /** See {@link KilnIndex#efSearchFor}. */
  int efSearchFor(double targetRecall) {
    nprobeFor(targetRecall); // the same checks: a target in (0, 1], a measured curve
    return quality.efSearchFor(targetRecall);
  }

  /** The nprobe a search runs with: the target recall's, or the one asked for. */
  int nprobeOf(SearchParams params) {
    return params.targetRecall() > 0 ? nprobeFor(params.targetRecall()) : params.nprobe();
  }

  /** A target recall on an {@code HNSW{M}} index is an efSearch from its measured curve. */
  SearchParams steered(SearchParams params) {
    if (params.targetRecall() > 0 && graph) {
      return new SearchParams(1, 0, params.refineFactor(), params.filter(),
          efSearchFor(params.targetRecall()));
    }
    return params;
  }
}
