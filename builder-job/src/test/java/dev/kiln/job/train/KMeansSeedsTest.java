package dev.kiln.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class KMeansSeedsTest {
  private static final int DIM = 3;

  /** Row i is (i, 2i, 3i): a seed's first coordinate names its row. */
  private static float[] rows(int n) {
    float[] data = new float[n * DIM];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < DIM; j++) {
        data[i * DIM + j] = i * (j + 1);
      }
    }
    return data;
  }

  @Test
  void uniformSeedsAreDistinctRowsOfTheData() {
    float[] data = rows(500);
    float[] seeds = KMeansSeeds.uniform(data, 500, DIM, 64, 7);
    Set<Integer> picked = new HashSet<>();
    for (int c = 0; c < 64; c++) {
      int row = (int) seeds[c * DIM];
      assertArrayEquals(Arrays.copyOfRange(data, row * DIM, (row + 1) * DIM),
          Arrays.copyOfRange(seeds, c * DIM, (c + 1) * DIM), "seed " + c);
      assertTrue(picked.add(row), "row " + row + " picked twice");
    }
  }

  @Test
  void uniformSeedsDependOnlyOnTheSeed() {
    float[] data = rows(500);
    assertArrayEquals(KMeansSeeds.uniform(data, 500, DIM, 64, 7),
        KMeansSeeds.uniform(data, 500, DIM, 64, 7));
    assertFalse(Arrays.equals(KMeansSeeds.uniform(data, 500, DIM, 64, 7),
        KMeansSeeds.uniform(data, 500, DIM, 64, 8)));
  }

  @Test
  void uniformSeedsOfExactlyKPointsAreAllOfThem() {
    float[] seeds = KMeansSeeds.uniform(rows(16), 16, DIM, 16, 1);
    Set<Integer> picked = new HashSet<>();
    for (int c = 0; c < 16; c++) {
      picked.add((int) seeds[c * DIM]);
    }
    assertEquals(16, picked.size());
  }

  @Test
  void fewerPointsThanSeedsIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> KMeansSeeds.uniform(rows(3), 3, DIM, 4, 1));
    assertEquals("k-means needs at least k=4 points, got 3", e.getMessage());
  }
}
