package dev.kiln.bench;

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
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot kernels, scalar against Vector API, at the sizes the benchmarks use (d = 128 and 784;
 * PQ16 codes). Run with {@code scripts/jmh.sh} (which passes the Vector API module flag).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class KernelBenchmark {
  @Param({"scalar", "panama"})
  public String impl;

  @Param({"128", "784"})
  public int dim;

  private VectorKernels k;
  private float[] a;
  private float[] b;
  private ByteBuffer codes;
  private float[] table;
  private float[] out;
  private float[] query;
  /** Three more queries, and four lists' worth of output, for the four-query list scan. */
  private float[] query1;
  private float[] query2;
  private float[] query3;
  private float[][] out4x64;
  /** One SQ8-coded vector of dim bytes and a float32 copy, as refine files store them. */
  private ByteBuffer sq8Codes;
  private ByteBuffer floats;
  /** A panel of 64 centroids ({@link VectorKernels#dots4x64}'s layout) and sums for 4 x 64. */
  private float[] tiles;
  private float[] out64;
  /** An IVF-Flat list of 64 float32 vectors, stored as shard files store them, and on the heap. */
  private ByteBuffer list64;
  private ByteBuffer list64HeapBuffer;
  private float[] list64Heap;
  /** 16,384 centroid rows and row offsets in a random order, for the scattered dots. */
  private float[] centroids;
  private int[] scattered;
  private int scatteredAt;

  @Setup
  public void setup() {
    k = "scalar".equals(impl) ? VectorizationProvider.scalar() : VectorizationProvider.panama();
    if (k == null) {
      throw new IllegalStateException("Vector API not available: run with --add-modules");
    }
    Random r = new Random(1);
    a = random(r, 4 * dim);
    b = random(r, dim);
    codes = ByteBuffer.allocateDirect(64 * 16).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 64 * 16; i++) {
      codes.put(i, (byte) r.nextInt(256));
    }
    table = random(r, 16 * 256);
    out = new float[64];
    tiles = random(r, VectorKernels.PANEL * dim);
    out64 = new float[4 * VectorKernels.PANEL];
    query = random(r, dim);
    query1 = random(r, dim);
    query2 = random(r, dim);
    query3 = random(r, dim);
    out4x64 = new float[4][64];
    list64Heap = random(r, 64 * dim);
    centroids = random(r, 16_384 * dim);
    scattered = new int[16_384];
    for (int i = 0; i < scattered.length; i++) {
      int j = r.nextInt(i + 1);
      scattered[i] = scattered[j];
      scattered[j] = i * dim;
    }
    list64 = ByteBuffer.allocateDirect(4 * 64 * dim).order(ByteOrder.LITTLE_ENDIAN);
    list64.asFloatBuffer().put(list64Heap);
    list64HeapBuffer = ByteBuffer.allocate(4 * 64 * dim).order(ByteOrder.LITTLE_ENDIAN);
    list64HeapBuffer.asFloatBuffer().put(list64Heap);
    sq8Codes = ByteBuffer.allocateDirect(dim).order(ByteOrder.LITTLE_ENDIAN);
    floats = ByteBuffer.allocateDirect(4 * dim).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < dim; i++) {
      sq8Codes.put(i, (byte) r.nextInt(256));
      floats.putFloat(4 * i, b[i]);
    }
  }

  static float[] random(Random r, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = r.nextFloat() - 0.5f;
    }
    return v;
  }

  /**
   * Centroid rows as the HNSW walk meets them: four rows at scattered places of a 16,384-row
   * matrix (64 MiB at d = 784, past the caches), the next four each call; 4 x dot against dot4.
   */
  @Benchmark
  public void scatteredFourDots() {
    int at = nextScattered();
    for (int r = 0; r < 4; r++) {
      out[r] = k.dot(b, 0, centroids, scattered[at + r], dim);
    }
  }

  @Benchmark
  public void scatteredDot4() {
    int at = nextScattered();
    k.dot4(b, 0, centroids, scattered[at], scattered[at + 1], scattered[at + 2],
        scattered[at + 3], dim, out, 0);
  }

  private int nextScattered() {
    int at = scatteredAt;
    scatteredAt = (at + 4) % scattered.length;
    return at;
  }

  @Benchmark
  public float dot() {
    return k.dot(a, 0, b, 0, dim);
  }

  @Benchmark
  public float squareDistance() {
    return k.squareDistance(a, 0, b, 0, dim);
  }

  /** Refine (RFlat): the exact distance to a stored float32 vector. */
  @Benchmark
  public float refineFlatSquareDistance() {
    return k.squareDistance(query, floats, 0, dim);
  }

  /** Refine (SQ8): the distance to a stored 8-bit vector, a quarter of RFlat's bytes. */
  @Benchmark
  public float refineSq8SquareDistance() {
    return k.sq8SquareDistance(query, b, sq8Codes, 0, dim);
  }

  /** 64 PQ16 codes against one table: a short inverted list. */
  @Benchmark
  public float[] pqDistances64() {
    k.pqDistances(codes, 0, 64, 16, table, 0f, out);
    return out;
  }

  /** The coarse step's kernel: one query against 64 transposed centroids (also PQ tables). */
  @Benchmark
  public float[] dots1x64() {
    k.dots1x64(query, 0, tiles, 0, dim, out64, 0);
    return out64;
  }

  /**
   * k-means assignment's arg-min over one panel's 64 scores, against a bound the panel does not
   * beat (the common case once a point's best list is found).
   */
  @Benchmark
  public int argMin64() {
    return k.argMin64(tiles, 0, out64, 0, -1f);
  }

  /** The probe's selection: which of a panel's 64 scores are at most the heap's threshold. */
  @Benchmark
  public long atMost64() {
    return k.atMost64(tiles, 0, out64, 0, -1f);
  }

  /** The GEMM micro-kernel of batch probes, k-means and encoding: 4 points x 64 centroids. */
  @Benchmark
  public float[] dots4x64() {
    k.dots4x64(a, 0, dim, 2 * dim, 3 * dim, tiles, 0, dim, out64);
    return out64;
  }

  /** An IVF-Flat list scan: one query against 64 stored float32 vectors (in cache). */
  @Benchmark
  public float[] flatList64() {
    k.squareDistances(query, list64, 0, 64, dim, out64);
    return out64;
  }

  /** Four queries' IVF-Flat scans of the same 64 vectors, one at a time (batch search before). */
  @Benchmark
  public float[][] flatList64FourQueriesInTurn() {
    k.squareDistances(query, list64, 0, 64, dim, out4x64[0]);
    k.squareDistances(query1, list64, 0, 64, dim, out4x64[1]);
    k.squareDistances(query2, list64, 0, 64, dim, out4x64[2]);
    k.squareDistances(query3, list64, 0, 64, dim, out4x64[3]);
    return out4x64;
  }

  /** The same four scans in one pass, each vector read once for the four (batch search now). */
  @Benchmark
  public float[][] flatList64FourQueries() {
    k.squareDistances(query, query1, query2, query3, list64, 0, 64, dim, out4x64[0],
        out4x64[1], out4x64[2], out4x64[3]);
    return out4x64;
  }

  /**
   * The same 64 vectors from a heap ByteBuffer ({@code --in-heap}): on JDK 17 as slow as a
   * direct one in cache, since each fromByteBuffer re-reads the buffer's fields.
   */
  @Benchmark
  public float[] flatList64HeapBuffer() {
    k.squareDistances(query, list64HeapBuffer, 0, 64, dim, out64);
    return out64;
  }

  /** The same 64 vectors as an in-heap IVF-Flat shard holds them: the list kernel on an array. */
  @Benchmark
  public float[] flatList64Array() {
    k.squareDistances(query, list64Heap, 0, 64, dim, out64);
    return out64;
  }

  /** The same 64 vectors from a heap array: what reading a mapped buffer costs over an array. */
  @Benchmark
  public float[] flatList64Heap() {
    for (int i = 0; i < 64; i++) {
      out64[i] = k.squareDistance(query, 0, list64Heap, i * dim, dim);
    }
    return out64;
  }
}
