package dev.kiln.search;

import dev.kiln.format.Metric;
import dev.kiln.format.RefineFile;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.TopK;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;

/**
 * The refine stage: re-scores a shortlist of (shard, ordinal) refs by the vectors stored in the
 * refine files, one implementation per refine encoding, chosen once when the index opens.
 */
abstract class Reranker {
  static final VectorKernels K = VectorizationProvider.kernels();

  final RefineFile[] refine;
  final MetricStrategy metric;

  Reranker(RefineFile[] refine, MetricStrategy metric) {
    this.refine = refine;
    this.metric = metric;
  }

  /** The re-ranker for a refine encoding, or null when the index has no refine stage. */
  static Reranker of(VersionFiles files, MetricStrategy metric) {
    return switch (files.manifest().spec().refine()) {
      case NONE -> null;
      case FLAT -> new Float32(files.refine(), metric);
      case SQ8 -> new Sq8(files.refine(), metric);
    };
  }

  /**
   * Offers the {@code n} shortlisted {@code refs} to {@code top} with their distances to the
   * prepared {@code query} by the stored vectors; {@code top} keeps the best.
   */
  abstract void rerank(float[] query, long[] refs, int n, TopK top, ScanBuffers buffers);

  /** As in the scan: a NaN distance (a damaged vector) never enters. */
  static void offer(TopK top, float dist, long ref) {
    if (dist <= top.threshold()) {
      top.offer(dist, ref);
    }
  }

  /** Float32 vectors ({@code RFlat}): the metric's exact distance. */
  static final class Float32 extends Reranker {
    /** L2 is {@code squareDistance}, which has a four-row kernel. */
    private final boolean l2;

    Float32(RefineFile[] refine, MetricStrategy metric) {
      super(refine, metric);
      this.l2 = metric.metric() == Metric.L2;
    }

    @Override
    void rerank(float[] q, long[] refs, int n, TopK top, ScanBuffers buffers) {
      int d = q.length;
      int i = 0;
      if (l2) {
        // Four rows at a time: their reads (scattered over the mapped files) overlap.
        float[] four = buffers.four;
        for (; i + 4 <= n; i += 4) {
          RefineFile f0 = refine[ItemRef.shard(refs[i])];
          RefineFile f1 = refine[ItemRef.shard(refs[i + 1])];
          RefineFile f2 = refine[ItemRef.shard(refs[i + 2])];
          RefineFile f3 = refine[ItemRef.shard(refs[i + 3])];
          K.squareDistance4(q,
              f0.buffer(), f0.vectorOffset(ItemRef.ordinal(refs[i])),
              f1.buffer(), f1.vectorOffset(ItemRef.ordinal(refs[i + 1])),
              f2.buffer(), f2.vectorOffset(ItemRef.ordinal(refs[i + 2])),
              f3.buffer(), f3.vectorOffset(ItemRef.ordinal(refs[i + 3])), d, four);
          for (int j = 0; j < 4; j++) {
            offer(top, four[j], refs[i + j]);
          }
        }
      }
      for (; i < n; i++) {
        long ref = refs[i];
        RefineFile f = refine[ItemRef.shard(ref)];
        offer(top, metric.distance(q, f.buffer(), f.vectorOffset(ItemRef.ordinal(ref)), d), ref);
      }
    }
  }

  /**
   * SQ8 vectors ({@code Refine(SQ8)}), decoded as {@code base + step * b} in the kernels: L2 is
   * {@code sum (q - base - step*b)^2}, inner product {@code <q, base> + sum (q*step) * b}.
   */
  static final class Sq8 extends Reranker {
    /** How stored bytes decode (the same in every shard). */
    private final float[] base;
    private final float[] step;
    private final boolean l2;

    Sq8(RefineFile[] refine, MetricStrategy metric) {
      super(refine, metric);
      this.base = refine[0].sq8Base();
      this.step = refine[0].sq8Step();
      this.l2 = metric.metric() == Metric.L2;
    }

    @Override
    void rerank(float[] q, long[] refs, int n, TopK top, ScanBuffers buffers) {
      int d = q.length;
      float[] shifted = buffers.residual;
      float constant = 0;
      for (int j = 0; j < d; j++) {
        shifted[j] = l2 ? q[j] - base[j] : q[j] * step[j];
        constant += q[j] * base[j];
      }
      for (int i = 0; i < n; i++) {
        long ref = refs[i];
        RefineFile f = refine[ItemRef.shard(ref)];
        int off = f.vectorOffset(ItemRef.ordinal(ref));
        ByteBuffer buf = f.buffer();
        float dist = l2
            ? K.sq8SquareDistance(shifted, step, buf, off, d)
            : -(constant + K.sq8Dot(shifted, buf, off, d));
        offer(top, dist, ref);
      }
    }
  }
}
