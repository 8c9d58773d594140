package dev.kiln.cli;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.search.SearchParams;

/**
 * {@code --ef-search}, shared by the commands that search: {@code auto} (derived from nprobe), a
 * beam width of at least 1, or {@code flat} (every centroid scored, the graph bypassed).
 */
final class EfSearchOption {
  static final String DESCRIPTION = "With an IVF{n}_HNSW{M} index: the coarse graph search's"
      + " beam, auto (from nprobe), a number >= 1, or flat to score every centroid"
      + " (default: ${DEFAULT-VALUE}).";

  private EfSearchOption() {}

  /** The {@link SearchParams#efSearch()} value for the option's text. */
  static int parse(String text) {
    String t = text.trim();
    if (t.equalsIgnoreCase("auto")) {
      return 0;
    }
    if (t.equalsIgnoreCase("flat")) {
      return SearchParams.FLAT_COARSE;
    }
    try {
      int v = Integer.parseInt(t);
      if (v >= 1) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw new InvalidOptionException(
        "--ef-search must be auto, flat or a number of at least 1, got '" + text + "'");
  }
}
