package dev.kiln.cli;

import dev.kiln.job.KilnException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Synthetic item embeddings shaped like a two-tower model's: a latent-factor model with
 * clustered structure (low intrinsic dimension), as the benchmarks' {@code synth()} data set.
 * Each vector is drawn as
 *
 * <pre>
 *   c ~ uniform(0, CLUSTERS),  z = centre[c] + N(0, I_LATENT),  x = z P + 0.1 N(0, I_dim)
 * </pre>
 *
 * with {@code centre ~ 2 N(0, I)} ({@value #CLUSTERS} of them in {@value #LATENT} latent
 * dimensions) and the projection {@code P ~ N(0, 1/LATENT)} ({@value #LATENT} x dim). Queries
 * are further draws from the same model. Ground truth is the exact top-{@value #GROUND_TRUTH_K}
 * by L2, brute force. The same options and seed give the same bytes.
 */
@Command(name = "sample", mixinStandardHelpOptions = true,
    description = {
      "Generate synthetic embeddings and their exact nearest neighbours.",
      "A latent-factor model with clusters, like two-tower item embeddings. Writes",
      "DIR/base.fvecs, DIR/query.fvecs and DIR/groundtruth.ivecs (per query, the",
      "row numbers of its 100 nearest base vectors by L2, nearest first; 'kiln",
      "convert' uses row numbers as ids)."
    })
final class SampleCommand implements Callable<Integer> {
  static final int LATENT = 24;
  static final int CLUSTERS = 200;
  static final double NOISE = 0.1;
  static final double CENTRE_SCALE = 2.0;
  static final int GROUND_TRUTH_K = 100;

  static final String BASE = "base.fvecs";
  static final String QUERY = "query.fvecs";
  static final String GROUND_TRUTH = "groundtruth.ivecs";

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Output directory (created if missing; its three files are overwritten).")
  Path out;

  @Option(names = "--n", defaultValue = "20000", description = "Base vectors (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--queries", defaultValue = "500", description = "Query vectors (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--dim", defaultValue = "64", description = "Dimension (default: ${DEFAULT-VALUE}).")
  int dim;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (n < 1 || queries < 1 || dim < 1) {
      throw KilnException.usage("--n, --queries and --dim must be at least 1");
    }
    if (dim > Vecs.MAX_DIM) {
      throw KilnException.usage("--dim " + dim + " is above " + Vecs.MAX_DIM
          + ", the largest dimension Kiln reads from .fvecs files");
    }
    checkHeap();
    OutputPaths.checkDirectory("--out", out); // before the generation, which can take minutes
    long t0 = System.nanoTime();
    Data data = generate(n, queries, dim, seed);
    long t1 = System.nanoTime();
    int[][] gt = groundTruth(data.base(), data.queries(), GROUND_TRUTH_K);
    long t2 = System.nanoTime();
    Files.createDirectories(out);
    Vecs.writeFloats(out.resolve(BASE), data.base());
    Vecs.writeFloats(out.resolve(QUERY), data.queries());
    Vecs.writeInts(out.resolve(GROUND_TRUTH), gt);
    System.out.printf("generated %,d base and %,d query vectors, dim %d, seed %d (%.1f s)%n",
        n, queries, dim, seed, (t1 - t0) / 1e9);
    System.out.printf("ground truth: exact top-%d by L2 (%.1f s)%n", gt[0].length, (t2 - t1) / 1e9);
    System.out.printf("wrote %s, %s, %s%n", out.resolve(BASE), out.resolve(QUERY),
        out.resolve(GROUND_TRUTH));
    return 0;
  }

  /** Everything is generated in the heap: refuse sizes it cannot hold instead of dying. */
  private void checkHeap() {
    long need = ((long) n + queries) * (16 + 4L * dim) + 4L * LATENT * dim
        + (long) queries * (16 + 4L * GROUND_TRUTH_K);
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    if (need > free) {
      throw KilnException.usage(String.format(java.util.Locale.ROOT, "--n %,d and --queries %,d"
          + " of --dim %d need %,d MiB of heap, %,d MiB are free: lower them, or raise -Xmx"
          + " (KILN_JAVA_OPTS)", n, queries, dim, need >> 20, free >> 20));
    }
  }

  record Data(float[][] base, float[][] queries) {}

  /**
   * Draws the model, then the base vectors, then the queries, each from its own stream seeded
   * from {@code seed}, so the queries do not depend on {@code n}. {@link Random} is used because
   * its sequence, {@code nextGaussian} included, is specified: the data is the same on every JVM.
   */
  static Data generate(int n, int nq, int dim, long seed) {
    Random model = new Random(stream(seed, 0));
    float[] proj = new float[LATENT * dim];
    double projScale = 1 / Math.sqrt(LATENT);
    for (int i = 0; i < proj.length; i++) {
      proj[i] = (float) (model.nextGaussian() * projScale);
    }
    float[] centres = new float[CLUSTERS * LATENT];
    for (int i = 0; i < centres.length; i++) {
      centres[i] = (float) (model.nextGaussian() * CENTRE_SCALE);
    }
    float[][] base = draw(new Random(stream(seed, 1)), n, dim, proj, centres);
    float[][] qs = draw(new Random(stream(seed, 2)), nq, dim, proj, centres);
    return new Data(base, qs);
  }

  /** A well-mixed seed for stream {@code i} (SplitMix64's finalizer): no correlated streams. */
  private static long stream(long seed, int i) {
    long z = seed + (i + 1) * 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private static float[][] draw(Random rnd, int m, int dim, float[] proj, float[] centres) {
    float[][] out = new float[m][];
    double[] z = new double[LATENT];
    for (int r = 0; r < m; r++) {
      int c = rnd.nextInt(CLUSTERS);
      for (int j = 0; j < LATENT; j++) {
        z[j] = centres[c * LATENT + j] + rnd.nextGaussian();
      }
      float[] x = new float[dim];
      for (int i = 0; i < dim; i++) {
        double v = 0;
        for (int j = 0; j < LATENT; j++) {
          v += z[j] * proj[j * dim + i];
        }
        x[i] = (float) (v + NOISE * rnd.nextGaussian());
      }
      out[r] = x;
    }
    return out;
  }

  /**
   * The ids (row numbers) of each query's {@code min(k, base.length)} nearest base vectors by
   * squared L2, nearest first. Distances are computed in double precision from the float
   * values, so the answer does not depend on the JVM's vector kernels; equal distances are
   * ordered by id. Queries run in parallel; the result does not depend on the scheduling.
   */
  static int[][] groundTruth(float[][] base, float[][] queries, int k) {
    int kk = Math.min(k, base.length);
    int[][] out = new int[queries.length][];
    IntStream.range(0, queries.length).parallel()
        .forEach(q -> out[q] = nearest(base, queries[q], kk));
    return out;
  }

  private static int[] nearest(float[][] base, float[] q, int k) {
    double[] bestD = new double[k];
    int[] bestI = new int[k];
    int size = 0;
    for (int i = 0; i < base.length; i++) {
      double d = squareDistance(q, base[i]);
      // Ids arrive in increasing order, so an equal distance never displaces a kept item.
      if (size == k && d >= bestD[k - 1]) {
        continue;
      }
      int at = size == k ? k - 1 : size++;
      while (at > 0 && bestD[at - 1] > d) {
        bestD[at] = bestD[at - 1];
        bestI[at] = bestI[at - 1];
        at--;
      }
      bestD[at] = d;
      bestI[at] = i;
    }
    return bestI;
  }

  static double squareDistance(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("dimensions differ: " + a.length + " and " + b.length);
    }
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double t = (double) a[i] - b[i];
      s += t * t;
    }
    return s;
  }
}
