package dev.kiln.bench;

import dev.kiln.quantize.MetricStrategy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * IVF-Flat lists scored from memory, not cache: one 64-vector list (d = 784, Fashion-MNIST's)
 * per call, at a random place in 256 MB, which no cache holds. This is what a one-query scan
 * does: KernelBenchmark's {@code flatList64*} measure the same kernels in cache, where the
 * instructions per load decide; here the page size and the loads in flight decide too.
 * {@code source}: {@code mapped} (a file mapped read-only, as the loader maps shards: page-cache
 * pages of 4 KiB), {@code direct} (a direct buffer), {@code array} (a {@code float[]}, as a shard
 * read into the heap; on huge pages with {@code -jvmArgsAppend -XX:+UseTransparentHugePages},
 * as {@code scripts/kiln} runs). Run with {@code scripts/jmh.sh FlatMemoryBenchmark}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx2g"})
public class FlatMemoryBenchmark {
  @Param({"mapped", "direct", "array"})
  public String source;

  private static final int DIM = 784;
  private static final int LIST = 64;
  /** 256 MB of vectors: 1,336 lists of 64. */
  private static final int LISTS = (256 << 20) / (LIST * DIM * Float.BYTES);
  /** The order lists are visited in: random, fixed, long enough that no list repeats soon. */
  private static final int ORDER = 1 << 16;

  private ByteBuffer buffer;
  private float[] rows;
  private Path file;
  private final float[] query = new float[DIM];
  private final float[] out = new float[LIST];
  private final int[] order = new int[ORDER];
  private int next;

  @Setup(Level.Trial)
  public void setup() throws IOException {
    Random r = new Random(7);
    for (int i = 0; i < DIM; i++) {
      query[i] = r.nextFloat();
    }
    for (int i = 0; i < ORDER; i++) {
      order[i] = r.nextInt(LISTS);
    }
    int floats = LISTS * LIST * DIM;
    ByteBuffer filled = ByteBuffer.allocateDirect(floats * Float.BYTES)
        .order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < floats; i++) {
      filled.putFloat(i * Float.BYTES, (i % 251) * 0.01f);
    }
    switch (source) {
      case "mapped" -> {
        file = Files.createTempFile("kiln-flat-memory", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
          filled.clear();
          while (filled.hasRemaining()) {
            ch.write(filled);
          }
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
          buffer = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size())
              .order(ByteOrder.LITTLE_ENDIAN);
        }
      }
      case "direct" -> buffer = filled;
      case "array" -> {
        rows = new float[floats];
        filled.clear();
        filled.asFloatBuffer().get(rows);
      }
      default -> throw new IllegalArgumentException("source " + source);
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (file != null) {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** One list of 64 vectors at the next random place, scored by L2. */
  @Benchmark
  public float[] list64() {
    int list = order[next];
    next = (next + 1) & (ORDER - 1);
    if (rows != null) {
      MetricStrategy.L2.distances(query, rows, list * LIST * DIM, LIST, DIM, out);
    } else {
      MetricStrategy.L2.distances(query, buffer, list * LIST * DIM * Float.BYTES, LIST, DIM, out);
    }
    return out;
  }
}
