package dev.kiln.format.fuzz;

import java.util.List;
import java.util.Random;

/**
 * Turns a valid seed file into a damaged one. Every choice comes from {@code r}, so an input is
 * reproduced by its seed alone.
 */
@FunctionalInterface
public interface Mutator {
  /**
   * Returns a damaged copy of {@code seed} (which is left as it is) and appends a short
   * description of each change to {@code log}, for the failure report.
   */
  byte[] mutate(byte[] seed, Random r, List<String> log);

  /** Byte-level damage: bit flips, boundary values, truncation, extension, chunk edits. */
  static Mutator bytes() {
    return ByteMutator.INSTANCE;
  }

  /** Damage to a JSON document's structure and values, sometimes to its bytes. */
  static Mutator json() {
    return JsonMutator.INSTANCE;
  }
}
