package dev.kiln.job;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Times the build's stages, in order, for the log and the manifest. */
final class StageTimer {
  private static final Logger LOG = LoggerFactory.getLogger(StageTimer.class);
  private final Map<String, Double> seconds = new LinkedHashMap<>();
  private final BuildProgress progress;
  private final long start = System.nanoTime();
  private long stageStart = start;
  private String stage;
  /** The build's stages in order, once the index type is known; empty before. */
  private List<String> plan = List.of();

  StageTimer(BuildProgress progress) {
    this.progress = progress;
  }

  /** The stages this build will run, in order: the progress shows "stage 3 of 8: NAME". */
  void plan(List<String> stages) {
    plan = List.copyOf(stages);
  }

  void start(String name) {
    start(name, 0);
  }

  /** Starts a stage of {@code iterations} iterations, told by {@link #iteration}. */
  void start(String name, int iterations) {
    end();
    stage = name;
    stageStart = System.nanoTime();
    int at = plan.indexOf(name);
    progress.stage(at < 0 ? name
        : String.format(Locale.ROOT, "stage %d of %d: %s", at + 1, plan.size(), name),
        iterations);
    LOG.info("stage {}: started", name);
  }

  /** Iteration {@code done} of {@code of} of the current stage has finished. */
  void iteration(int done, int of) {
    progress.iteration(done, of);
  }

  void end() {
    if (stage != null) {
      double s = (System.nanoTime() - stageStart) / 1e9;
      seconds.put(stage, Math.round(s * 1000) / 1000.0);
      long rows = progress.rows();
      progress.clearBar();
      LOG.info("stage {}: done in {} s{}", stage, String.format(Locale.ROOT, "%.1f", s),
          rows == 0 ? "" : String.format(Locale.ROOT, ", %,d records read by Spark tasks (%,.0f/s)",
              rows, rows / Math.max(s, 1e-9)));
      stage = null;
    }
  }

  double total() {
    return (System.nanoTime() - start) / 1e9;
  }

  Map<String, Double> seconds() {
    end();
    Map<String, Double> out = new LinkedHashMap<>(seconds);
    out.put("total", Math.round(total() * 1000) / 1000.0);
    return out;
  }
}
