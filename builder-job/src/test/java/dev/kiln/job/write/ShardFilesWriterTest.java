package dev.kiln.job.write;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.FileFormat;
import dev.kiln.format.IdType;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.KeysFile;
import dev.kiln.format.RefineFile;
import dev.kiln.format.ShardFile;
import dev.kiln.format.ShardHash;
import dev.kiln.job.encode.EncodedItem;
import dev.kiln.testing.SparkExtension;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write stage on its own: a small set of encoded items written by Spark tasks, read back with
 * the index-format readers. One shard file per shard (plus keys or refine files), under a
 * task-attempt name; the sizes and checksums reported are the files'; the items sit in their list,
 * sorted by id (or key) within it, each with its own code.
 */
@ExtendWith(SparkExtension.class)
class ShardFilesWriterTest {
  private static final int SHARDS = 3;
  private static final int NLIST = 4;
  private static final int DIM = 2;
  private static final int CODE = 5;
  private static final int CHECKSUM = 0x5eed;

  @TempDir Path tmp;

  private static List<EncodedItem> items(boolean strings, int extra) {
    Random rnd = new Random(3);
    List<EncodedItem> out = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      long id = rnd.nextLong() >>> 20;
      String key = strings ? "k" + rnd.nextInt(1_000_000) + "-" + i + (i % 5 == 0 ? "-日本" : "") : null;
      int shard = strings ? ShardHash.shardOf(key, SHARDS) : ShardHash.shardOf(id, SHARDS);
      byte[] code = new byte[CODE + extra];
      rnd.nextBytes(code);
      out.add(new EncodedItem(shard, rnd.nextInt(NLIST - 1), strings ? 0 : id, key, code));
    }
    return out;
  }

  private record Written(List<WrittenFile> files, Map<String, ByteBuffer> byName) {}

  private Written write(SparkSession spark, List<EncodedItem> items, IdType idType,
      IndexSpec.Refine refine) throws Exception {
    return write(spark, items, idType, refine, 0);
  }

  private Written write(SparkSession spark, List<EncodedItem> items, IdType idType,
      IndexSpec.Refine refine, int termBytes) throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    JavaRDD<EncodedItem> rdd = jsc.parallelize(items, 4);
    ListCounts counts = ListCounts.of(rdd, SHARDS, NLIST);
    ShardFilesWriter.Plan plan = new ShardFilesWriter.Plan(tmp.toString(), SHARDS, DIM, CODE, false,
        termBytes,
        idType, CHECKSUM, counts, new HadoopConf(spark.sparkContext().hadoopConfiguration()),
        refine, null, null);
    List<WrittenFile> files = ShardFilesWriter.write(rdd, jsc.broadcast(plan), SHARDS);
    Map<String, ByteBuffer> byName = new HashMap<>();
    for (WrittenFile f : files) {
      Path p = Path.of(new org.apache.hadoop.fs.Path(f.attemptPath()).toUri().getPath());
      assertTrue(p.getFileName().toString().startsWith(f.name() + ".attempt-"), f.attemptPath());
      byte[] bytes = Files.readAllBytes(p);
      assertEquals(bytes.length, f.bytes(), f.name());
      ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      FileFormat.verifyChecksum(buf, f.name());
      assertEquals(FileFormat.storedChecksum(buf), f.crc32c(), f.name());
      byName.put(f.name(), buf);
    }
    return new Written(files, byName);
  }

  @Test
  void longIdShardsAreSortedByListThenIdWithTheirCodes(SparkSession spark) throws Exception {
    List<EncodedItem> items = items(false, 0);
    Written w = write(spark, items, IdType.LONG, IndexSpec.Refine.NONE);
    assertEquals(SHARDS, w.files().size());
    Map<Long, EncodedItem> byId = new HashMap<>();
    items.forEach(e -> byId.put(e.id(), e));
    long total = 0;
    for (int s = 0; s < SHARDS; s++) {
      String name = ShardFile.fileName(s);
      ShardFile f = ShardFile.open(w.byName().get(name), name);
      assertEquals(s, f.shard());
      assertEquals(SHARDS, f.shardCount());
      assertEquals(NLIST, f.nlist());
      assertEquals(DIM, f.dim());
      assertEquals(CODE, f.codeSize());
      assertEquals(IdType.LONG, f.idType());
      assertEquals(CHECKSUM, f.modelChecksum());
      assertEquals(0, f.listSize(NLIST - 1), "no item was put in the last list");
      long ordinal = 0;
      for (int l = 0; l < NLIST; l++) {
        assertEquals(ordinal, f.firstOrdinal(l));
        final int list = l;
        final int shard = s;
        long[] want = items.stream().filter(e -> e.shard() == shard && e.list() == list)
            .mapToLong(EncodedItem::id).sorted().toArray();
        assertEquals(want.length, f.listSize(l), "shard " + s + " list " + l);
        for (int i = 0; i < want.length; i++) {
          long id = f.id(l, i);
          assertEquals(want[i], id, "sorted by id");
          assertEquals(id, f.idOfOrdinal(ordinal + i));
          byte[] code = new byte[CODE];
          f.buffer().duplicate().position(f.codesOffset(l) + i * CODE).get(code);
          assertArrayEquals(byId.get(id).code(), code, "code of id " + id);
        }
        ordinal += want.length;
      }
      assertEquals(ordinal, f.count());
      total += f.count();
    }
    assertEquals(items.size(), total);
  }

  @Test
  void stringKeysGoToKeysFilesInListThenKeyOrder(SparkSession spark) throws Exception {
    List<EncodedItem> items = items(true, 0);
    Written w = write(spark, items, IdType.STRING, IndexSpec.Refine.NONE);
    assertEquals(2 * SHARDS, w.files().size());
    Map<String, EncodedItem> byKey = new HashMap<>();
    items.forEach(e -> byKey.put(e.key(), e));
    long total = 0;
    for (int s = 0; s < SHARDS; s++) {
      ShardFile f = ShardFile.open(w.byName().get(ShardFile.fileName(s)), ShardFile.fileName(s));
      KeysFile k = KeysFile.open(w.byName().get(KeysFile.fileName(s)), KeysFile.fileName(s));
      assertEquals(IdType.STRING, f.idType());
      assertEquals(f.count(), k.count());
      for (int l = 0; l < NLIST; l++) {
        final int list = l;
        final int shard = s;
        String[] want = items.stream().filter(e -> e.shard() == shard && e.list() == list)
            .map(EncodedItem::key).sorted().toArray(String[]::new);
        assertEquals(want.length, f.listSize(l));
        for (int i = 0; i < want.length; i++) {
          String key = k.key(f.firstOrdinal(l) + i);
          assertEquals(want[i], key, "sorted by key");
          byte[] code = new byte[CODE];
          f.buffer().duplicate().position(f.codesOffset(l) + i * CODE).get(code);
          assertArrayEquals(byKey.get(key).code(), code, "code of key " + key);
        }
      }
      total += k.count();
    }
    assertEquals(items.size(), total);
  }

  @Test
  void aRefineVectorIsSplitOffIntoTheRefineFile(SparkSession spark) throws Exception {
    int refineBytes = IndexSpec.Refine.FLAT.bytesPerVector(DIM);
    List<EncodedItem> items = items(false, refineBytes);
    Written w = write(spark, items, IdType.LONG, IndexSpec.Refine.FLAT);
    assertEquals(2 * SHARDS, w.files().size());
    Map<Long, EncodedItem> byId = new HashMap<>();
    items.forEach(e -> byId.put(e.id(), e));
    for (int s = 0; s < SHARDS; s++) {
      ShardFile f = ShardFile.open(w.byName().get(ShardFile.fileName(s)), ShardFile.fileName(s));
      RefineFile r =
          RefineFile.open(w.byName().get(RefineFile.fileName(s)), RefineFile.fileName(s));
      assertEquals(f.count(), r.count());
      assertEquals(IndexSpec.Refine.FLAT, r.encoding());
      assertEquals(CHECKSUM, r.modelChecksum());
      for (long o = 0; o < f.count(); o++) {
        long id = f.idOfOrdinal(o);
        byte[] full = byId.get(id).code();
        byte[] vec = new byte[refineBytes];
        r.buffer().duplicate().position(r.vectorOffset(o)).get(vec);
        assertArrayEquals(Arrays.copyOfRange(full, CODE, full.length), vec, "refine of " + id);
      }
      // The shard holds the first CODE bytes only.
      int l = 0;
      while (f.listSize(l) == 0) {
        l++;
      }
      byte[] code = new byte[CODE];
      f.buffer().duplicate().position(f.codesOffset(l)).get(code);
      assertArrayEquals(Arrays.copyOf(byId.get(f.id(l, 0)).code(), CODE), code);
    }
  }

  /** Code, then the L2 term, then the refine vector: each goes to its own place. */
  @Test
  void anL2TermGoesToTheShardAndTheRefineVectorToTheRefineFile(SparkSession spark)
      throws Exception {
    int refineBytes = IndexSpec.Refine.FLAT.bytesPerVector(DIM);
    List<EncodedItem> items = items(false, 4 + refineBytes);
    Written w = write(spark, items, IdType.LONG, IndexSpec.Refine.FLAT, 4);
    Map<Long, EncodedItem> byId = new HashMap<>();
    items.forEach(e -> byId.put(e.id(), e));
    long checked = 0;
    for (int s = 0; s < SHARDS; s++) {
      ShardFile f = ShardFile.open(w.byName().get(ShardFile.fileName(s)), ShardFile.fileName(s));
      RefineFile r =
          RefineFile.open(w.byName().get(RefineFile.fileName(s)), RefineFile.fileName(s));
      assertTrue(f.hasTerms());
      for (int l = 0; l < NLIST; l++) {
        for (int i = 0; i < f.listSize(l); i++) {
          byte[] full = byId.get(f.id(l, i)).code();
          ByteBuffer value = ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN);
          byte[] code = new byte[CODE];
          f.buffer().duplicate().position(f.codesOffset(l) + i * CODE).get(code);
          assertArrayEquals(Arrays.copyOf(full, CODE), code);
          assertEquals(Float.floatToRawIntBits(value.getFloat(CODE)),
              Float.floatToRawIntBits(f.buffer().getFloat(f.termsOffset(l) + 4 * i)));
          byte[] vec = new byte[refineBytes];
          r.buffer().duplicate().position(r.vectorOffset(f.firstOrdinal(l) + i)).get(vec);
          assertArrayEquals(Arrays.copyOfRange(full, CODE + 4, full.length), vec);
          checked++;
        }
      }
    }
    assertEquals(items.size(), checked);
  }

  @Test
  void anEmptyShardIsStillWritten(SparkSession spark) throws Exception {
    List<EncodedItem> items = new ArrayList<>();
    for (EncodedItem e : items(false, 0)) {
      if (e.shard() != 1) {
        items.add(e);
      }
    }
    Written w = write(spark, items, IdType.LONG, IndexSpec.Refine.NONE);
    assertEquals(SHARDS, w.files().size());
    ShardFile empty = ShardFile.open(w.byName().get(ShardFile.fileName(1)), ShardFile.fileName(1));
    assertEquals(0, empty.count());
    assertEquals(1, empty.shard());
  }
}
