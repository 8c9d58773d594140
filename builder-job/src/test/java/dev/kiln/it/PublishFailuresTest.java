package dev.kiln.it;

import dev.kiln.search.OpenOptions;
import static dev.kiln.testing.KilnTestData.assertExactTopK;
import static dev.kiln.testing.KilnTestData.assertPublished;
import static dev.kiln.testing.KilnTestData.assertSameFiles;
import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.filesUnder;
import static dev.kiln.testing.KilnTestData.gaussian;
import static dev.kiln.testing.KilnTestData.latest;
import static dev.kiln.testing.KilnTestData.rowOfId;
import static dev.kiln.testing.KilnTestData.versionDir;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.format.IndexLayout;
import dev.kiln.format.KeysFile;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.testing.ChildKiln;
import dev.kiln.testing.FaultyFileSystem;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Builds that do not go to plan, run as separate {@code kiln} processes where one JVM cannot do
 * it: a build killed mid-way publishes nothing and its re-run publishes; with every shard task's
 * first attempt failing after writing a complete copy (Spark retries in {@code local[2,4]}), the
 * driver commits exactly one copy of each shard, byte-identical to a build without failures.
 * Both faults come from {@link FaultyFileSystem}, a test file system the child JVM is configured
 * with; the production code has no test hooks.
 *
 * <p>Speculative execution cannot be triggered here: Spark starts its speculation thread only
 * when the master is not local ({@code TaskSchedulerImpl.start}: {@code !isLocal &&
 * spark.speculation}), so {@code spark.speculation=true} is set but inert. What a speculative
 * race leaves on disk (two complete copies of a shard under two attempt names, one of them
 * reported to the driver) is what the failing first attempts leave, and that is what is tested.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PublishFailuresTest {
  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(5);

  /** 3,000 x 16, non-ASCII string ids: three shards, each with a keys file. */
  private static final int N = 3_000;

  private String small;
  private String strings;
  private float[][] vectors;
  private String[] ids;

  @TempDir Path tmp;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path data) {
    small = KilnTestData.writeVectors(spark, data.resolve("small"), KilnTestData.longIds(400),
        gaussian(new Random(1), 400, 24, 1));
    vectors = gaussian(new Random(3), N, 16, 1);
    ids = KilnTestData.stringIds(N);
    strings = KilnTestData.writeVectors(spark, data.resolve("strings"), ids, vectors);
  }

  @Test
  void aKilledBuildLeavesNothingVisibleAndItsReRunPublishes() throws Exception {
    Path root = tmp.resolve("root");
    CliRun first = cli("build", "--input", small, "--output", root.toString(), "--index",
        "IVF4,Flat", "--version", "v0", "--kmeans-iterations", "4");
    assertEquals(0, first.exitCode(), first.err());
    Map<String, byte[]> v0 = filesUnder(versionDir(root, "v0"));

    List<String> build = List.of("build", "--input", strings, "--index", "IVF8,PQ4",
        "--version", "v1", "--seed", "5", "--shards", "2");
    // The child writes through FaultyFileSystem, which blocks in the creation of the model file:
    // it is killed with its staging directory in place, whether it got that far yet or not.
    List<String> props = new ArrayList<>(FaultyFileSystem.sparkProperties());
    props.add(FaultyFileSystem.STALL_ON + "=model.kiln");
    ChildKiln.Child child = ChildKiln.start(tmp.resolve("killed.log"), props, concat(build,
        "--output", FaultyFileSystem.SCHEME + "://" + root, "--master", "local[2]"));
    Path staging = root.resolve(IndexLayout.STAGING);
    long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
    Path dir;
    while ((dir = find(staging, "v1-")) == null) {
      if (!child.process().isAlive()) {
        fail("the build ended (exit " + child.process().exitValue() + ") before its staging"
            + " directory was seen; its output:\n" + child.output());
      }
      if (System.nanoTime() > deadline) {
        child.process().destroyForcibly().waitFor();
        fail("no staging directory after " + CHILD_TIMEOUT + "; output:\n" + child.output());
      }
      Thread.sleep(10); // poll
    }
    child.process().destroyForcibly();
    assertTrue(child.process().waitFor(60, TimeUnit.SECONDS), "the killed JVM did not exit");

    assertTrue(Files.isDirectory(dir), "the killed build leaves its staging directory behind");
    assertFalse(Files.exists(versionDir(root, "v1")), "versions/v1 must not exist");
    assertEquals("v0\n", latest(root), "LATEST unchanged");
    try (KilnIndex index = KilnIndex.open(root)) {
      assertEquals("v0", index.version());
    }

    // The same build again, in this JVM; no other build runs, so no grace period is needed.
    CliRun again = cli(concat(build, "--output", root.toString(), "--staging-grace", "0s"));
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().startsWith("published " + versionDir(root, "v1")), again.out());
    Manifest m = assertPublished(root, "v1", 2, true); // also: _staging is empty
    assertEquals(N, m.count());
    assertSameFiles(v0, filesUnder(versionDir(root, "v0")));
  }

  @Test
  void failedFirstAttemptsLeaveEveryItemExactlyOnce() throws Exception {
    Path markers = Files.createDirectories(tmp.resolve("markers"));
    Path faultyRoot = tmp.resolve("faulty-root");
    Path cleanRoot = tmp.resolve("clean-root");
    List<String> build = List.of("build", "--input", strings, "--index", "IVF8,Flat",
        "--version", "v1", "--shards", "3", "--seed", "11", "--kmeans-iterations", "5",
        "--master", "local[2,4]");
    List<String> props = new ArrayList<>(FaultyFileSystem.sparkProperties());
    props.add(FaultyFileSystem.FAIL_FIRST_ATTEMPTS + "=" + markers);
    props.add("spark.speculation=true");
    ChildKiln.Child faulty = ChildKiln.start(tmp.resolve("faulty.log"), props,
        concat(build, "--output", FaultyFileSystem.SCHEME + "://" + faultyRoot));
    ChildKiln.Child clean = ChildKiln.start(tmp.resolve("clean.log"), List.of(),
        concat(build, "--output", cleanRoot.toString()));
    assertEquals(0, faulty.waitFor(CHILD_TIMEOUT), faulty.output());
    assertEquals(0, clean.waitFor(CHILD_TIMEOUT), clean.output());

    Manifest m = assertPublished(faultyRoot, "v1", 3, true); // no attempt or staging leftovers
    // Every shard task's first attempt wrote a complete copy of both its files, then failed.
    Map<String, Long> injected = new TreeMap<>();
    try (Stream<Path> s = Files.list(markers)) {
      for (Path p : s.toList()) {
        injected.put(p.getFileName().toString(), Long.parseLong(Files.readString(p)));
      }
    }
    Map<String, Long> expected = new TreeMap<>();
    for (int shard = 0; shard < 3; shard++) {
      for (String name : List.of(ShardFile.fileName(shard), KeysFile.fileName(shard))) {
        expected.put(name + ".partition-" + shard, m.file(name).bytes());
      }
    }
    assertEquals(expected, injected, "failed first attempts (file, partition -> bytes written)");

    // The driver committed one copy of each, identical to the build that never failed.
    Map<String, byte[]> got = KilnTestData.indexFilesUnder(versionDir(faultyRoot, "v1"));
    Map<String, byte[]> want = KilnTestData.indexFilesUnder(versionDir(cleanRoot, "v1"));
    assertSameFiles(want, got);
    assertEquals(KilnTestData.readManifest(versionDir(cleanRoot, "v1")).files(), m.files());

    // Every item exactly once, and exact search with every list probed.
    Map<String, Integer> rows = rowOfId(ids);
    SearchParams all = SearchParams.nprobe(8);
    try (KilnIndex index = KilnIndex.open(faultyRoot, new OpenOptions(true))) {
      assertEquals(N, m.count());
      assertEquals(N, index.count());
      Neighbors everything = index.search(vectors[0], Integer.MAX_VALUE, all);
      String[] keys = everything.keys().clone();
      Arrays.sort(keys);
      String[] sortedIds = ids.clone();
      Arrays.sort(sortedIds);
      assertArrayEquals(sortedIds, keys);
      for (float[] q : gaussian(new Random(4), 30, 16, 1.5)) {
        assertExactTopK(Metric.L2, vectors, rows, q, 10, index.search(q, 10, all));
      }
    }
  }

  private static Path find(Path dir, String prefix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().startsWith(prefix)).findFirst().orElse(null);
    }
  }

  private static String[] concat(List<String> args, String... more) {
    List<String> out = new ArrayList<>(args);
    out.addAll(List.of(more));
    return out.toArray(String[]::new);
  }
}
