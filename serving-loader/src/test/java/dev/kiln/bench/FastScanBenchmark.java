package dev.kiln.bench;

import dev.kiln.format.FastScanLayout;
import dev.kiln.vector.VectorKernels;
import dev.kiln.vector.VectorizationProvider;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Nanoseconds per code of a list scan: 4-bit fast-scan blocks ({@link VectorKernels#fastScan},
 * every block kept, the worst case) against 8-bit PQ codes of the same M
 * ({@link VectorKernels#pqDistances}), scalar and Vector API, over one list of {@value #N}
 * items (in L2, as a probed list is after its first read). Run with
 * {@code scripts/jmh.sh FastScanBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class FastScanBenchmark {
  static final int N = 1024;

  @Param({"scalar", "panama"})
  public String impl;

  @Param({"16", "32", "56"})
  public int m;

  private VectorKernels k;
  private ByteBuffer blocks;
  private ByteBuffer codes8;
  private byte[] lut;
  private float[] table4;
  private float[] table8;
  private float[] mins;
  private float[] out;

  @Setup
  public void setup() {
    k = "scalar".equals(impl) ? VectorizationProvider.scalar() : VectorizationProvider.panama();
    if (k == null) {
      throw new IllegalStateException("Vector API not available: run with --add-modules");
    }
    Random r = new Random(1);
    byte[] nibbles = new byte[N * m];
    for (int i = 0; i < nibbles.length; i++) {
      nibbles[i] = (byte) r.nextInt(16);
    }
    byte[] packed = new byte[(int) FastScanLayout.codesBytes(N, m)];
    FastScanLayout.pack(nibbles, N, m, packed);
    blocks = ByteBuffer.allocateDirect(packed.length).order(ByteOrder.LITTLE_ENDIAN);
    blocks.put(packed).clear();
    codes8 = ByteBuffer.allocateDirect(N * m).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < N * m; i++) {
      codes8.put(i, (byte) r.nextInt(256));
    }
    table4 = new float[16 * m + 48];
    for (int i = 0; i < 16 * m; i++) {
      table4[i] = r.nextFloat();
    }
    table8 = new float[256 * m];
    for (int i = 0; i < table8.length; i++) {
      table8[i] = r.nextFloat();
    }
    lut = new byte[16 * m + 16];
    mins = new float[1 + m + 16];
    k.quantizeTables(table4, m, lut, mins);
    out = new float[N];
  }

  /** 4-bit codes, 32 items a block, byte tables: per code. */
  @Benchmark
  @OperationsPerInvocation(N)
  public float[] fastScan() {
    k.fastScan(blocks, 0, N / FastScanLayout.BLOCK, m / 2, lut, Short.MAX_VALUE, 0f, 1f, out);
    return out;
  }

  /** 8-bit codes, one float table lookup per sub-space: per code. */
  @Benchmark
  @OperationsPerInvocation(N)
  public float[] pq8Scan() {
    k.pqDistances(codes8, 0, N, m, table8, 0f, out);
    return out;
  }

  /** A probed list's byte tables from its float table, per list (not per code). */
  @Benchmark
  public float quantizeTables() {
    return k.quantizeTables(table4, m, lut, mins);
  }
}
