package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.format.ShardFile;
import dev.kiln.search.KilnIndex;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestIndexes;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swaps on real version directories: queries never fail and never mix versions, retired
 * versions close once their queries drain and are then unmapped, damaged versions are refused.
 */
class ServingIndexSwapTest {
  private static final int D = 16;
  private static final int N = 1000;
  private static final int K = 10;
  /** Version v owns ids [v * SPAN, v * SPAN + N): a result names its version through its ids. */
  private static final long SPAN = 1_000_000;

  @TempDir Path root;

  private static ServingOptions manual() {
    return ServingOptions.defaults().withPollInterval(Duration.ZERO);
  }

  private TestIndexes.Published publish(int v) throws IOException {
    long[] ids = new long[N];
    for (int i = 0; i < N; i++) {
      ids[i] = v * SPAN + i;
    }
    return TestIndexes.index(TestIndexes.gaussian(new Random(v), N, D), Metric.L2,
        IndexSpec.flat(8)).ids(ids).shards(2).version("v" + v).publish(root);
  }

  /** The version every id of {@code n} belongs to; fails if they disagree. */
  private static int versionOf(Neighbors n) {
    long[] ids = n.ids();
    int v = (int) (ids[0] / SPAN);
    for (long id : ids) {
      if (id / SPAN != v) {
        throw new AssertionError("result mixes versions " + v + " and " + id / SPAN + ": " + n);
      }
    }
    return v;
  }

  /** What the query threads must reach before the next swap: all have answered from it. */
  private record Goal(int version, CountDownLatch reached) {}

  @Test
  void fourQueryThreadsThroughTwentySwapsNeverFailNorMixVersions() throws Exception {
    int swaps = 20;
    int threads = 4;
    publish(0);
    List<WeakReference<KilnIndex>> retired = new ArrayList<>();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong answered = new AtomicLong();
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      assertEquals("v0", serving.version());
      Goal[] goal = {new Goal(0, new CountDownLatch(threads))};
      Object goalLock = new Object();
      List<Thread> workers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        Random rnd = new Random(100 + t);
        Thread w = new Thread(() -> {
          int last = 0;
          int counted = -1;
          try {
            while (!stop.get()) {
              Neighbors n = serving.search(TestIndexes.gaussian(rnd, D), K, SearchParams.nprobe(2));
              answered.incrementAndGet();
              assertEquals(K, n.size(), "result size");
              int v = versionOf(n);
              assertTrue(v >= last, "version went back from " + last + " to " + v);
              last = v;
              Goal g;
              synchronized (goalLock) {
                g = goal[0];
              }
              if (v == g.version() && counted != v) {
                counted = v;
                g.reached().countDown();
              }
            }
          } catch (Throwable e) {
            errors.add(e);
          }
        }, "query-" + t);
        w.start();
        workers.add(w);
      }
      try {
        assertTrue(goal[0].reached().await(60, TimeUnit.SECONDS), "queries on v0");
        for (int v = 1; v <= swaps; v++) {
          try (VersionPin pin = serving.pin()) {
            retired.add(new WeakReference<>(pin.index()));
          }
          publish(v);
          Goal next = new Goal(v, new CountDownLatch(threads));
          synchronized (goalLock) {
            goal[0] = next;
          }
          assertTrue(serving.refresh(), "refresh to v" + v);
          assertEquals("v" + v, serving.version());
          // Every thread answers from the new version before the next swap.
          assertTrue(next.reached().await(60, TimeUnit.SECONDS), "queries on v" + v);
          assertTrue(errors.isEmpty(), () -> "query failed: " + errors.peek());
        }
      } finally {
        stop.set(true);
        for (Thread w : workers) {
          w.join();
        }
      }
      if (!errors.isEmpty()) {
        throw new AssertionError("a query failed", errors.peek());
      }

