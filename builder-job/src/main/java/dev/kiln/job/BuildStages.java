package dev.kiln.job;

import dev.kiln.format.IndexSpec;
import java.util.ArrayList;
import java.util.List;

/** The stages a build runs, in order, from its index type: the progress numbers them. */
final class BuildStages {
  private BuildStages() {}

  /** The stages of a build of {@code spec} ({@code evaluate}: with the quality step). */
  static List<String> of(IndexSpec spec, boolean evaluate) {
    List<String> out = new ArrayList<>(List.of("read"));
    if (!spec.isGraph()) {
      out.add("train.coarse");
    }
    if (spec.encoding() == IndexSpec.Encoding.PQ) {
      out.add("train.pq");
    }
    if (spec.encoding() == IndexSpec.Encoding.SQ8) {
      out.add("train.sq8");
    }
    if (spec.hasCoarseGraph()) {
      out.add("train.graph");
    }
    out.addAll(spec.isGraph() ? List.of("write.model", "write.graphs")
        : List.of("write.model", "encode", "write.shards"));
    if (evaluate) {
      out.add("evaluate");
    }
    out.add("publish");
    return out;
  }
}
