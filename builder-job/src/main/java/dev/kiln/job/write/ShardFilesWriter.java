package dev.kiln.job.write;

import dev.kiln.job.encode.EncodedItem;
import dev.kiln.format.FormatOutput;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardFile;
import dev.kiln.format.ShardFileWriter;
import dev.kiln.store.IndexRoot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Writes the shard files (and keys files for string ids, refine files for a refine stage): items
 * are partitioned by shard and
 * sorted by (list, id) with Spark's external sort, then each task streams its shard to a file
 * named after its task attempt. Only the driver turns an attempt's file into the shard (see
 * {@code Publisher.commit}), and only for the attempt whose result it received, so a retried or
 * speculative attempt can never leave a second or partial copy behind.
 */
public final class ShardFilesWriter {

  /**
   * What every writing task needs to know. {@code termBytes} is 4 when each code is followed by
   * the item's L2 term ({@code IndexModel.termBytes}); with {@code fastScan} a code is one byte
   * per sub-space, packed into the shard's 4-bit blocks; {@code refine} is the spec's refine stage;
   * for SQ8, {@code sq8Base} and {@code sq8Step} are its parameters (else null).
   */
  public record Plan(
      String attemptDir,
      int shards,
      int dim,
      int codeSize,
      boolean fastScan,
      int termBytes,
      IdType idType,
      int modelChecksum,
      ListCounts counts,
      HadoopConf conf,
      IndexSpec.Refine refine,
      float[] sq8Base,
      float[] sq8Step)
      implements java.io.Serializable {}

  private ShardFilesWriter() {}

  public static List<WrittenFile> write(
      JavaRDD<EncodedItem> items, Broadcast<Plan> plan, int shards) {
    JavaPairRDD<ShardSortKey, byte[]> sorted =
        items
            .mapToPair(e -> new Tuple2<>(new ShardSortKey(e.shard(), e.list(), e.id(), e.key()),
                e.code()))
            .repartitionAndSortWithinPartitions(new ShardPartitioner(shards));
    return sorted
        .mapPartitionsWithIndex((shard, it) -> writeShard(plan.value(), shard, it).iterator(), true)
        .collect();
  }

  static List<WrittenFile> writeShard(Plan plan, int shard, Iterator<Tuple2<ShardSortKey, byte[]>> it)
      throws IOException {
    long attempt = TaskContext.get().taskAttemptId();
    String shardName = ShardFile.fileName(shard);
    String keysName = KeysFile.fileName(shard);
    Path shardPath = new Path(plan.attemptDir(), shardName + ".attempt-" + attempt);
    Path keysPath = new Path(plan.attemptDir(), keysName + ".attempt-" + attempt);
    String refineName = RefineFile.fileName(shard);
    Path refinePath = new Path(plan.attemptDir(), refineName + ".attempt-" + attempt);
    FileSystem fs = IndexRoot.withoutChecksumFiles(shardPath.getFileSystem(plan.conf().get()));
    boolean strings = plan.idType() == IdType.STRING;
    boolean refine = plan.refine() != IndexSpec.Refine.NONE;
    int codeSize = plan.codeSize();
    boolean terms = plan.termBytes() > 0;
    List<WrittenFile> out = new ArrayList<>(3);
    try (FormatOutput shardOut = new FormatOutput(fs.create(shardPath, true));
        FormatOutput keysOut = strings ? new FormatOutput(fs.create(keysPath, true)) : null;
        FormatOutput refineOut = refine ? new FormatOutput(fs.create(refinePath, true)) : null) {
      // Fast-scan codes arrive one byte per sub-space; the shard packs two per byte.
      ShardFileWriter w = new ShardFileWriter(shardOut, shard, plan.shards(), plan.dim(),
          plan.fastScan() ? codeSize / 2 : codeSize, plan.fastScan(), terms, plan.idType(),
          plan.modelChecksum(), plan.counts().listSizes(shard));
      KeysFile.Writer kw = strings
          ? new KeysFile.Writer(keysOut, shard, plan.counts().shardCount(shard),
              plan.counts().keyBytes(shard))
          : null;
      RefineFile.Writer rw = refine
          ? new RefineFile.Writer(refineOut, shard, plan.dim(), plan.refine(),
              plan.modelChecksum(), plan.counts().shardCount(shard), plan.sq8Base(),
              plan.sq8Step())
          : null;
      while (it.hasNext()) {
        Tuple2<ShardSortKey, byte[]> t = it.next();
        ShardSortKey k = t._1();
        // The value is code [+ L2 term] [+ refine vector]: the shard takes the code and term.
        byte[] value = t._2();
        byte[] code = value.length == codeSize ? value : Arrays.copyOf(value, codeSize);
        float term = terms
            ? ByteBuffer.wrap(value, codeSize, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat()
            : 0f;
        if (strings) {
          w.add(k.list(), code, term);
          kw.add(k.key());
        } else {
          w.add(k.list(), k.id(), code, term);
        }
        if (refine) {
          rw.add(value, codeSize + plan.termBytes());
        }
      }
      int crc = w.finish();
      out.add(new WrittenFile(shardName, shardPath.toString(), shardOut.position(), crc));
      if (strings) {
        int kcrc = kw.finish();
        out.add(new WrittenFile(keysName, keysPath.toString(), keysOut.position(), kcrc));
      }
      if (refine) {
        int rcrc = rw.finish();
        out.add(new WrittenFile(refineName, refinePath.toString(), refineOut.position(), rcrc));
      }
    }
    return out;
  }
}
