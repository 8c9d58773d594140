package dev.kiln.format.fuzz;

import dev.kiln.format.CorruptIndexException;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/**
 * One reader under fuzz: valid seed files, how to damage them, how to read an input (and use
 * what was read), and which exceptions are the reader's documented answer to bad bytes. Every
 * other outcome of {@link #read} is a bug: any other exception or error, an assertion of the
 * reader's own contract failing, a hang, or an allocation out of proportion to the input.
 *
 * @param name names the reader in reports and in {@code -Dkiln.fuzz.replay=NAME:SEED}
 * @param seeds valid files; each input damages one of them
 * @param mutator how an input is made from a seed
 * @param read reads an input; it returns normally only if what was read is usable (its
 *     accessors answer, a search runs), asserting whatever the contract promises
 * @param rejected the documented failure for a damaged input
 * @param ciInputs inputs per CI run (see {@link Fuzzer} for longer runs)
 */
public record FuzzTarget(
    String name,
    List<Seed> seeds,
    Mutator mutator,
    Read read,
    Rejection rejected,
    int ciInputs) {

  /** A valid file to start from, with a label for reports. */
  public record Seed(String label, byte[] bytes) {}

  /** Reads one input made from {@code seed}; {@code r} is the input's own random source. */
  @FunctionalInterface
  public interface Read {
    void run(Seed seed, byte[] input, Random r) throws Exception;
  }

  /** Whether {@code t}, thrown while reading an input made from {@code seed}, is documented. */
  @FunctionalInterface
  public interface Rejection {
    boolean documented(Seed seed, Throwable t);

    /**
     * The format readers' answer: a {@link CorruptIndexException} whose message starts with the
     * file's name ({@code fileName} of the seed) and a colon.
     */
    static Rejection corruptIndex(Function<Seed, String> fileName) {
      return (seed, t) -> t instanceof CorruptIndexException
          && t.getMessage().startsWith(fileName.apply(seed) + ": ");
    }
  }
}
