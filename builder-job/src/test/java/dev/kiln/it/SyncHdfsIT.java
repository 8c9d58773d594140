package dev.kiln.it;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.assertExactTopK;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.list;
import static dev.kiln.testing.KilnTestData.rowOfId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.ExitCodes;
import dev.kiln.job.report.BuildReport;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path on a real HDFS: an in-process MiniDFSCluster (one NameNode, one DataNode),
 * Parquet written to hdfs:// by Spark, {@code kiln build} reading and publishing on hdfs://
 * (staging, renames and LATEST through HDFS), {@code kiln sync} to a local directory, and the
 * mmap loader serving the copy with exact IVF-Flat results at nprobe = nlist. Then a shard on
 * HDFS is rewritten with one byte changed, and sync must refuse it.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SyncHdfsIT {
  private static final int N = 2000;
  private static final int DIM = 16;
  private static final int NLIST = 8;
  private static final int SHARDS = 2;
  private static final int K = 10;

  private MiniDFSCluster cluster;
  private FileSystem fs;
  /** hdfs://localhost:PORT */
  private String hdfs;
  private float[][] vectors;
  private Long[] ids;
  private String root;

  @BeforeAll
  void startHdfsAndBuild(SparkSession spark, @TempDir java.nio.file.Path base) throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.toString());
    cluster = new MiniDFSCluster.Builder(conf, base.toFile()).numDataNodes(1).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
    hdfs = cluster.getURI().toString();
    assertTrue(hdfs.startsWith("hdfs://"), hdfs);

    // Input on HDFS, written by Spark through its own Hadoop client.
    vectors = gaussian(new Random(11), N, DIM, 1);
    ids = KilnTestData.longIds(N);
    String input = hdfs + "/data/items.parquet";
    spark.createDataFrame(KilnTestData.rows(ids, vectors, false),
            KilnTestData.schema("id", org.apache.spark.sql.types.DataTypes.LongType,
                "embedding", KilnTestData.FLOAT_ARRAY))
        .repartition(2).write().parquet(input);

    root = hdfs + "/indexes/items";
    CliRun build = cli("build", "--input", input, "--output", root, "--index", "IVF" + NLIST + ",Flat",
        "--metric", "l2", "--version", "v1", "--shards", "" + SHARDS, "--seed", "5",
        "--kmeans-iterations", "6");
    assertEquals(0, build.exitCode(), build.err());
    assertTrue(build.out().startsWith("published " + root + "/versions/v1"), build.out());
  }

  @AfterAll
  void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private String read(String path) throws IOException {
    try (InputStream in = fs.open(new Path(path))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private Set<String> names(String dir) throws IOException {
    Set<String> out = new TreeSet<>();
    for (FileStatus s : fs.listStatus(new Path(dir))) {
      out.add(s.getPath().getName());
    }
    return out;
  }

  @Test
  void buildOnHdfsThenSyncAndServeLocally(@TempDir java.nio.file.Path tmp) throws IOException {
    // Published on HDFS: LATEST, the version with exactly the manifest, its files and the
    // report (the build evaluated itself through a local copy of the staged files).
    assertEquals("v1\n", read(root + "/LATEST"));
    String version = root + "/versions/v1";
    Manifest m;
    try (InputStream in = fs.open(new Path(version, IndexLayout.MANIFEST))) {
      m = Manifest.read(in, version);
    }
    assertEquals(N, m.count());
    assertEquals("IVF" + NLIST + ",Flat", m.index());
    assertEquals(Set.of(IndexLayout.MANIFEST, ModelFile.NAME, ShardFile.fileName(0),
        ShardFile.fileName(1), BuildReport.FILE_NAME), names(version));
    assertEquals(NLIST, m.measuredQuality().at(NLIST).nprobe());
    assertEquals(1.0, m.measuredQuality().at(NLIST).recall(), 1e-9, "Flat over every list");
    for (Manifest.FileEntry f : m.files()) {
      assertEquals(f.bytes(), fs.getFileStatus(new Path(version, f.name())).getLen(), f.name());
    }
    Path staging = new Path(root, IndexLayout.STAGING);
    assertTrue(!fs.exists(staging) || fs.listStatus(staging).length == 0, "staging leftovers");

    java.nio.file.Path local = tmp.resolve("serving");
    CliRun sync = cli("sync", "--from", root, "--to", local.toString());
    assertEquals(0, sync.exitCode(), sync.err());
    assertTrue(sync.out().startsWith("synced v1 from " + version + " to "), sync.out());
    assertEquals("v1\n", KilnTestData.latest(local));
    java.nio.file.Path copy = local.resolve("versions/v1");
    // The manifest and the files it lists, byte for byte (report.html is not synced).
    List<String> synced = new java.util.ArrayList<>(List.of(IndexLayout.MANIFEST));
    m.files().forEach(f -> synced.add(f.name()));
    assertEquals(Set.copyOf(synced), KilnTestData.list(copy));
    for (String name : synced) {
      try (InputStream in = fs.open(new Path(version, name))) {
        assertArrayEquals(in.readAllBytes(), Files.readAllBytes(copy.resolve(name)), name);
      }
    }

    Map<String, Integer> rows = rowOfId(ids);
    try (KilnIndex index = KilnIndex.open(local, new OpenOptions(true))) {
      assertEquals("v1", index.version());
      assertEquals(N, index.count());
      for (float[] q : gaussian(new Random(12), 50, DIM, 1.3)) {
        assertExactTopK(Metric.L2, vectors, rows, q, K, index.search(q, K, SearchParams.nprobe(NLIST)));
      }
    }

    // Again, by the version directory's URI: already there, nothing copied.
    CliRun again = cli("sync", "--from", version, "--to", local.toString(), "--version", "v1");
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().contains("nothing copied"), again.out());
  }

  @Test
  void aShardRewrittenOnHdfsWithOneByteChangedIsRefused(@TempDir java.nio.file.Path tmp)
      throws IOException {
    // A private copy of the published root on HDFS, so the other test's root stays intact.
    String damaged = hdfs + "/indexes/damaged";
    assertTrue(FileUtil.copy(fs, new Path(root), fs, new Path(damaged), false, fs.getConf()));
    Path shard = new Path(damaged + "/versions/v1/" + ShardFile.fileName(1));
    byte[] bytes;
    try (InputStream in = fs.open(shard)) {
      bytes = in.readAllBytes();
    }
    bytes[bytes.length / 2] ^= 0x01;
    try (OutputStream out = fs.create(shard, true)) {
      out.write(bytes);
    }

    java.nio.file.Path local = tmp.resolve("serving");
    CliRun run = cli("sync", "--from", damaged, "--to", local.toString());
    assertEquals(ExitCodes.BAD_INPUT, run.exitCode(), run.err());
    List<String> lines = run.errLines();
    assertEquals(1, lines.size(), run.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("kiln: error: " + shard + ": checksum mismatch"), line);
    assertTrue(line.endsWith("nothing was synced"), line);
    java.nio.file.Path versions = local.resolve(IndexLayout.VERSIONS);
    assertTrue(!Files.exists(versions) || list(versions).isEmpty(), "versions/ must stay empty");
    assertFalse(Files.exists(local.resolve(IndexLayout.LATEST)));
    assertFalse(Files.exists(local.resolve(IndexLayout.STAGING)));
    assertTrue(fs.exists(shard), "the source is left as it was");
    assertEquals(bytes.length, fs.getFileStatus(shard).getLen());
  }
}
