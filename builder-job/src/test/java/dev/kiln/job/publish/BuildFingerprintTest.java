package dev.kiln.job.publish;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.config.OnDuplicate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The build fingerprint from a real listing on the local file system: the same input and
 * configuration give the same fingerprint; a changed, added or removed data file, or a changed
 * option that shapes the index, give another; hidden files and the options that do not change
 * the files (output, version, staging grace) leave it as it is.
 */
class BuildFingerprintTest {
  private static final Configuration CONF = new Configuration();
  private static final FileTime T0 = FileTime.fromMillis(1_700_000_000_000L);

  @TempDir Path tmp;
  private Path in;
  private BuildConfig cfg;

  @BeforeEach
  void input() throws Exception {
    in = tmp.resolve("in");
    Files.createDirectories(in.resolve("dt=1"));
    put(in.resolve("a.parquet"), "aaaa");
    put(in.resolve("dt=1/b.parquet"), "bbbbbb");
    cfg = BuildConfig.defaults(in.toString(), tmp.resolve("out").toString(), "v1",
        IndexSpec.pq(4, 2), Metric.L2);
  }

  private static void put(Path p, String content) throws Exception {
    Files.writeString(p, content);
    Files.setLastModifiedTime(p, T0);
  }

  private Map<String, String> fp(BuildConfig c) {
    return BuildFingerprint.of(c, CONF);
  }

  @Test
  void theSameInputAndConfigurationGiveTheSameFingerprint() {
    Map<String, String> a = fp(cfg);
    assertEquals(a, fp(cfg));
    assertEquals(a, fp(BuildConfig.defaults(in.toString(), tmp.resolve("out").toString(), "v1",
        IndexSpec.pq(4, 2), Metric.L2)));
    assertEquals("2", a.get("inputFiles"));
    assertEquals("10", a.get("inputBytes"));
    assertEquals("IVF4,PQ2", a.get("index"));
    assertEquals("l2", a.get("metric"));
    assertTrue(a.get("inputListing").startsWith("sha256:"), a.get("inputListing"));
    assertTrue(a.get("input").startsWith("file:"), a.get("input"));
    assertEquals(List.of(), BuildFingerprint.differences(a, fp(cfg)));
  }

  @Test
  void aChangedFileChangesIt() throws Exception {
    Map<String, String> before = fp(cfg);
    // Same size, rewritten later: only the modification time tells.
    Files.writeString(in.resolve("a.parquet"), "AAAA");
    Files.setLastModifiedTime(in.resolve("a.parquet"), FileTime.fromMillis(T0.toMillis() + 1000));
    Map<String, String> after = fp(cfg);
    assertNotEquals(before, after);
    assertEquals(before.get("inputBytes"), after.get("inputBytes"));
    assertNotEquals(before.get("inputListing"), after.get("inputListing"));
    assertNotEquals(before.get("inputModified"), after.get("inputModified"));
  }

  @Test
  void aFileOfAnotherSizeChangesIt() throws Exception {
    Map<String, String> before = fp(cfg);
    put(in.resolve("a.parquet"), "aaaaa");
    Map<String, String> after = fp(cfg);
    assertNotEquals(before.get("inputBytes"), after.get("inputBytes"));
    assertNotEquals(before.get("inputListing"), after.get("inputListing"));
  }

  @Test
  void anAddedOrRemovedFileChangesIt() throws Exception {
    Map<String, String> before = fp(cfg);
    put(in.resolve("dt=1/c.parquet"), "c");
    Map<String, String> added = fp(cfg);
    assertNotEquals(before, added);
    assertEquals("3", added.get("inputFiles"));
    List<String> diff = BuildFingerprint.differences(before, added);
    assertTrue(diff.stream().anyMatch(d -> d.startsWith("inputFiles 2, now 3")), diff.toString());

    Files.delete(in.resolve("dt=1/c.parquet"));
    assertEquals(before, fp(cfg));
    Files.delete(in.resolve("dt=1/b.parquet"));
    assertNotEquals(before, fp(cfg));
  }

