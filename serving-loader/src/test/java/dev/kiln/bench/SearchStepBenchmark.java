package dev.kiln.bench;

import dev.kiln.format.Metric;
import dev.kiln.quantize.CoarseProber;
import dev.kiln.quantize.CoarseQuantizer;
import dev.kiln.quantize.MetricStrategy;
import dev.kiln.quantize.Probe;
import dev.kiln.quantize.ProductQuantizer;
import dev.kiln.quantize.SubspaceProber;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The steps of a search as the loader runs them (kernels chosen at start-up), at the benchmark
 * sets' sizes: Fashion-MNIST (1,024 lists, d = 784) and synth-1m (4,096 lists, d = 128). The
 * coarse probe of one query ({@code each}) and of a block of 64 ({@code batch1}; divide by 64),
 * every centroid scored ({@link CoarseQuantizer}) or bounded in their subspace first
 * ({@link SubspaceProber}; the centroids and queries lie near 24 latent directions, as
 * synth-1m's and, nearly, Fashion-MNIST's do), the PQ16 query table, and an IVF-Flat list of 64
 * vectors. Run with
 * {@code scripts/jmh.sh SearchStepBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class SearchStepBenchmark {
  @Param({"1024:784", "4096:128"})
  public String shape;

  private static final int BLOCK = 64;
  private static final int NPROBE = 16;
  private CoarseQuantizer coarse;
  private CoarseProber bounded;
  private ProductQuantizer pq;
  private float[] queries;
  private float[] table;
  private ByteBuffer list;
  private float[] listOut;
  private Probe one;
  private Probe[] block;
  private int next;

  @Setup
  public void setup() {
    int nlist = Integer.parseInt(shape.split(":")[0]);
    int dim = Integer.parseInt(shape.split(":")[1]);
    Random r = new Random(1);
    float[] mixing = KernelBenchmark.random(r, dim * LATENT);
    coarse = new CoarseQuantizer(latent(r, nlist, dim, mixing), nlist, dim, Metric.L2);
    bounded = SubspaceProber.of(coarse);
    if (!(bounded instanceof SubspaceProber)) {
      throw new IllegalStateException("no subspace for " + shape);
    }
    pq = new ProductQuantizer(KernelBenchmark.random(r, ProductQuantizer.KSUB * dim), dim, 16);
    queries = latent(r, BLOCK, dim, mixing);
    table = new float[16 * ProductQuantizer.KSUB];
    list = ByteBuffer.allocateDirect(4 * 64 * dim).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 64 * dim; i++) {
      list.putFloat(4 * i, r.nextFloat() - 0.5f);
    }
    listOut = new float[64];
    one = new Probe();
    block = new Probe[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
      block[i] = new Probe();
    }
  }

  private static final int LATENT = 24;

  /** n rows of {@code mixing} (dim x LATENT) times Gaussian factors, plus a little noise. */
  private static float[] latent(Random r, int n, int dim, float[] mixing) {
    float[] out = new float[n * dim];
    float[] z = new float[LATENT];
    for (int i = 0; i < n; i++) {
      for (int f = 0; f < LATENT; f++) {
        z[f] = (float) r.nextGaussian();
      }
      for (int j = 0; j < dim; j++) {
        float v = 0.05f * (float) r.nextGaussian();
        for (int f = 0; f < LATENT; f++) {
          v += mixing[j * LATENT + f] * z[f];
        }
        out[i * dim + j] = v;
      }
    }
    return out;
  }

  /** One query's probe: every centroid scored, the 16 best selected. */
  @Benchmark
  public Probe probe() {
    next = (next + 1) % BLOCK;
    return coarse.probe(queries, next * coarse.dim(), NPROBE, 0, one);
  }

  /** The same probe, bounded in the centroids' subspace first: the same 16 lists. */
  @Benchmark
  public Probe probeBounded() {
    next = (next + 1) % BLOCK;
    return bounded.probe(queries, next * coarse.dim(), NPROBE, 0, one);
  }

  /** 64 queries probed together, as batch search does; divide by 64 for the time per query. */
  @Benchmark
  public Probe[] probeBlock64() {
    coarse.probeBlock(queries, BLOCK, NPROBE, 0, block);
    return block;
  }

  /** {@link #probeBlock64} bounded in the subspace first. */
  @Benchmark
  public Probe[] probeBlock64Bounded() {
    bounded.probeBlock(queries, BLOCK, NPROBE, 0, block);
    return block;
  }

  /** The PQ16 query table {@code <q_j, pq[j][c]>}. */
  @Benchmark
  public float[] innerProductTable() {
    pq.innerProductTable(queries, table);
    return table;
  }

  /** An IVF-Flat list of 64 float32 vectors scored by L2. */
  @Benchmark
  public float[] flatList64() {
    MetricStrategy.L2.distances(queries, list, 0, 64, coarse.dim(), listOut);
    return listOut;
  }
}
