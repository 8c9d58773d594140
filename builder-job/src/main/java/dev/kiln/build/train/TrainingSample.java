package dev.kiln.build.train;

import dev.kiln.build.read.Item;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;

/** Draws a seeded random sample of the items and packs each partition's share into blocks. */
public final class TrainingSample {
  /** Rows per block: large enough to amortize per-block work, small enough to stay in cache. */
  static final int BLOCK_ROWS = 4096;

  private TrainingSample() {}

  /**
   * About {@code fraction} of the items (all when fraction >= 1), as blocks. The same input,
   * partitioning and seed give the same sample.
   */
  public static JavaRDD<VectorBlock> blocks(JavaRDD<Item> items, double fraction, long seed, int dim) {
    JavaRDD<Item> sample = fraction >= 1 ? items : items.sample(false, fraction, seed);
    return sample.mapPartitionsWithIndex((p, it) -> pack(p, it, dim), true);
  }

  static Iterator<VectorBlock> pack(int partition, Iterator<Item> it, int dim) {
    List<VectorBlock> out = new ArrayList<>();
    float[] buf = new float[BLOCK_ROWS * dim];
    int n = 0;
    while (it.hasNext()) {
      System.arraycopy(it.next().vector(), 0, buf, n * dim, dim);
      if (++n == BLOCK_ROWS) {
        out.add(new VectorBlock(partition, n, dim, buf));
        buf = new float[BLOCK_ROWS * dim];
        n = 0;
      }
    }
    if (n > 0) {
      float[] tail = new float[n * dim];
      System.arraycopy(buf, 0, tail, 0, n * dim);
      out.add(new VectorBlock(partition, n, dim, tail));
    }
    return out.iterator();
  }

  /** Total rows in a block RDD. */
  public static long rows(JavaRDD<VectorBlock> blocks) {
    return blocks.map(b -> (long) b.rows()).fold(0L, Long::sum);
  }
}
