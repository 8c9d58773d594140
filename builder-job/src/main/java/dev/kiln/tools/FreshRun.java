package dev.kiln.tools;

import dev.kiln.serve.ServingIndex;
import dev.kiln.serve.ServingOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The fresh set as a benchmark sees it: a serving handle on a version built without the last
 * rows of a base file, those rows upserted (id = row number, as {@link Convert} numbers them),
 * timed, so that the merged index can be searched and scored like a rebuild.
 */
public final class FreshRun {
  private FreshRun() {}

  /**
   * Opens {@code root} for serving (no polling, nothing covered by the version) and upserts rows
   * [{@code from}, {@code from + count}) of {@code base}; prints {@code fresh=N upsert_seconds=S
   * upserts_per_second=U}. Rows are read in blocks, outside the timing. {@code inHeap}: the
   * version read into the heap rather than mapped.
   */
  public static ServingIndex upsert(Path root, Path base, int from, int count, int graphFrom,
      boolean inHeap) throws IOException {
    ServingOptions options = ServingOptions.defaults().withPollInterval(Duration.ZERO)
        .withInputCutoff(m -> null).withMaxFreshItems(Math.max(count, 1))
        .withFreshGraphFrom(graphFrom).withInHeap(inHeap);
    ServingIndex serving = ServingIndex.open(root, options);
    double seconds = 0;
    int block = 10_000;
    for (int at = 0; at < count; at += block) {
      float[][] rows = Vecs.readFloats(base, from + at, Math.min(block, count - at));
      long t0 = System.nanoTime();
      for (int i = 0; i < rows.length; i++) {
        serving.upsert((long) (from + at + i), rows[i]);
      }
      seconds += (System.nanoTime() - t0) / 1e9;
    }
    System.out.printf("fresh=%d upsert_seconds=%.1f upserts_per_second=%.0f graph_from=%d%n",
        count, seconds, count / seconds, graphFrom);
    return serving;
  }
}
