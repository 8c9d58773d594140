package dev.kiln.job.encode;

import dev.kiln.job.read.Item;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.ShardHash;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ScalarQuantizer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;

/**
 * Assigns every item to its list and encodes it, on the executors, with the broadcast model:
 * the same {@link IndexModel} code the loader searches with. Items are taken in batches so the
 * coarse assignment runs the blocked kernel; with a graph over the centroids they are assigned
 * through it instead (unless the build asks for exact assignment). Each item's code is followed by its L2 term
 * (float32 little-endian, when {@link IndexModel#termBytes()} is 4) and with a refine stage by
 * its refine vector (float32 little-endian, or SQ8), which the shard writer splits off.
 */
public final class Encoder {
  private static final int BATCH = 256;
  /**
   * Bytes of vectors per batch at most (twice over: vectors and residuals): 256 rows up to
   * d = 4,096, fewer above, so a task's buffers do not grow with the dimension.
   */
  private static final long BATCH_BYTES = 4L << 20;

  private Encoder() {}

  public static JavaRDD<EncodedItem> encode(
      JavaRDD<Item> items, Broadcast<ModelBroadcast> model, int shards) {
    return items.mapPartitions(it -> {
      ModelBroadcast m = model.value();
      return new Batches(it, m.model(), m.exactAssignment(), m.spec().refine(), m.sq8(), shards);
    });
  }

  /** Streams a partition batch by batch: never more than one batch of vectors in flight. */
  private static final class Batches implements Iterator<EncodedItem> {
    private final Iterator<Item> in;
    private final IndexModel model;
    private final boolean exact;
    private final IndexSpec.Refine refine;
    private final ScalarQuantizer sq8;
    private final int shards;
    private final int dim;
    private final float[] batch;
    private final float[] residuals;
    private final byte[] codes;
    private final float[] terms;
    private final int batchRows;
    private final int[] lists;
    private final List<Item> pending;
    private int next;

    Batches(Iterator<Item> in, IndexModel model, boolean exact, IndexSpec.Refine refine,
        ScalarQuantizer sq8, int shards) {
      this.in = in;
      this.model = model;
      this.exact = exact;
      this.refine = refine;
      this.sq8 = sq8;
      this.shards = shards;
      this.dim = model.dim();
      this.batchRows = (int) Math.max(1, Math.min(BATCH, BATCH_BYTES / (4L * dim)));
      this.batch = new float[batchRows * dim];
      this.residuals = new float[batchRows * dim];
      this.codes = new byte[batchRows * model.codeSize()];
      this.terms = new float[batchRows];
      this.lists = new int[batchRows];
      this.pending = new ArrayList<>(batchRows);
    }

    @Override
    public boolean hasNext() {
      if (next < pending.size()) {
        return true;
      }
      pending.clear();
      next = 0;
      while (pending.size() < batchRows && in.hasNext()) {
        Item item = in.next();
        System.arraycopy(item.vector(), 0, batch, pending.size() * dim, dim);
        pending.add(item);
      }
      if (pending.isEmpty()) {
        return false;
      }
      model.assign(batch, pending.size(), lists, exact);
      model.encodeBatch(batch, pending.size(), lists, codes, residuals);
      if (model.termBytes() > 0) {
        model.l2Terms(codes, pending.size(), lists, terms);
      }
      return true;
    }

    @Override
    public EncodedItem next() {
      if (!hasNext()) {
        throw new java.util.NoSuchElementException();
      }
      int i = next++;
      Item item = pending.get(i);
      int codeSize = model.codeSize();
      int size = codeSize + model.termBytes();
      byte[] code = new byte[size + refine.bytesPerVector(dim)];
      System.arraycopy(codes, i * codeSize, code, 0, codeSize);
      if (model.termBytes() > 0) {
        ByteBuffer.wrap(code, codeSize, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(terms[i]);
      }
      if (refine == IndexSpec.Refine.SQ8) {
        sq8.encode(item.vector(), 0, code, size);
      } else if (refine == IndexSpec.Refine.FLAT) {
        ByteBuffer.wrap(code, size, 4 * dim).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
            .put(item.vector());
      }
      int shard = item.key() == null
          ? ShardHash.shardOf(item.id(), shards)
          : ShardHash.shardOf(item.key(), shards);
      return new EncodedItem(shard, lists[i], item.id(), item.key(), code);
    }
  }
}
