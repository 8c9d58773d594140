package dev.kiln.job.train;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.ProductQuantizer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * Trains the PQ codebooks on residuals (vector minus its list centroid). The M sub-spaces are
 * independent, so each is one Spark task running k-means with 256 centroids: the
 * executors compute residuals and cut them into sub-vectors, a shuffle gathers each sub-space's
 * rows, and rows are put back in a fixed order so the result depends only on the seed. Each
 * sub-space trains with {@link LocalKMeans}: uniform seeds, then Lloyd iterations.
 */
public final class PqTrainer {

  private PqTrainer() {}

  /** One partition's residual sub-vectors for one sub-space. */
  record SubBlock(int partition, int seq, int rows, float[] data) implements Serializable {}

  /**
   * @param ksub sub-centroids per sub-space: 256 for 8-bit codes, 16 for fast-scan's 4 bits
   * @return M x ksub x dsub floats, the codebook layout of {@link ProductQuantizer}
   */
  public static float[] train(
      JavaSparkContext jsc,
      JavaRDD<VectorBlock> sample,
      float[] centroids,
      int nlist,
      int dim,
      Metric metric,
      int m,
      int ksub,
      int iterations,
      long seed) {
    int dsub = dim / m;
    Broadcast<DistributedKMeans.Centroids> bc = jsc.broadcast(new DistributedKMeans.Centroids(
        centroids, CentroidSubspace.of(centroids, nlist, dim), null));
    List<Tuple2<Integer, float[]>> books =
        sample
            .zipWithIndex()
            .flatMapToPair(
                t -> {
                  VectorBlock b = t._1();
                  int[] lists = new int[b.rows()];
                  bc.value().assigner(nlist, dim, metric).assign(b.data(), b.rows(), lists, null);
                  float[] c = bc.value().centroids();
                  List<Tuple2<Integer, SubBlock>> out = new ArrayList<>(m);
                  for (int j = 0; j < m; j++) {
                    float[] sub = new float[b.rows() * dsub];
                    for (int i = 0; i < b.rows(); i++) {
                      for (int s = 0; s < dsub; s++) {
                        int col = j * dsub + s;
                        sub[i * dsub + s] = b.data()[i * dim + col] - c[lists[i] * dim + col];
                      }
                    }
                    out.add(new Tuple2<>(j, new SubBlock(b.partition(), (int) (long) t._2(),
                        b.rows(), sub)));
                  }
                  return out.iterator();
                })
            .groupByKey(new HashPartitioner(m))
            .map(
                g -> {
                  List<SubBlock> parts = new ArrayList<>();
                  g._2().forEach(parts::add);
                  parts.sort(Comparator.comparingInt(SubBlock::seq));
                  return new Tuple2<>(g._1(),
                      trainSubspace(parts, dsub, ksub, iterations, seed + g._1()));
                })
            .collect();
    bc.destroy();
    float[] codebooks = new float[ksub * dim];
    for (Tuple2<Integer, float[]> b : books) {
      System.arraycopy(b._2(), 0, codebooks, b._1() * ksub * dsub, ksub * dsub);
    }
    return codebooks;
  }

  /**
   * Uniform seeds and Lloyd iterations on one sub-space ({@link LocalKMeans}). Smile's own
   * k-means (a BBD tree) was far slower at these dimensions (d/M = 49 for Fashion-MNIST PQ16).
   */
  static float[] trainSubspace(List<SubBlock> parts, int dsub, int ksub, int iterations,
      long seed) {
    int n = parts.stream().mapToInt(SubBlock::rows).sum();
    float[] data = new float[n * dsub];
    int at = 0;
    for (SubBlock p : parts) {
      System.arraycopy(p.data(), 0, data, at, p.rows() * dsub);
      at += p.rows() * dsub;
    }
    return LocalKMeans.train(data, n, dsub, ksub, iterations, seed);
  }
}
