package dev.kiln.build.encode;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.quantize.IndexModel;
import java.io.Serializable;

/** The arrays of a trained model, small enough to broadcast; rebuilt into an IndexModel per task. */
public record ModelBroadcast(
    Metric metric, IndexSpec spec, int dim, float[] centroids, float[] codebooks)
    implements Serializable {

  public static ModelBroadcast of(IndexModel m) {
    return new ModelBroadcast(
        m.metric(), m.spec(), m.dim(), m.coarse().centroids(),
        m.pq() == null ? null : m.pq().codebooks());
  }

  public IndexModel model() {
    return new IndexModel(metric, spec, dim, centroids, codebooks);
  }
}