      ServingMetrics m = serving.metrics();
      assertEquals(answered.get(), m.queries());
      assertEquals(0, m.failedQueries());
      assertEquals(answered.get(), m.latency().total());
      assertEquals(swaps, m.swaps());
      assertEquals(0, m.failedSwaps());
      assertEquals("v" + swaps, m.version());
      // Drained: no retired version is open, and each one's index says it is closed.
      assertEquals(0, m.drainingVersions());
      for (WeakReference<KilnIndex> ref : retired) {
        KilnIndex old = ref.get();
        if (old != null) {
          assertThrows(IllegalStateException.class,
              () -> old.search(new float[D], 1, SearchParams.nprobe(1)), "closed");
        }
      }
      assertReleased(retired, swaps);
    }
  }

  /**
   * The retired versions' mappings are released: their indexes become unreachable, the garbage
   * collector frees their buffers, and /proc/self/maps no longer lists their files (while it
   * lists the serving version's). No file of any version is held open.
   */
  private void assertReleased(List<WeakReference<KilnIndex>> retired, int serving)
      throws IOException {
    Path maps = Path.of("/proc/self/maps");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      System.gc();
      boolean unreachable = retired.stream().allMatch(r -> r.get() == null);
      List<String> mapped = mappedVersions(maps);
      if (unreachable && mapped.equals(List.of("v" + serving))) {
        break;
      }
      assertTrue(System.nanoTime() < deadline, "still reachable or mapped after 60 s: "
          + (unreachable ? "" : "old indexes reachable; ") + "mapped " + mapped);
      // The JDK unmaps freed buffers on its cleaner thread: give it the processor.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    Path fds = Path.of("/proc/self/fd");
    if (Files.isDirectory(fds)) {
      try (Stream<Path> open = Files.list(fds)) {
        List<String> held = open.map(fd -> {
          try {
            return Files.readSymbolicLink(fd).toString();
          } catch (IOException e) {
            return ""; // closed while listing (the listing's own descriptor)
          }
        }).filter(target -> target.contains(root.toString())).toList();
        assertEquals(List.of(), held, "file descriptors on index files");
      }
    }
  }

  /** The version directories under {@link #root} with a file in /proc/self/maps. */
  private List<String> mappedVersions(Path maps) throws IOException {
    if (!Files.isReadable(maps)) {
      return List.of("v20"); // not Linux: reachability alone is checked
    }
    String prefix = root.resolve("versions").toRealPath() + "/";
    return Files.readAllLines(maps).stream()
        .filter(line -> line.contains(prefix))
        .map(line -> line.substring(line.indexOf(prefix) + prefix.length()))
        .map(rest -> rest.substring(0, rest.indexOf('/')))
        .distinct()
        .sorted()
        .toList();
  }

  @Test
  void pinnedVersionStaysOpenThroughASwapAndClosesWhenReleased() throws IOException {
    publish(1);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      VersionPin pin = serving.pin();
      KilnIndex v1 = pin.index();
      float[] q = TestIndexes.gaussian(new Random(7), D);
      publish(2);
      assertTrue(serving.refresh());
      assertEquals(2, versionOf(serving.search(q, K, SearchParams.nprobe(2))));
      // The query that pinned v1 is still running: v1 answers, and is counted as draining.
      assertEquals(1, versionOf(v1.search(q, K, SearchParams.nprobe(2))));
      assertEquals(1, serving.metrics().drainingVersions());
      pin.close();
      assertEquals(0, serving.metrics().drainingVersions());
      assertThrows(IllegalStateException.class, () -> v1.search(q, K, SearchParams.nprobe(2)));
      pin.close(); // idempotent
      assertEquals("v1", pin.version());
    }
  }

  @Test
  void damagedVersionIsRefusedAndThePreviousOneServes() throws IOException {
    publish(1);
    List<SwapFailure> told = new ArrayList<>();
    ServingOptions options = manual().withListener(new SwapListener() {
      @Override
      public void refused(SwapFailure failure) {
        told.add(failure);
      }
    });
    try (ServingIndex serving = ServingIndex.open(root, options)) {
      float[] q = TestIndexes.gaussian(new Random(8), D);
      TestIndexes.Published v2 = publish(2);
      flipByte(v2.versionDir().resolve(ShardFile.fileName(1)));

      assertFalse(serving.refresh());
      assertEquals("v1", serving.version());
      assertEquals(1, versionOf(serving.search(q, K, SearchParams.nprobe(2))));
      SwapFailure failure = serving.lastSwapFailure();
      assertNotNull(failure);
      assertEquals("v2", failure.version());
      assertTrue(failure.message().contains(ShardFile.fileName(1)), failure.message());
      assertEquals(List.of(failure), told);
      ServingMetrics m = serving.metrics();
      assertEquals(1, m.failedSwaps());
      assertEquals(0, m.swaps());
      assertEquals(failure, m.lastSwapFailure());

      // LATEST still names v2: polling does not verify it again and again.
      assertFalse(serving.refresh());
      assertEquals(1, serving.metrics().failedSwaps());
      // An explicit swap tries again, and says why it fails.
      assertThrows(CorruptIndexException.class, () -> serving.swapTo("v2"));
      assertEquals(2, serving.metrics().failedSwaps());
      assertEquals("v1", serving.version());

      publish(3);
      assertTrue(serving.refresh());
      assertEquals(3, versionOf(serving.search(q, K, SearchParams.nprobe(2))));
      assertEquals(1, serving.metrics().swaps());
    }
  }

  @Test
  void versionOfAnotherDimensionIsRefused() throws IOException {
    publish(1);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      TestIndexes.index(TestIndexes.gaussian(new Random(9), N, D + 1), Metric.L2,
          IndexSpec.flat(8)).version("wide").publish(root);
      assertFalse(serving.refresh());
      assertEquals("v1", serving.version());
      assertTrue(serving.lastSwapFailure().message().contains("d=17"),
          serving.lastSwapFailure().message());
    }
  }

  @Test
  void pollerFollowsLatest() throws Exception {
    publish(1);
    CountDownLatch swapped = new CountDownLatch(1);
    String[] seen = new String[2];
    ServingOptions options = ServingOptions.defaults()
        .withPollInterval(Duration.ofMillis(20))
        .withListener(new SwapListener() {
          @Override
          public void swapped(String from, String to) {
            seen[0] = from;
            seen[1] = to;
            swapped.countDown();
          }
        });
    try (ServingIndex serving = ServingIndex.open(root, options)) {
      assertNull(serving.lastSwapFailure());
      publish(2);
      assertTrue(swapped.await(60, TimeUnit.SECONDS), "the poller did not swap");
      assertEquals("v2", serving.version());
      assertEquals("v1", seen[0]);
      assertEquals("v2", seen[1]);
    }
  }

  @Test
  void closedHandleRefusesQueries() throws IOException {
    publish(1);
    ServingIndex serving = ServingIndex.open(root, manual());
    serving.close();
    assertThrows(IllegalStateException.class,
        () -> serving.search(new float[D], K, SearchParams.nprobe(1)));
    assertThrows(IllegalStateException.class, () -> serving.upsert(1L, new float[D]));
    serving.close(); // idempotent
  }

  /** Damages one byte in the middle of a file, keeping its size. */
  static void flipByte(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      long at = ch.size() / 2;
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.flip();
      byte flipped = (byte) (b.get(0) ^ 0x5a);
      ch.write(ByteBuffer.wrap(new byte[] {flipped}), at);
    }
  }
}
