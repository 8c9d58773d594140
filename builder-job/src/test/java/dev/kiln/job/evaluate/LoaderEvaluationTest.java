package dev.kiln.job.evaluate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The curve keeps each point's median round, not its fastest or its last. */
class LoaderEvaluationTest {
  @Test
  void picksTheMedianRound() {
    assertEquals(2, LoaderEvaluation.medianRound(new double[] {3.0, 1.0, 2.0}));
    // A burst slowing one round does not move the point: the median is a quiet round.
    assertEquals(0, LoaderEvaluation.medianRound(new double[] {1.1, 9.0, 1.0}));
    assertEquals(1, LoaderEvaluation.medianRound(new double[] {1.0, 1.0, 1.0}));
    assertEquals(0, LoaderEvaluation.medianRound(new double[] {5.0}));
  }
}
