package dev.kiln.job.encode;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ScalarQuantizer;
import java.io.Serializable;

/**
 * The arrays of a trained model, small enough to broadcast; rebuilt into an IndexModel per task.
 * {@code refine} describes the refine stage's vectors (the spec's refine, and for SQ8 its
 * quantizer, else null).
 */
public record ModelBroadcast(
    Metric metric, IndexSpec spec, int dim, float[] centroids, float[] codebooks,
    ScalarQuantizer sq8)
    implements Serializable {

  public static ModelBroadcast of(IndexModel m, ScalarQuantizer sq8) {
    return new ModelBroadcast(
        m.metric(), m.spec(), m.dim(), m.coarse().centroids(),
        m.pq() == null ? null : m.pq().codebooks(), sq8);
  }

  public IndexModel model() {
    return new IndexModel(metric, spec, dim, centroids, codebooks);
  }
}
