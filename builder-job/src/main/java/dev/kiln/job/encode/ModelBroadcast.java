package dev.kiln.job.encode;

import dev.kiln.format.HnswSection;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ScalarQuantizer;
import java.io.Serializable;

/**
 * The arrays of a trained model, small enough to broadcast; rebuilt into an IndexModel per task.
 * {@code graph} is the HNSW graph over the centroids as bytes (its {@code HnswSection} section).
 * {@code refine} describes the refine stage's vectors (the spec's refine, and for SQ8 its
 * quantizer, else null).
 */
public record ModelBroadcast(
    Metric metric, IndexSpec spec, int dim, float[] centroids, float[] codebooks,
    byte[] graph, boolean exactAssignment, ScalarQuantizer sq8)
    implements Serializable {

  /**
   * The model's arrays, its graph over the centroids as the model file's section (null
   * without one) and whether items are assigned exactly even when there is a graph.
   */
  public static ModelBroadcast of(IndexModel m, boolean exactAssignment, ScalarQuantizer sq8) {
    return new ModelBroadcast(
        m.metric(), m.spec(), m.dim(), m.coarse().centroids(),
        m.codebooks(),
        m.graph() == null ? null : m.graph().toBytes(), exactAssignment, sq8);
  }

  public IndexModel model() {
    return new IndexModel(metric, spec, dim, centroids, codebooks,
        graph == null ? null : HnswSection.fromBytes(graph, spec.nlist()));
  }
}
