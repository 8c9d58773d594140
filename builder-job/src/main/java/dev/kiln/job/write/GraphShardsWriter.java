package dev.kiln.job.write;

import dev.kiln.format.FormatOutput;
import dev.kiln.format.GraphFile;
import dev.kiln.format.HnswSection;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Metric;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardFile;
import dev.kiln.format.ShardFileWriter;
import dev.kiln.format.ShardHash;
import dev.kiln.job.graph.HnswBuilder;
import dev.kiln.job.read.Item;
import dev.kiln.quantize.ScalarQuantizer;
import dev.kiln.store.IndexRoot;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Writes the files of {@code HNSW{M}}: per shard its shard file (one list of float32 vectors, in
 * id order; {@code HNSW{M},SQ8}: of their 8-bit codes), keys file (string ids), refine file
 * ({@code ,RFlat}: the float32 vectors) and graph file ({@link GraphFile}), one task per shard. A
 * shard's graph needs all its vectors in memory, so the task takes the shard whole: items are
 * partitioned by shard and sorted by id in the task (no shuffle sort, no encode pass: a Flat
 * code is the vector itself, an SQ8 code one pass over it), then the graph is built over the
 * float32 vectors, whatever the shard stores, on the executor's cores ({@link HnswBuilder}: the
 * same bytes on any number of threads). Files are named after the
 * task attempt, as {@link ShardFilesWriter}'s, for the driver to commit.
 */
public final class GraphShardsWriter {
  private static final Logger LOG = LoggerFactory.getLogger(GraphShardsWriter.class);

  /**
   * What every task needs: where attempts go, the shard count, dimension, id type, the model
   * checksum the files bind to, and the graph's M, efConstruction, metric and seed (a shard's
   * levels are drawn from seed + shard); {@code sq8} encodes the stored vectors (null: float32),
   * {@code refineFlat} adds a refine file of float32 vectors.
   */
  public record Plan(String attemptDir, int shards, int dim, IdType idType, int modelChecksum,
      HadoopConf conf, int m, int efConstruction, Metric metric, long seed, ScalarQuantizer sq8,
      boolean refineFlat)
      implements Serializable {}

  /** One shard's files and counts, as its task reports them to the driver. */
  record Shard(int shard, long count, long keyBytes, List<WrittenFile> files)
      implements Serializable {}

  /** The files written and the counts the manifest needs. */
  public record Written(List<WrittenFile> files, ListCounts counts) {}

  private GraphShardsWriter() {}

  public static Written write(JavaRDD<Item> items, Broadcast<Plan> plan, int shards) {
    List<Shard> done = items
        .mapToPair(item -> new Tuple2<>(item.key() == null
            ? ShardHash.shardOf(item.id(), shards) : ShardHash.shardOf(item.key(), shards), item))
        .partitionBy(new ShardPartitioner(shards))
        .mapPartitionsWithIndex((shard, it) -> List.of(writeShard(plan.value(), shard, it))
            .iterator(), true)
        .collect();
    ListCounts counts = new ListCounts(shards, 1);
    List<WrittenFile> files = new ArrayList<>();
    for (Shard s : done) {
      counts.add(s.shard(), 0, s.count(), s.keyBytes());
      files.addAll(s.files());
    }
    return new Written(files, counts);
  }

  static Shard writeShard(Plan plan, int shard, Iterator<Tuple2<Integer, Item>> it)
      throws IOException {
    long t0 = System.nanoTime();
    List<Item> items = new ArrayList<>();
    while (it.hasNext()) {
      items.add(it.next()._2());
    }
    boolean strings = plan.idType() == IdType.STRING;
    items.sort(strings ? Comparator.comparing(Item::key) : Comparator.comparingLong(Item::id));
    int n = items.size();
    int dim = plan.dim();
    long keyBytes = 0;
    float[] vectors = new float[Math.multiplyExact(n, dim)];
    for (int i = 0; i < n; i++) {
      Item item = items.get(i);
      System.arraycopy(item.vector(), 0, vectors, i * dim, dim);
      if (strings) {
        keyBytes += item.key().getBytes(StandardCharsets.UTF_8).length;
      }
    }
    long attempt = TaskContext.get().taskAttemptId();
    Path dir = new Path(plan.attemptDir());
    FileSystem fs = IndexRoot.withoutChecksumFiles(dir.getFileSystem(plan.conf().get()));
    List<WrittenFile> out = new ArrayList<>(4);
    String shardName = ShardFile.fileName(shard);
    Path shardPath = new Path(dir, shardName + ".attempt-" + attempt);
    String keysName = KeysFile.fileName(shard);
    Path keysPath = new Path(dir, keysName + ".attempt-" + attempt);
    String refineName = RefineFile.fileName(shard);
    Path refinePath = new Path(dir, refineName + ".attempt-" + attempt);
    ScalarQuantizer sq8 = plan.sq8();
    boolean refine = plan.refineFlat();
    try (FormatOutput shardOut = new FormatOutput(fs.create(shardPath, true));
        FormatOutput keysOut = strings ? new FormatOutput(fs.create(keysPath, true)) : null;
        FormatOutput refineOut = refine ? new FormatOutput(fs.create(refinePath, true)) : null) {
      int codeSize = sq8 == null ? dim * Float.BYTES : dim;
      ShardFileWriter w = new ShardFileWriter(shardOut, shard, plan.shards(), dim,
          codeSize, false, plan.idType(), plan.modelChecksum(), new long[] {n});
      KeysFile.Writer kw = strings ? new KeysFile.Writer(keysOut, shard, n, keyBytes) : null;
      RefineFile.Writer rw = refine ? new RefineFile.Writer(refineOut, shard, dim,
          IndexSpec.Refine.FLAT, plan.modelChecksum(), n, null, null) : null;
      byte[] floats = new byte[dim * Float.BYTES];
      ByteBuffer floatBuf = ByteBuffer.wrap(floats).order(ByteOrder.LITTLE_ENDIAN);
      byte[] code = sq8 == null ? floats : new byte[dim];
      for (int i = 0; i < n; i++) {
        Item item = items.get(i);
        floatBuf.clear();
        floatBuf.asFloatBuffer().put(vectors, i * dim, dim);
        if (sq8 != null) {
          sq8.encode(vectors, i * dim, code, 0);
        }
        if (strings) {
          w.add(0, code);
          kw.add(item.key());
        } else {
          w.add(0, item.id(), code);
        }
        if (refine) {
          rw.add(floats, 0);
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
    items = null; // the graph needs only the packed vectors: let the items go
    long t1 = System.nanoTime();
    int threads = Runtime.getRuntime().availableProcessors();
    HnswSection graph = n == 0 ? null : HnswBuilder.build(vectors, n, dim, plan.metric(),
        plan.m(), plan.efConstruction(), plan.seed() + shard, threads);
    long t2 = System.nanoTime();
    String graphName = GraphFile.fileName(shard);
    Path graphPath = new Path(dir, graphName + ".attempt-" + attempt);
    try (FormatOutput gout = new FormatOutput(fs.create(graphPath, true))) {
      int crc = GraphFile.write(gout, shard, plan.modelChecksum(), graph);
      out.add(new WrittenFile(graphName, graphPath.toString(), gout.position(), crc));
    }
    LOG.info("shard {}: {} items received and written in {} s, graph built in {} s on {}"
        + " threads", shard, n, String.format("%.1f", (t1 - t0) / 1e9),
        String.format("%.1f", (t2 - t1) / 1e9), threads);
    return new Shard(shard, n, keyBytes, out);
  }
}
