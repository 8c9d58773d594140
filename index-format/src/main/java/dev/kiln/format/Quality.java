package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * The {@code quality} object of a manifest: the search quality the build measured on held-out
 * queries through the serving loader, one {@link Point} per nprobe (per efSearch for
 * {@code HNSW{M}}, whose points carry {@code efSearch}). Kept in the manifest as a
 * plain JSON object (so readers that predate a field ignore it); this record is its typed view.
 *
 * @param queries number of queries searched
 * @param querySource {@code input-sample} (items of the input, each searched with itself left
 *     out of both the exact and the approximate answer) or the URI given by {@code --queries}
 * @param k neighbours per query; recall is recall@k: |approximate top-k ∩ exact top-k| / k
 * @param kernels the distance kernels the loader ran with, e.g. {@code panama(512-bit)} or
 *     {@code scalar}
 * @param threads search threads (1: latency and QPS are single-threaded)
 * @param curve one point per nprobe, by increasing nprobe; for {@code HNSW{M}} one per efSearch,
 *     by increasing efSearch
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
   * One measured nprobe (or efSearch).
   *
   * @param nprobe lists searched per query (1 for {@code HNSW{M}})
   * @param recall mean recall@k over the queries
   * @param p50Ms median single-query latency, milliseconds
   * @param p99Ms 99th-percentile single-query latency, milliseconds
   * @param qps queries per second on one thread
   * @param efSearch {@code HNSW{M}}: the beam searched with; null (absent) for IVF indexes
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Point(int nprobe, double recall, double p50Ms, double p99Ms, double qps,
      Integer efSearch) {
    /**
     * A point of an IVF index's curve.
     *
     * @param nprobe lists searched per query, at least 1
     * @param recall mean recall@k over the queries, in [0, 1]
     * @param p50Ms median single-query latency, milliseconds
     * @param p99Ms 99th-percentile single-query latency, milliseconds
     * @param qps queries per second on one thread
     */
    public Point(int nprobe, double recall, double p50Ms, double p99Ms, double qps) {
      this(nprobe, recall, p50Ms, p99Ms, qps, null);
    }

    /**
     * The knob this point measured: efSearch where set, else nprobe.
     *
     * @return the knob's value
     */
    public int knob() {
      return efSearch != null ? efSearch : nprobe;
    }
  }

  /**
   * The publish gate: the build publishes only if recall at {@code atNprobe} (for
   * {@code HNSW{M}}: at efSearch {@code atEfSearch}) is at least {@code minRecall}.
   *
   * @param minRecall the recall the build had to reach, in [0, 1]
   * @param atNprobe the nprobe the recall was read at (1 for {@code HNSW{M}})
   * @param measured the recall measured there
   * @param passed whether {@code measured} reached {@code minRecall}; always true in a
   *     published version
   * @param atEfSearch {@code HNSW{M}}: the efSearch the recall was read at; null (absent) for
   *     IVF indexes
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Gate(double minRecall, int atNprobe, double measured, boolean passed,
      Integer atEfSearch) {
    /**
     * The gate of an IVF index.
     *
     * @param minRecall the recall the build had to reach, in [0, 1]
     * @param atNprobe the nprobe the recall was read at
     * @param measured the recall measured there
     * @param passed whether {@code measured} reached {@code minRecall}; always true in a
     *     published version
     */
    public Gate(double minRecall, int atNprobe, double measured, boolean passed) {
      this(minRecall, atNprobe, measured, passed, null);
    }

    /**
     * The knob's value the gate was read at: efSearch where set, else nprobe.
     *
     * @return the knob's value
     */
    public int at() {
      return atEfSearch != null ? atEfSearch : atNprobe;
    }
  }

  /**
   * {@code efSearch} when the curve measured efSearch ({@code HNSW{M}}), else {@code nprobe}.
   *
   * @return the knob's name, as the curve's JSON spells it
   */
  public String knob() {
    return curve != null && !curve.isEmpty() && curve.get(0) != null
        && curve.get(0).efSearch() != null ? "efSearch" : "nprobe";
  }

  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * The measured point for this nprobe (efSearch, for an {@code HNSW{M}} curve), or null.
   *
   * @param knob the nprobe, or the efSearch
   * @return the point, or null when none measured that value
   */
  public Point at(int knob) {
    if (curve != null) {
      for (Point p : curve) {
        if (p.knob() == knob) {
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
   * @param target the recall wanted, in (0, 1]
   * @return a measured nprobe
   * @throws IllegalArgumentException when {@code target} is not in (0, 1] (NaN included)
   * @throws IllegalStateException when the curve is empty
   */
  public int nprobeFor(double target) {
    return pick(target, false);
  }

  /**
   * The smallest measured efSearch whose recall is at least {@code target}, else the one with
   * the highest recall: {@link #nprobeFor} for an {@code HNSW{M}} curve.
   *
   * @param target the recall wanted, in (0, 1]
   * @return a measured efSearch
   * @throws IllegalArgumentException when {@code target} is not in (0, 1] (NaN included)
   * @throws IllegalStateException when the curve is empty or did not measure efSearch
   */
  public int efSearchFor(double target) {
    if (curve != null && !curve.isEmpty() && !knob().equals("efSearch")) {
      throw new IllegalStateException("the measured curve is over nprobe, not efSearch");
    }
    return pick(target, true);
  }

  private int pick(double target, boolean ef) {
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
      int v = ef ? p.knob() : p.nprobe();
      if (p.recall() >= target && (meets == null || v < (ef ? meets.knob() : meets.nprobe()))) {
        meets = p;
      }
      if (best == null || p.recall() > best.recall()
          || (p.recall() == best.recall() && v < (ef ? best.knob() : best.nprobe()))) {
        best = p;
      }
    }
    Point chosen = meets != null ? meets : best;
    return ef ? chosen.knob() : chosen.nprobe();
  }

  /**
   * The typed view of a {@code quality} object held as a map (as Jackson reads JSON into one), or
   * null when there is none or it is not {@link #steerable}.
   *
   * @param quality the object, or null
   * @return the typed view, or null
   */
  public static Quality of(Map<String, ?> quality) {
    if (quality == null || !(quality.get("curve") instanceof List)) {
      return null;
    }
    Quality q;
    try {
      q = JSON.convertValue(quality, Quality.class);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return q.steerable();
  }

  /**
   * This object, or null when it has no curve (as in manifests written before builds measured
   * one) or its curve is not one a search can be steered by: empty, or a point that is null, has
   * an nprobe or efSearch below 1 or a recall outside [0, 1]. A target-recall search then fails
   * as for an index built without evaluation, rather than probing no list.
   *
   * @return this object, or null
   */
  public Quality steerable() {
    if (curve == null || curve.isEmpty()) {
      return null;
    }
    for (Point p : curve) {
      if (p == null || p.nprobe() < 1 || (p.efSearch() != null && p.efSearch() < 1)
          || !(p.recall() >= 0 && p.recall() <= 1)) {
        return null;
      }
    }
    return this;
  }

  /**
   * Reads {@code quality} as a {@link Quality}, or null when the object does not read as one: the
   * section is informative, so a malformed one does not make the manifest unreadable.
   */
  public static final class Lenient extends JsonDeserializer<Quality> {
    @Override
    public Quality deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonNode n = p.readValueAsTree();
      // No curve: the v1 summary ({recallAt10, nprobe, queries}) or another shape. Reading it
      // as a Quality would show zeros where nothing was measured.
      if (n == null || !n.isObject() || !n.path("curve").isArray()) {
        return null;
      }
      try {
        return JSON.treeToValue(n, Quality.class);
      } catch (JsonProcessingException | IllegalArgumentException e) {
        return null;
      }
    }
  }
}
