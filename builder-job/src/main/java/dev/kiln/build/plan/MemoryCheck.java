package dev.kiln.build.plan;

import dev.kiln.build.KilnException;
import dev.kiln.format.IndexSpec;
import java.util.Locale;
import org.apache.spark.SparkContext;

/**
 * Refuses, before any training, a dimension (with its list count) that one Spark task cannot
 * hold: without this the build dies in an executor with {@code OutOfMemoryError}, which kills a
 * local-mode JVM outright (exit 52, no message), or an {@code int} array size overflows.
 *
 * <p>What grows with dimension x lists, per task: the k-means partial sums (doubles), the
 * broadcast centroids and the assignment kernel's transposed copy of them (floats), 20 bytes per
 * element in all; plus a block of vectors ({@code TrainingSample}, at most 16 MiB) and the
 * evaluation's transposed queries. What grows with rows is streamed or sized by the rows present.
 */
public final class MemoryCheck {
  /** Bytes per nlist x dim element held by one k-means task: sums 8, centroids 4, tiles 4+. */
  static final long BYTES_PER_MODEL_ELEMENT = 20;
  /** A training block at most (TrainingSample.BLOCK_BYTES). */
  static final long BLOCK_BYTES = 16L << 20;
  /** What Spark reserves of every heap before anything else (RESERVED_SYSTEM_MEMORY_BYTES). */
  static final long SPARK_RESERVED = 300L << 20;
  /** The largest Java array (elements), with the JVM's header slack. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  private MemoryCheck() {}

  /** Bytes one task needs for vectors of {@code dim} with {@code nlist} lists. */
  public static long perTaskBytes(long dim, long nlist, long evalQueries) {
    long padded = (nlist + 63) / 64 * 64; // the kernel pads lists to groups of 4 tiles of 16
    return 8 * nlist * dim + 4 * nlist * dim + 4 * padded * dim + BLOCK_BYTES
        + 8 * evalQueries * dim; // queries broadcast and transposed
  }

  /**
   * @throws KilnException (bad input) when an array would exceed Java's limit, or one task
   *     would need more than an executor's heap
   */
  public static void check(SparkContext sc, int dim, IndexSpec spec, int evalQueries) {
    int nlist = spec.nlist();
    long padded = (nlist + 63L) / 64 * 64;
    long queries = (evalQueries + 15L) / 16 * 16; // in tiles of 16
    long codebooks = spec.encoding() == IndexSpec.Encoding.PQ ? 256L * dim : 0;
    long elements = Math.max(padded * dim, Math.max(codebooks, queries * dim));
    if (elements > MAX_ARRAY) {
      throw KilnException.badInput(String.format(Locale.ROOT,
          "dimension %d with %d lists needs arrays of %,d elements, more than Java's %,d;"
              + " use fewer lists or a smaller dimension", dim, nlist, elements, MAX_ARRAY));
    }
    long needs = perTaskBytes(dim, nlist, evalQueries);
    long heap = executorHeap(sc);
    if (needs > heap - SPARK_RESERVED) {
      throw KilnException.badInput(String.format(Locale.ROOT,
          "dimension %d with %d lists needs about %s per task (k-means sums, centroids and"
              + " their kernel copy: %d bytes per list and dimension, plus a 16 MiB block%s);"
              + " an executor has %s of heap (%s after Spark's reserve): use fewer lists, or"
              + " more executor memory (spark.executor.memory)", dim, nlist,
          AutoIndex.human(needs), BYTES_PER_MODEL_ELEMENT,
          evalQueries > 0 ? " and " + evalQueries + " evaluation queries" : "",
          AutoIndex.human(heap), AutoIndex.human(Math.max(0, heap - SPARK_RESERVED))));
    }
  }

  /** The heap of one executor: this JVM's in local mode, spark.executor.memory otherwise. */
  static long executorHeap(SparkContext sc) {
    return sc.isLocal() ? Runtime.getRuntime().maxMemory() : sc.executorMemory() * (1L << 20);
  }
}
