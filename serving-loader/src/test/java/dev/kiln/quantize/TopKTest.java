package dev.kiln.quantize;

import dev.kiln.search.TestIndexes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopKTest {

  private record Entry(float dist, long ref) {}

  private static final Comparator<Entry> ORDER =
      Comparator.comparingDouble(Entry::dist).thenComparingLong(Entry::ref);

  /** Few distinct distances, so ties are everywhere; distinct refs, negative ones included. */
  private static List<Entry> entries(Random rnd, int n) {
    List<Entry> out = new ArrayList<>();
    long[] refs = TestIndexes.randomIds(rnd, n);
    for (int i = 0; i < n; i++) {
      out.add(new Entry(rnd.nextInt(7) * 0.5f - 1, refs[i]));
    }
    return out;
  }

  private static void assertKeepsSmallest(TopK top, List<Entry> offered, int k) {
    top.reset(k);
    for (Entry e : offered) {
      top.offer(e.dist(), e.ref());
    }
    List<Entry> expected = offered.stream().sorted(ORDER).limit(k).toList();
    float[] dist = new float[k];
    long[] ref = new long[k];
    int n = top.drainSorted(dist, ref);
    assertEquals(expected.size(), n);
    for (int i = 0; i < n; i++) {
      assertEquals(expected.get(i), new Entry(dist[i], ref[i]), "rank " + i);
    }
  }

  @ParameterizedTest(name = "k = {0}")
  @ValueSource(ints = {1, 2, 3, 7, 16, 17, 100, 499, 500, 1000})
  void keepsTheKSmallestWithTiesToTheSmallerRef(int k) {
    List<Entry> offered = entries(new Random(k), 500);
    TopK top = new TopK();
    assertKeepsSmallest(top, offered, k);
    // The order of offers does not matter.
    Collections.shuffle(offered, new Random(1));
    assertKeepsSmallest(top, offered, k);
    Collections.reverse(offered);
    assertKeepsSmallest(top, offered, k);
  }

  @Test
  void reuseAcrossQueriesWithDifferentK() {
    TopK top = new TopK();
    Random rnd = new Random(5);
    for (int k : new int[] {50, 3, 200, 1, 20}) {
      assertKeepsSmallest(top, entries(rnd, 1 + rnd.nextInt(300)), k);
    }
  }

  @Test
  void allEqualDistancesKeepTheSmallestRefs() {
    TopK top = new TopK();
    top.reset(3);
    for (long r = 10; r >= 1; r--) {
      top.offer(2f, r);
    }
    float[] dist = new float[3];
    long[] ref = new long[3];
    assertEquals(3, top.drainSorted(dist, ref));
    assertArrayEquals(new long[] {1, 2, 3}, ref);
    assertArrayEquals(new float[] {2f, 2f, 2f}, dist);
  }

  @Test
  void thresholdIsInfiniteUntilFullThenTheKthSmallest() {
    TopK top = new TopK();
    top.reset(3);
    assertEquals(Float.POSITIVE_INFINITY, top.threshold());
    top.offer(5f, 1);
    top.offer(1f, 2);
    assertEquals(Float.POSITIVE_INFINITY, top.threshold());
    top.offer(3f, 3);
    assertEquals(5f, top.threshold());
    top.offer(2f, 4);
    assertEquals(3f, top.threshold());
    top.offer(9f, 5);
    assertEquals(3f, top.threshold());
  }

  @Test
  void drainEmptiesTheHeap() {
    TopK top = new TopK();
    top.reset(4);
    top.offer(1f, 1);
    top.offer(0f, 2);
    float[] dist = new float[4];
    long[] ref = new long[4];
    assertEquals(2, top.drainSorted(dist, ref));
    assertArrayEquals(new long[] {2, 1}, Arrays.copyOf(ref, 2));
    assertEquals(0, top.drainSorted(dist, ref));
    assertEquals(Float.POSITIVE_INFINITY, top.threshold());
  }
}
