package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.ModelFile;
import dev.kiln.search.Neighbors;
import dev.kiln.search.SearchParams;
import dev.kiln.search.TestFiles;
import dev.kiln.search.TestIndexes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: what a hostile or careless caller, or a damaged root, does to a serving handle. A
 * hang fails the test (each has a timeout on its own thread) instead of the build.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ServingIndexFaultsTest {
  private static final int D = 16;
  private static final int N = 500;
  private static final int K = 10;

  @TempDir Path root;

  private static ServingOptions manual() {
    return ServingOptions.defaults().withPollInterval(Duration.ZERO);
  }

  private static final Duration PROMPTLY = Duration.ofSeconds(20);
  /** Version v owns ids [v * SPAN, v * SPAN + N): a result names its version through its ids. */
  private static final long SPAN = 1_000_000;

  private TestIndexes.Published publish(int v) throws IOException {
    long[] ids = new long[N];
    for (int i = 0; i < N; i++) {
      ids[i] = v * SPAN + i;
    }
    return TestIndexes.index(TestIndexes.gaussian(new Random(v), N, D), Metric.L2,
        IndexSpec.flat(8)).ids(ids).version("v" + v).publish(root);
  }

  private static int versionOf(Neighbors n) {
    assertEquals(K, n.size());
    int v = (int) (n.ids()[0] / SPAN);
    assertTrue(Arrays.stream(n.ids()).allMatch(id -> id / SPAN == v), n::toString);
    return v;
  }

  /** Tells the test about every refusal and swap, so it can wait for the poller. */
  private static final class Events implements SwapListener {
    final BlockingQueue<SwapFailure> refused = new LinkedBlockingQueue<>();
    final BlockingQueue<String> swapped = new LinkedBlockingQueue<>();

    @Override
    public void refused(SwapFailure failure) {
      refused.add(failure);
    }

    @Override
    public void swapped(String from, String to) {
      swapped.add(to);
    }

    /** Waits for a refusal whose message contains {@code fragment}. */
    SwapFailure awaitRefusal(String fragment) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        SwapFailure f = refused.poll(1, TimeUnit.SECONDS);
        if (f != null && f.message().contains(fragment)) {
          return f;
        }
      }
      throw new AssertionError("no refusal mentioning '" + fragment + "' within 60 s");
    }

    /** Waits for a swap to {@code to} (skipping others). */
    void awaitSwap(String to) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        if (to.equals(swapped.poll(1, TimeUnit.SECONDS))) {
          return;
        }
      }
      throw new AssertionError("no swap to " + to + " within 60 s");
    }
  }

  /**
   * The acceptance test of issue 14: LATEST replaced by a 3 GiB sparse file, then by a FIFO,
   * then repaired. Before: the sparse LATEST threw OutOfMemoryError out of refresh() (the poller
   * died of it, failedSwaps stayed 0).
   */
  @Test
  void badLatestIsCountedNeverHangsAndTheRepairIsFollowed() throws Exception {
    publish(1);
    Events events = new Events();
    try (ServingIndex serving = ServingIndex.open(root, manual().withListener(events))) {
      float[] q = TestIndexes.gaussian(new Random(9), D);
      Neighbors before = serving.search(q, K, SearchParams.nprobe(8));
      assertEquals(1, versionOf(before));
      publish(2); // LATEST names v2 ...
      Path latest = root.resolve(IndexLayout.LATEST);
      TestFiles.replaceBySparse(latest, 3L << 30); // ... until it is damaged

      assertFalse(assertTimeoutPreemptively(PROMPTLY, serving::refresh));
      SwapFailure first = serving.lastSwapFailure();
      assertEquals("LATEST", first.version());
      assertEquals(latest + ": has 3221225472 bytes; a LATEST file may have at most 4096 bytes",
          first.message());
      assertEquals(before, serving.search(q, K, SearchParams.nprobe(8)));

      TestFiles.replaceByFifo(latest);
      assertFalse(assertTimeoutPreemptively(PROMPTLY, serving::refresh));
      assertEquals(latest + ": is a FIFO, socket or device, not a regular file: refusing to open"
          + " it", serving.lastSwapFailure().message());
      assertEquals(before, serving.search(q, K, SearchParams.nprobe(8)));
      // An explicit swap neither hangs nor counts: v1 already serves.
      assertFalse(assertTimeoutPreemptively(PROMPTLY, () -> serving.swapTo("v1")));

      ServingMetrics m = serving.metrics();
      assertEquals(2, m.failedSwaps());
      assertEquals(0, m.swaps());
      assertEquals("v1", m.version());
      assertEquals(2, events.refused.size());

      Files.delete(latest);
      Files.writeString(latest, "v2\n");
      assertTrue(assertTimeoutPreemptively(PROMPTLY, serving::refresh));
      assertEquals(2, versionOf(serving.search(q, K, SearchParams.nprobe(8))));
      m = serving.metrics();
      assertEquals(2, m.failedSwaps());
      assertEquals(1, m.swaps());
      assertEquals("v2", m.version());
    }
  }

  /** The same through the poller: it lives through both and follows the repair. */
  @Test
  void pollerSurvivesABadLatestAndFollowsTheRepair() throws Exception {
    publish(1);
    Events events = new Events();
    ServingOptions options = ServingOptions.defaults().withPollInterval(Duration.ofMillis(20))
        .withListener(events);
    try (ServingIndex serving = ServingIndex.open(root, options)) {
      Path latest = root.resolve(IndexLayout.LATEST);
      publish(2);
      TestFiles.replaceBySparse(latest, 3L << 30); // may race the poll that would take v2
      events.awaitRefusal("a LATEST file may have at most 4096 bytes");
      TestFiles.replaceByFifo(latest);
      events.awaitRefusal("is a FIFO");
      publish(3);
      events.awaitSwap("v3");
      assertEquals("v3", serving.version());
      assertTrue(serving.metrics().failedSwaps() >= 2, serving.metrics()::toString);
    }
  }

  /** Before: opening the FIFO blocked refresh (and swapTo, waiting for its lock) forever. */
  @Test
  void fifoInANewVersionIsRefusedWithoutHanging() throws Exception {
    publish(1);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      Path model = publish(2).versionDir().resolve(ModelFile.NAME);
      TestFiles.replaceByFifo(model);
      String why = model + ": is a FIFO, socket or device, not a regular file: refusing to open it";
      assertFalse(assertTimeoutPreemptively(PROMPTLY, serving::refresh));
      assertEquals(why, serving.lastSwapFailure().message());
      assertEquals("v2", serving.lastSwapFailure().version());
      CorruptIndexException e = assertThrows(CorruptIndexException.class,
          () -> assertTimeoutPreemptively(PROMPTLY, () -> serving.swapTo("v2")));
      assertEquals(why, e.getMessage());
      assertEquals("v1", serving.version());
      assertEquals(2, serving.metrics().failedSwaps());
    }
  }

  /**
   * A version that takes long to open (here: its input cutoff waits on a latch, as a slow
   * checksum pass would) holds up no other swap. Before, swapTo waited for the lock the slow
   * open held. The slow one, started first, then loses to the swap that started after it.
   */
  @Test
  void slowOpenHoldsNoLock() throws Exception {
    publish(1);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Function<Manifest, Instant> cutoff = m -> {
      if ("v2".equals(m.version())) {
        entered.countDown();
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return ServingOptions.buildStart(m);
    };
    try (ServingIndex serving = ServingIndex.open(root, manual().withInputCutoff(cutoff))) {
      publish(2);
      CompletableFuture<Boolean> slow = CompletableFuture.supplyAsync(serving::refresh);
      try {
        assertTrue(entered.await(60, TimeUnit.SECONDS), "the refresh did not start v2");
        publish(3);
        assertTrue(assertTimeoutPreemptively(PROMPTLY, () -> serving.swapTo("v3")));
        assertEquals("v3", serving.version());
        assertFalse(assertTimeoutPreemptively(PROMPTLY, serving::refresh)); // LATEST: v3
      } finally {
        release.countDown();
      }
      assertFalse(slow.get(60, TimeUnit.SECONDS), "the slow v2 must not replace v3");
      assertEquals("v3", serving.version());
      ServingMetrics m = serving.metrics();
      assertEquals(1, m.swaps());
      assertEquals(0, m.failedSwaps());
      assertEquals(0, m.drainingVersions());
    }
  }

  /**
   * Before: an Error out of a swap (here from the input-cutoff function) escaped poll(), which
   * caught only RuntimeException, and the executor never ran it again.
   */
  @Test
  void pollerSurvivesAnError() throws Exception {
    publish(1);
    Events events = new Events();
    Function<Manifest, Instant> cutoff = m -> {
      if ("v2".equals(m.version())) {
        throw new AssertionError("cutoff broke");
      }
      return ServingOptions.buildStart(m);
    };
    ServingOptions options = ServingOptions.defaults().withPollInterval(Duration.ofMillis(20))
        .withListener(events).withInputCutoff(cutoff);
    try (ServingIndex serving = ServingIndex.open(root, options)) {
      publish(2);
      SwapFailure f = events.awaitRefusal("cutoff broke");
      assertEquals("v2", f.version());
      assertEquals("java.lang.AssertionError: cutoff broke", f.message());
      publish(3);
      events.awaitSwap("v3");
      assertEquals(1, serving.metrics().failedSwaps()); // v2 is not retried while LATEST names it
      assertNotNull(serving.lastSwapFailure());
      assertNotEquals("v2", serving.version());
    }
  }

  /** Item 4: refused with the reason, counted as a failed query; nothing else changes. */
  @Test
  void nonFiniteQueriesAndOverflowingUpsertsAreRefused() throws IOException {
    publish(1);
    try (ServingIndex serving = ServingIndex.open(root, manual())) {
      float[] q = TestIndexes.gaussian(new Random(5), D);
      Neighbors before = serving.search(q, K, SearchParams.nprobe(8));
      float[] nan = q.clone();
      nan[3] = Float.NaN;
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> serving.search(nan, K, SearchParams.nprobe(8)));
      assertEquals("query holds NaN at component 3 (components must be finite)", e.getMessage());
      float[] huge = new float[D];
      Arrays.fill(huge, 3e38f);
      e = assertThrows(IllegalArgumentException.class,
          () -> serving.search(huge, K, SearchParams.nprobe(8)));
      assertTrue(e.getMessage().startsWith("query has a squared norm of 1.440e+78"),
          e.getMessage());
      // Finite, as upsert already required, but its distances overflowed: 3e38 was accepted.
      e = assertThrows(IllegalArgumentException.class, () -> serving.upsert(7L, huge));
      assertTrue(e.getMessage().startsWith("vector has a squared norm of 1.440e+78"),
          e.getMessage());
      ServingMetrics m = serving.metrics();
      assertEquals(2, m.failedQueries());
      assertEquals(1, m.queries());
      assertEquals(0, m.freshItems());
      assertEquals(before, serving.search(q, K, SearchParams.nprobe(8)));
    }
  }
}
