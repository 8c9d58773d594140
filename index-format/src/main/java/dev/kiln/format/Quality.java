package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * The {@code quality} object of a manifest: the search quality the build measured on held-out
 * queries through the serving loader, one {@link Point} per nprobe. Kept in the manifest as a
 * plain JSON object (so readers that predate a field ignore it); this record is its typed view.
 *
 * @param queries number of queries searched
 * @param querySource {@code input-sample} (items of the input, each searched with itself left
 *     out of both the exact and the approximate answer) or the URI given by {@code --queries}
 * @param k neighbours per query; recall is recall@k: |approximate top-k ∩ exact top-k| / k
 * @param kernels the distance kernels the loader ran with ({@code panama} or {@code scalar})
 * @param threads search threads (1: latency and QPS are single-threaded)
 * @param curve one point per nprobe, by increasing nprobe
 * @param gate the publish gate the build was held to, if any
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Quality(
    int queries,
    String querySource,
    int k,
    String kernels,
    int threads,
    List<Point> curve,
    Gate gate) {

  /** The query source of a build that sampled its queries from the input. */
  public static final String INPUT_SAMPLE = "input-sample";

  /**
   * One measured nprobe.
   *
   * @param nprobe lists searched per query
   * @param recall mean recall@k over the queries
   * @param p50Ms median single-query latency, milliseconds
   * @param p99Ms 99th-percentile single-query latency, milliseconds
   * @param qps queries per second on one thread
   */
  public record Point(int nprobe, double recall, double p50Ms, double p99Ms, double qps) {}

  /**
   * The publish gate: the build publishes only if recall at {@code atNprobe} is at least
   * {@code minRecall}.
   */
  public record Gate(double minRecall, int atNprobe, double measured, boolean passed) {}

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** The measured point for {@code nprobe}, or null. */
  public Point at(int nprobe) {
    if (curve != null) {
      for (Point p : curve) {
        if (p.nprobe() == nprobe) {
          return p;
        }
      }
    }
    return null;
  }

  /**
   * The smallest measured nprobe whose recall is at least {@code target}; when none reaches it,
   * the nprobe with the highest recall (the best the index measured), smallest first on ties.
   *
   * @throws IllegalArgumentException when {@code target} is not in (0, 1] (NaN included)
   * @throws IllegalStateException when the curve is empty
   */
  public int nprobeFor(double target) {
    // NaN reached no point and -1 every point: both picked an nprobe for a meaningless target.
    if (!(target > 0 && target <= 1)) {
      throw new IllegalArgumentException("target recall must be in (0, 1], got " + target);
    }
    if (curve == null || curve.isEmpty()) {
      throw new IllegalStateException("no measured recall curve");
    }
    Point meets = null;
    Point best = null;
    for (Point p : curve) {
      if (p.recall() >= target && (meets == null || p.nprobe() < meets.nprobe())) {
        meets = p;
      }
      if (best == null || p.recall() > best.recall()
          || (p.recall() == best.recall() && p.nprobe() < best.nprobe())) {
        best = p;
      }
    }
    if (meets != null) {
      return meets.nprobe();
    }
    return best.nprobe();
  }

  /** The manifest's form of this object. */
  @SuppressWarnings("unchecked")
  public Map<String, Object> toMap() {
    return JSON.convertValue(this, Map.class);
  }

  /**
   * The typed view of a manifest's {@code quality} object, or null when there is none, it has no
   * curve (as in manifests written before builds measured one) or its curve is not one a search
   * can be steered by: empty, or a point that is null, has an nprobe below 1 or a recall outside
   * [0, 1]. A target-recall search then fails as for an index built without evaluation, rather
   * than probing no list.
   */
  public static Quality of(Map<String, Object> quality) {
    if (quality == null || !(quality.get("curve") instanceof List)) {
      return null;
    }
    Quality q;
    try {
      q = JSON.convertValue(quality, Quality.class);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (q.curve().isEmpty()) {
      return null;
    }
    for (Point p : q.curve()) {
      if (p == null || p.nprobe() < 1 || !(p.recall() >= 0 && p.recall() <= 1)) {
        return null;
      }
    }
    return q;
  }
}
