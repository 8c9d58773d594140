package dev.kiln.job.train;

/** Told after each k-means iteration, so the build's progress can show "iteration 5/25". */
@FunctionalInterface
public interface Iterations {
  /** Nothing to tell. */
  Iterations NONE = (done, of) -> {};

  /** Iteration {@code done} (from 1) of {@code of} has finished. */
  void done(int done, int of);
}
