package dev.kiln.bench;

import dev.kiln.quantize.CentroidSubspace;
import dev.kiln.quantize.SubspaceLifter;
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
 * Lifting into a {@link CentroidSubspace} (the coarse step's query and the IVF-Flat bounds'):
 * one vector with {@code dot4} per four basis rows ({@link CentroidSubspace#lift}) against one
 * tile kernel call per 64 rows ({@link SubspaceLifter#liftOne}), and four vectors per tile call
 * ({@link SubspaceLifter#lift}, how open lifts items; divide by 4). Fashion-MNIST's d = 784 at
 * the coarse step's rank 32 and the bounds' 64. Run with {@code scripts/jmh.sh LiftBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class LiftBenchmark {
  @Param({"32", "64"})
  public int rank;

  private static final int DIM = 784;
  private CentroidSubspace subspace;
  private SubspaceLifter lifter;
  private float[] query;
  private float[] out;
  private float[] scratch;

  @Setup
  public void setup() {
    Random rnd = new Random(1);
    int nlist = 256;
    float[] centroids = new float[nlist * DIM];
    for (int i = 0; i < centroids.length; i++) {
      centroids[i] = (float) rnd.nextGaussian();
    }
    subspace = CentroidSubspace.ofRank(centroids, nlist, DIM, rank);
    lifter = new SubspaceLifter(subspace);
    query = new float[DIM];
    for (int i = 0; i < DIM; i++) {
      query[i] = (float) rnd.nextGaussian();
    }
    for (int i = 0; i < 4 * DIM; i++) {
      lifter.rows()[i] = (float) rnd.nextGaussian();
    }
    out = new float[4 * subspace.width()];
    scratch = new float[lifter.scratchLength()];
  }

  @Benchmark
  public float liftDot4() {
    return subspace.lift(query, 0, out, 0);
  }

  @Benchmark
  public float liftOneTile() {
    return lifter.liftOne(query, 0, out, 0, scratch, 0);
  }

  @Benchmark
  public float liftFourTile() {
    return lifter.lift(4, out, 0);
  }
}
