package dev.kiln.job.config;

import java.util.Locale;

/**
 * What a build does with an id that occurs on more than one valid row ({@code --on-duplicate}).
 * Either way the check is one distributed aggregation over the ids, not a driver-side set.
 */
public enum OnDuplicate {
  /** Fail the build (exit 3), naming the first duplicated id, how many there are, and its files. */
  FAIL,
  /**
   * Keep one row per id and set the others aside in {@code _rejects/} as "duplicate id". The row
   * kept is the one whose embedding comes first in lexicographic order, component by component as
   * {@link Float#compare} orders floats (then by file name): a choice made from the rows' contents
   * only, so the same input keeps the same row whatever its files' order or partitioning.
   */
  KEEP_ANY;

  /** The option's spelling: fail, keep-any. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  @Override
  public String toString() {
    return cliName();
  }

  public static OnDuplicate parse(String s) {
    for (OnDuplicate d : values()) {
      if (d.cliName().equalsIgnoreCase(s.trim())) {
        return d;
      }
    }
    throw new IllegalArgumentException("--on-duplicate must be fail or keep-any, not '" + s + "'");
  }
}
