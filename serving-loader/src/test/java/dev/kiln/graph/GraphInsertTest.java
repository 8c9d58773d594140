package dev.kiln.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.Metric;
import java.util.Arrays;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A graph grown one node at a time, as the serving fresh set grows it, and searched. */
class GraphInsertTest {
  private static final int D = 16;
  private static final int M = 16;

  private static float[] vectors(Random rnd, int n) {
    float[] v = new float[n * D];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  private static float distance(float[] v, int node, float[] q, Metric metric) {
    float s = 0;
    for (int j = 0; j < D; j++) {
      float a = v[node * D + j];
      s += metric == Metric.L2 ? (a - q[j]) * (a - q[j]) : -a * q[j];
    }
    return s;
  }

  /** Grows a graph over the first n vectors of v, doubling its capacity as it fills. */
  private static Grown grow(float[] v, int n, Metric metric, int firstCapacity) {
    SplittableRandom levels = new SplittableRandom(5);
    int capacity = firstCapacity;
    GraphRows rows = new GraphRows(v, capacity, D, metric, M, new int[capacity]);
    GraphInsert insert = new GraphInsert(rows, 40);
    GraphBeam beam = insert.newBeam();
    GraphInsert.Links links = new GraphInsert.Links();
    for (int i = 0; i < n; i++) {
      if (i == capacity) {
        capacity *= 2;
        rows = rows.grow(v, capacity);
        insert = new GraphInsert(rows, 40, insert.entry(), insert.maxLevel());
        beam = insert.newBeam();
      }
      rows.setLevel(i, GraphInsert.drawLevel(levels, M));
      insert.insert(i, beam, links);
    }
    return new Grown(rows, insert);
  }

  private record Grown(GraphRows rows, GraphInsert insert) {
    int[] query(float[] q, int ef, int bound) {
      GraphBeam beam = new GraphBeam(rows.n, 2 * M);
      int n = beam.query(rows, insert.entry(), insert.maxLevel(), bound, q, ef, null);
      return Arrays.copyOf(beam.ids, n);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Metric.class, names = {"L2", "IP"})
  void nodesInsertedOneByOneAreFoundAsBruteForceFindsThem(Metric metric) {
    int n = 4000;
    Random rnd = new Random(1);
    float[] v = vectors(rnd, n);
    Grown g = grow(v, n, metric, n);
    double hits = 0;
    int queries = 200;
    for (int t = 0; t < queries; t++) {
      float[] q = Arrays.copyOf(vectors(rnd, 1), D);
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (a, b) -> Float.compare(distance(v, a, q, metric),
          distance(v, b, q, metric)));
      int[] got = g.query(q, 64, n);
      for (int r = 0; r < 10; r++) {
        for (int j = 0; j < 10; j++) {
          hits += got[j] == order[r] ? 1 : 0;
        }
      }
    }
    double recall = hits / (queries * 10.0);
    assertTrue(recall >= 0.95, "recall@10 at ef 64: " + recall);
  }

  @Test
  void growingTheArraysKeepsTheGraph() {
    int n = 1500;
    float[] v = vectors(new Random(2), n);
    Grown whole = grow(v, n, Metric.L2, n);
    Grown doubled = grow(v, n, Metric.L2, 100);
    float[] q = vectors(new Random(3), 1);
    assertArrayEquals(whole.query(q, 50, n), doubled.query(q, 50, n));
    assertEquals(whole.insert.entry(), doubled.insert.entry());
  }

  @Test
  void aReaderBesideTheWriterSeesOnlyNodesBelowItsBound() throws InterruptedException {
    int n = 6000;
    float[] v = vectors(new Random(4), n);
    GraphRows rows = new GraphRows(v, n, D, Metric.L2, M, new int[n]);
    GraphInsert insert = new GraphInsert(rows, 40);
    SplittableRandom levels = new SplittableRandom(6);
    // What a reader may see: the entry, top level and node count published together.
    AtomicReference<int[]> published = new AtomicReference<>(new int[] {-1, -1, 0});
    AtomicReference<String> failure = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      GraphBeam beam = new GraphBeam(n, 2 * M);
      Random rnd = new Random(7);
      while (published.get()[2] < n && failure.get() == null) {
        int[] p = published.get();
        if (p[2] == 0) {
          continue;
        }
        float[] q = Arrays.copyOf(vectors(rnd, 1), D);
        int found = beam.query(rows, p[0], p[1], p[2], q, 20, null);
        for (int i = 0; i < found; i++) {
          int node = beam.ids[i];
          if (node < 0 || node >= p[2]
              || Math.abs(beam.dists[i] - distance(v, node, q, Metric.L2)) > 1e-3f
              || (i > 0 && beam.dists[i] < beam.dists[i - 1])) {
            failure.set("bound " + p[2] + ": node " + node + " at " + i);
          }
        }
        if (found < 1) {
          failure.set("bound " + p[2] + ": nothing found");
        }
      }
    });
    reader.start();
    GraphBeam beam = insert.newBeam();
    GraphInsert.Links links = new GraphInsert.Links();
    for (int i = 0; i < n; i++) {
      rows.setLevel(i, GraphInsert.drawLevel(levels, M));
      insert.insert(i, beam, links);
      published.set(new int[] {insert.entry(), insert.maxLevel(), i + 1});
    }
    reader.join();
    assertEquals(null, failure.get());
  }
}