  @Test
  void aRenamedFileChangesIt() throws Exception {
    Map<String, String> before = fp(cfg);
    Files.move(in.resolve("a.parquet"), in.resolve("z.parquet"));
    Files.setLastModifiedTime(in.resolve("z.parquet"), T0);
    Map<String, String> after = fp(cfg);
    assertEquals(before.get("inputBytes"), after.get("inputBytes"));
    assertEquals(before.get("inputModified"), after.get("inputModified"));
    assertNotEquals(before.get("inputListing"), after.get("inputListing"));
  }

  @Test
  void hiddenFilesAreIgnored() throws Exception {
    Map<String, String> before = fp(cfg);
    put(in.resolve("_SUCCESS"), "");
    put(in.resolve("_metadata"), "metadata");
    put(in.resolve(".a.parquet.crc"), "crc");
    Files.createDirectories(in.resolve("_temporary/0"));
    put(in.resolve("_temporary/0/part-0.parquet"), "partial");
    Files.createDirectories(in.resolve(".hidden"));
    put(in.resolve(".hidden/x.parquet"), "x");
    put(in.resolve("dt=1/._late.parquet"), "late");
    put(in.resolve("dt=1/c.parquet._COPYING_"), "copying");
    assertEquals(before, fp(cfg));
  }

  @Test
  void anOptionThatShapesTheIndexChangesIt() {
    Map<String, String> base = fp(cfg);
    List<BuildConfig> changed = List.of(
        BuildConfig.defaults(in.toString(), "o", "v1", IndexSpec.pq(8, 2), Metric.L2),
        BuildConfig.defaults(in.toString(), "o", "v1", IndexSpec.pq(4, 2), Metric.COSINE),
        BuildConfig.defaults(in.toString(), "o", "v1", null, Metric.L2),
        cfg.withShards(3),
        cfg.withPartitions(16),
        cfg.withDim(8),
        cfg.withColumns("key", BuildConfig.DEFAULT_VECTOR_COLUMN),
        cfg.withTraining(99, BuildConfig.DEFAULT_POINTS_PER_LIST,
            BuildConfig.DEFAULT_KMEANS_ITERATIONS, BuildConfig.DEFAULT_PQ_TRAIN_POINTS,
            BuildConfig.DEFAULT_PQ_ITERATIONS),
        cfg.withTraining(BuildConfig.DEFAULT_SEED, BuildConfig.DEFAULT_POINTS_PER_LIST,
            BuildConfig.DEFAULT_KMEANS_ITERATIONS + 1, BuildConfig.DEFAULT_PQ_TRAIN_POINTS,
            BuildConfig.DEFAULT_PQ_ITERATIONS),
        cfg.withMaxRejectFraction(0.01),
        cfg.withOnDuplicate(OnDuplicate.KEEP_ANY),
        cfg.withMemoryBudget(1L << 30));
    for (BuildConfig c : changed) {
      Map<String, String> f = fp(c);
      assertNotEquals(base, f, c.toString());
      assertEquals(1, BuildFingerprint.differences(base, f).size(),
          BuildFingerprint.differences(base, f).toString());
    }
    assertEquals("auto", fp(changed.get(2)).get("index"));
  }

  @Test
  void whereAndHowTheIndexIsPublishedIsNotPartOfIt() {
    Map<String, String> base = fp(cfg);
    BuildConfig elsewhere = BuildConfig.defaults(in.toString(), tmp.resolve("other").toString(),
        "v2", IndexSpec.pq(4, 2), Metric.L2).withStagingGrace(Duration.ofMinutes(5));
    assertEquals(base, fp(elsewhere));
    for (String k : List.of("output", "versionId", "stagingGrace", "evaluation")) {
      assertTrue(!base.containsKey(k), k);
    }
  }

  @Test
  void differencesNameWhatChangedAndWhatWasNotRecorded() {
    Map<String, String> now = fp(cfg);
    Map<String, Object> recorded = new java.util.LinkedHashMap<>(now);
    recorded.put("seed", "1");
    recorded.remove("metric");
    recorded.put("retired", "x");
    List<String> d = BuildFingerprint.differences(recorded, now);
    assertTrue(d.contains("seed 1, now " + BuildConfig.DEFAULT_SEED), d.toString());
    assertTrue(d.contains("metric (not recorded), now l2"), d.toString());
    assertTrue(d.contains("retired x, now (not recorded)"), d.toString());
    assertEquals(3, d.size(), d.toString());
  }
}
