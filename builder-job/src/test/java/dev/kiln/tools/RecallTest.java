package dev.kiln.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecallTest {
  @Test
  void countsHitsAmongTheFirstKAndAveragesOverQueries() {
    List<List<Long>> truth = List.of(List.of(1L, 2L), List.of(3L, 4L));
    // Query 0 finds 1 of 2 (its second hit is past k); query 1 finds both.
    List<List<Long>> results = List.of(List.of(1L, 9L, 2L), List.of(4L, 3L));
    assertEquals(0.75, Recall.mean(2, 2, truth::get, results::get), 0);
  }

  @Test
  void emptyTruthIsLeftOutAndUnequalTruthsAverageTheirFractions() {
    List<Set<String>> truth = List.of(Set.of("a"), Set.of(), Set.of("b", "c", "d", "e"));
    List<List<String>> results = List.of(List.of("a"), List.of("x"), List.of("b", "x", "y", "z"));
    assertEquals((1.0 + 0.25) / 2, Recall.mean(3, 4, truth::get, results::get), 1e-15);
    assertEquals(0, Recall.mean(1, 4, q -> Set.of(), q -> List.of("a")), 0);
  }

  @Test
  void aCommonTruthSizeGivesTheCorrectlyRoundedMean() {
    // 1/10 summed ten times is not 1.0 in doubles; whole counts divided once are exact.
    int n = 10;
    double r = Recall.mean(n, 10, q -> List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        q -> q == 0 ? List.of(0) : List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    assertEquals((double) (1 + 9 * 10) / 100, r, 0);
  }
}
