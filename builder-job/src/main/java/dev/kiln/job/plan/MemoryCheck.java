package dev.kiln.job.plan;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.errors.KilnException;
import dev.kiln.format.IndexSpec;
import java.util.Locale;
import org.apache.spark.SparkContext;

/**
 * Refuses, before any training, a dimension (with its list count) that one Spark task cannot
 * hold: without this the build dies in an executor with {@code OutOfMemoryError}, which kills a
 * local-mode JVM outright (exit 52, no message), or an {@code int} array size overflows.
 *
 * <p>What grows with the dimension, per task, stage by stage (the largest counts): k-means holds
 * its partial sums (doubles), the broadcast centroids and the assignment kernel's transposed
 * copy of them (floats), 16 bytes per list and dimension, plus a training block (at most 16
 * MiB); PQ training holds one sub-space's sample twice over and the centroids twice; the
 * evaluation holds the queries twice. What grows with rows is streamed or sized by the rows
 * present.
 */
public final class MemoryCheck {
  /** A training block at most (TrainingSample.BLOCK_BYTES). */
  static final long BLOCK_BYTES = 16L << 20;
  /** What Spark reserves of every heap before anything else (RESERVED_SYSTEM_MEMORY_BYTES). */
  static final long SPARK_RESERVED = 300L << 20;
  /** The largest Java array (elements), with the JVM's header slack. */
  static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

  private MemoryCheck() {}

  /** One task's largest need: which stage, how many bytes, and what lowers it. */
  record Need(String stage, long bytes, String fix) {}

  /** Bytes one task needs for vectors of {@code dim}, at its most demanding stage. */
  static Need perTask(long dim, IndexSpec spec, long pqPoints, long evalQueries) {
    long nlist = spec.nlist();
    long padded = (nlist + 63) / 64 * 64; // the kernel pads lists to groups of 4 tiles of 16
    Need need = new Need("k-means", 12 * nlist * dim + 4 * padded * dim + BLOCK_BYTES,
        "fewer lists");
    if (spec.encoding() == IndexSpec.Encoding.PQ) {
      long pq = 8 * pqPoints * (dim / spec.pqM()) + 8 * padded * dim;
      need = pq > need.bytes() ? new Need("PQ training", pq, "a smaller --pq-train-points") : need;
    }
    long eval = 8 * ((evalQueries + 15) / 16 * 16) * dim + 4 * 128 * dim;
    return eval > need.bytes()
        ? new Need(evalQueries + " evaluation queries", eval, "fewer --eval-queries") : need;
  }

  /**
   * @param pqPoints rows in the PQ training sample at most
   * @param evalQueries queries the evaluation samples (0 for none)
   * @throws KilnException (bad input) when an array would exceed Java's limit, or one task
   *     would need more than an executor's heap
   */
  public static void check(SparkContext sc, int dim, IndexSpec spec, long pqPoints,
      long evalQueries) {
    int nlist = spec.nlist();
    boolean pq = spec.encoding() == IndexSpec.Encoding.PQ;
    long elements = Math.max((nlist + 63L) / 64 * 64 * dim, 4L * nlist * dim); // seeds: 4 x nlist
    elements = Math.max(elements, (evalQueries + 15) / 16 * 16 * dim);
    if (pq) {
      elements = Math.max(elements, Math.max(256L * dim, pqPoints * (dim / spec.pqM())));
    }
    if (elements > MAX_ARRAY) {
      throw new InvalidInputException(String.format(Locale.ROOT,
          "dimension %d with %d lists needs arrays of %,d elements, more than Java's %,d;"
              + " use fewer lists or a smaller dimension", dim, nlist, elements, MAX_ARRAY));
    }
    Need need = perTask(dim, spec, pqPoints, evalQueries);
    long heap = executorHeap(sc);
    if (need.bytes() > heap - SPARK_RESERVED) {
      throw new InvalidInputException(String.format(Locale.ROOT,
          "dimension %d with %d lists needs about %s per task (for %s); an executor has %s of"
              + " heap (%s after Spark's reserve): use %s, or more executor memory"
              + " (spark.executor.memory)", dim, nlist, AutoIndex.human(need.bytes()),
          need.stage(), AutoIndex.human(heap),
          AutoIndex.human(Math.max(0, heap - SPARK_RESERVED)), need.fix()));
    }
  }

  /**
   * The list-size table (a long per shard and list, one per task and two while merging) must
   * fit: {@code --shards 5000} with 65,536 lists is 2.4 GiB per task.
   *
   * @throws KilnException (usage) naming {@code --shards} when it does not
   */
  public static void checkShards(SparkContext sc, int shards, int nlist) {
    long cells = (long) shards * nlist;
    long heap = executorHeap(sc);
    if (cells > MAX_ARRAY || 16 * cells > heap - SPARK_RESERVED) {
      throw new InvalidOptionException(String.format(Locale.ROOT,
          "--shards %d with %d lists needs a table of %,d list sizes, %s per task; an executor"
              + " has %s of heap: use fewer shards (the default is about one per 512 MiB)",
          shards, nlist, cells, AutoIndex.human(16 * cells), AutoIndex.human(heap)));
    }
  }

  /** The heap of one executor: this JVM's in local mode, spark.executor.memory otherwise. */
  static long executorHeap(SparkContext sc) {
    return sc.isLocal() ? Runtime.getRuntime().maxMemory() : sc.executorMemory() * (1L << 20);
  }
}
