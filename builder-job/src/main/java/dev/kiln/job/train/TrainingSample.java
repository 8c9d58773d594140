package dev.kiln.job.train;

import dev.kiln.job.read.Item;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/** Draws a seeded random sample of the items and packs each partition's share into blocks. */
public final class TrainingSample {
  /** Rows per block at most: large enough to amortize per-block work. */
  static final int BLOCK_ROWS = 4096;
  /**
   * Bytes per block at most, so a block of high-dimensional vectors stays small (4,096 rows of
   * d = 4,096 would be 64 MiB per task): 4,096 rows up to d = 1,024, fewer above.
   */
  static final long BLOCK_BYTES = 16L << 20;
  /** The first buffer's rows: a partition's share of a sample is often small. */
  private static final int FIRST_ROWS = 64;

  private TrainingSample() {}

  /**
   * About {@code fraction} of the items (all when fraction >= 1), as blocks. The same input,
   * partitioning and seed give the same sample.
   */
  public static JavaRDD<VectorBlock> blocks(JavaRDD<Item> items, double fraction, long seed, int dim) {
    JavaRDD<Item> sample = fraction >= 1 ? items : items.sample(false, fraction, seed);
    return sample.mapPartitionsWithIndex((p, it) -> pack(p, it, dim), true);
  }

  /** Rows in one block of vectors of dimension {@code dim}: at least one. */
  static int blockRows(int dim) {
    return (int) Math.max(1, Math.min(BLOCK_ROWS, BLOCK_BYTES / (4L * dim)));
  }

  /**
   * Packs the rows into blocks of {@link #blockRows} rows (the last one shorter). The buffer
   * grows with the rows actually present, so a partition with a few rows of a large dimension
   * allocates a few rows' worth, not a full block.
   */
  static Iterator<VectorBlock> pack(int partition, Iterator<Item> it, int dim) {
    int rowsPerBlock = blockRows(dim);
    List<VectorBlock> out = new ArrayList<>();
    float[] buf = new float[Math.min(rowsPerBlock, FIRST_ROWS) * dim];
    int n = 0;
    while (it.hasNext()) {
      if ((n + 1) * dim > buf.length) {
        buf = Arrays.copyOf(buf, Math.min(rowsPerBlock, 2 * n) * dim);
      }
      System.arraycopy(it.next().vector(), 0, buf, n * dim, dim);
      if (++n == rowsPerBlock) {
        out.add(new VectorBlock(partition, n, dim, buf));
        buf = new float[rowsPerBlock * dim]; // more rows follow, likely a full block's worth
        n = 0;
      }
    }
    if (n > 0) {
      out.add(new VectorBlock(partition, n, dim,
          buf.length == n * dim ? buf : Arrays.copyOf(buf, n * dim)));
    }
    return out.iterator();
  }

  /** Total rows in a block RDD. */
  public static long rows(JavaRDD<VectorBlock> blocks) {
    return blocks.map(b -> (long) b.rows()).fold(0L, Long::sum);
  }
}
