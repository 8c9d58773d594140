package dev.kiln.format.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.fuzz.FuzzTarget.Seed;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Runs a seeded mutation loop over one {@link FuzzTarget}: each input is a seed file damaged by
 * the target's {@link Mutator}, drawn from a random source seeded from the run's base seed and
 * the input's number, so any input is reproduced from its seed alone. An input passes if it
 * reads (the target's own assertions hold) or fails with the documented exception; anything
 * else fails the run, as does an input that runs longer than the hang limit or allocates more
 * than {@value #ALLOCATION_BASELINES} times what reading the largest valid seed allocates, plus
 * {@value #ALLOCATION_FACTOR} times its size, plus {@value #ALLOCATION_SLACK_MIB} MiB: the mark
 * of a length taken from the file and trusted (an OutOfMemoryError fails it too). Failures are
 * grouped by kind; the first input of each kind is saved under {@code target/fuzz-failures/} (or
 * {@code kiln.fuzz.failures}) and reported with its replay seed.
 *
 * <p>System properties:
 *
 * <ul>
 *   <li>{@code kiln.fuzz.iterations=N}: N inputs per reader instead of the CI count;
 *   <li>{@code kiln.fuzz.seconds=S}: keep going for S seconds per reader (at least the CI
 *       count);
 *   <li>{@code kiln.fuzz.seed=B}: the base seed ({@code random} for a fresh one; the default is
 *       fixed, so CI runs the same inputs every time);
 *   <li>{@code kiln.fuzz.replay=NAME:SEED}: run only that one input of reader NAME, printing its
 *       mutations and throwing its exception as is;
 *   <li>{@code kiln.fuzz.hang-seconds=S}: the per-input hang limit (default 10).
 * </ul>
 */
public final class Fuzzer {
  public static final long DEFAULT_SEED = 0x4B494C4EL; // "KILN"
  static final int ALLOCATION_BASELINES = 4;
  static final int ALLOCATION_FACTOR = 64;
  static final int ALLOCATION_SLACK_MIB = 4;
  private static final int MAX_FAILURE_KINDS = 10;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private Fuzzer() {}

  /** What a run did. */
  public record Report(String target, long inputs, long read, long rejected, int rejectionKinds,
      int seeds, double seconds, double cpuSeconds, long baseSeed) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "fuzz %s: %d inputs from %d seeds: %d read, %d rejected as documented (%d distinct"
              + " messages), %.1f s (%.1f s CPU); base seed %d", target, inputs, seeds, read,
          rejected, rejectionKinds, seconds, cpuSeconds, baseSeed);
    }
  }

  /**
   * Fuzzes {@code t}, prints a one-line report and returns it.
   *
   * @throws AssertionError naming every kind of failure found, with the seed that replays it
   */
  public static Report run(FuzzTarget t) {
    String replay = System.getProperty("kiln.fuzz.replay");
    if (replay != null && !replay.isBlank()) {
      return replay(t, replay);
    }
    long base = baseSeed();
    // Each seed must read; the second pass (classes loaded, caches warm) measures what reading
    // a valid file allocates, the yardstick for the damaged ones.
    long baseline = 0;
    for (int pass = 0; pass < 2; pass++) {
      for (Seed s : t.seeds()) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        try {
          t.read().run(s, s.bytes().clone(), new Random(0));
        } catch (Throwable e) {
          throw new AssertionError(
              "fuzz " + t.name() + ": seed '" + s.label() + "' does not read", e);
        }
        baseline = Math.max(baseline, THREADS.getCurrentThreadAllocatedBytes() - before);
      }
    }
    long iterations = Long.getLong("kiln.fuzz.iterations", t.ciInputs());
    double seconds = Double.parseDouble(System.getProperty("kiln.fuzz.seconds", "0"));
    double hangSeconds = Double.parseDouble(System.getProperty("kiln.fuzz.hang-seconds", "10"));

    Loop loop = new Loop(t, base, iterations, seconds, baseline);
    Thread worker = new Thread(loop, "fuzz-" + t.name());
    worker.setDaemon(true);
    worker.start();
    try {
      while (worker.isAlive()) {
        worker.join(200);
        long started = loop.inputStarted;
        if (worker.isAlive() && started != 0
            && System.nanoTime() - started > (long) (hangSeconds * 1e9)) {
          StackTraceElement[] stack = worker.getStackTrace();
          worker.interrupt();
          AssertionError e = new AssertionError(String.format(Locale.ROOT,
              "fuzz %s: input %d has run for more than %.0f s (a hang?); replay with"
                  + " -Dkiln.fuzz.replay=%s:%s (base seed %d)", t.name(), loop.inputNumber,
              hangSeconds, t.name(), hex(loop.inputSeed), base));
          e.setStackTrace(stack);
          throw e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
    Report report = new Report(t.name(), loop.inputs, loop.read, loop.rejected,
        loop.kinds.size(), t.seeds().size(), (System.nanoTime() - loop.t0) / 1e9,
        loop.cpuNanos / 1e9, base);
    System.out.println(report);
    if (!loop.failures.isEmpty()) {
      throw loop.failure(report);
    }
    assertTrue(report.inputs() >= iterations,
        () -> report + ": fewer inputs than the " + iterations + " asked for");
    assertTrue(report.read() > 0 && report.rejected() > 0 && report.rejectionKinds() > 1,
        () -> report + ": a useful fuzz run both reads inputs and rejects them in several ways");
    return report;
  }

  private static long baseSeed() {
    String s = System.getProperty("kiln.fuzz.seed", "");
    if (s.isBlank()) {
      return DEFAULT_SEED;
    }
    if (s.equals("random")) {
      return System.nanoTime() ^ System.currentTimeMillis() << 20;
    }
    return Long.decode(s);
  }

  /** The seed of input {@code i}: independent of every other input's. */
  static long inputSeed(long base, String target, long i) {
    return mix(base ^ mix(target.hashCode()) + 0x9E3779B97F4A7C15L * (i + 1));
  }

  private static long mix(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  private static String hex(long seed) {
    return "0x" + Long.toHexString(seed);
  }

  /** One input, made from its seed: the same bytes and choices on every run. */
  private record Input(long seed, Seed from, byte[] bytes, List<String> mutations, Random r) {
    static Input of(FuzzTarget t, long seed) {
      Random r = new Random(seed);
      Seed from = t.seeds().get(r.nextInt(t.seeds().size()));
      List<String> log = new ArrayList<>();
      byte[] bytes = t.mutator().mutate(from.bytes(), r, log);
      return new Input(seed, from, bytes, log, r);
    }

    String describe() {
      return "'" + from.label() + "' with " + String.join("; ", mutations) + " (" + bytes.length
          + " bytes)";
    }
  }

  private static Report replay(FuzzTarget t, String spec) {
    int colon = spec.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("kiln.fuzz.replay is NAME:SEED, got " + spec);
    }
    if (!spec.substring(0, colon).equals(t.name())) {
      System.out.println("fuzz " + t.name() + ": skipped (replaying " + spec + ")");
      return new Report(t.name(), 0, 0, 0, 0, t.seeds().size(), 0, 0, 0);
    }
    Input in = Input.of(t, Long.decode(spec.substring(colon + 1)));
    System.out.println("fuzz " + t.name() + ": replaying " + spec + ": " + in.describe());
    try {
      t.read().run(in.from(), in.bytes(), in.r());
      System.out.println("fuzz " + t.name() + ": read");
    } catch (Throwable e) {
      if (!t.rejected().documented(in.from(), e)) {
        if (e instanceof RuntimeException re) {
          throw re;
        }
        if (e instanceof Error er) {
          throw er;
        }
        throw new AssertionError("undocumented failure: " + e, e);
      }
      System.out.println("fuzz " + t.name() + ": rejected as documented: " + e);
    }
    return new Report(t.name(), 1, 0, 0, 0, t.seeds().size(), 0, 0, 0);
  }

  /** The loop, on its own thread so that a hang can be reported. */
  private static final class Loop implements Runnable {
    final FuzzTarget t;
    final long base;
    final long iterations;
    final long deadline;
    final long baseline;
    final long t0 = System.nanoTime();
    volatile long inputStarted;
    volatile long inputNumber;
    volatile long inputSeed;
    volatile long cpuNanos;
    long inputs;
    long read;
    long rejected;
    final Set<String> kinds = new HashSet<>();
    /** First input of each kind of failure, and how many inputs failed that way. */
    final Map<String, Failure> failures = new LinkedHashMap<>();

    Loop(FuzzTarget t, long base, long iterations, double seconds, long baseline) {
      this.t = t;
      this.baseline = baseline;
      this.base = base;
      this.iterations = iterations;
      this.deadline = seconds > 0 ? t0 + (long) (seconds * 1e9) : 0;
    }

    @Override
    public void run() {
      try {
        loop();
      } finally {
        cpuNanos = THREADS.getCurrentThreadCpuTime();
      }
    }

    private void loop() {
      for (long i = 0; i < iterations || (deadline != 0 && System.nanoTime() < deadline); i++) {
        if (failures.size() >= MAX_FAILURE_KINDS || Thread.currentThread().isInterrupted()) {
          return;
        }
        long seed = inputSeed(base, t.name(), i);
        inputSeed = seed;
        inputNumber = i;
        Input in = Input.of(t, seed);
        inputStarted = System.nanoTime();
        long allocated = THREADS.getCurrentThreadAllocatedBytes();
        Throwable thrown = null;
        try {
          t.read().run(in.from(), in.bytes(), in.r());
        } catch (Throwable e) {
          thrown = e;
        }
        allocated = THREADS.getCurrentThreadAllocatedBytes() - allocated;
        inputStarted = 0;
        inputs++;
        if (thrown == null) {
          read++;
        } else if (t.rejected().documented(in.from(), thrown)) {
          rejected++;
          kinds.add(normalize(thrown.getMessage()));
        } else {
          fail(kind(thrown), i, in, thrown);
        }
        long limit = ALLOCATION_BASELINES * baseline
            + (long) ALLOCATION_FACTOR * Math.max(in.bytes().length, in.from().bytes().length)
            + ((long) ALLOCATION_SLACK_MIB << 20);
        if (allocated > limit) {
          fail("allocation out of proportion", i, in, new AssertionError(
              "allocated " + allocated + " bytes reading " + in.bytes().length + " bytes"));
        }
      }
    }

    private void fail(String kind, long i, Input in, Throwable e) {
      Failure f = failures.get(kind);
      if (f == null) {
        failures.put(kind, new Failure(kind, i, in, e, save(in)));
      } else {
        f.count++;
      }
    }

    private String save(Input in) {
      Path dir = Path.of(System.getProperty("kiln.fuzz.failures", "target/fuzz-failures"));
      Path file = dir.resolve(t.name() + "-" + Long.toHexString(in.seed()) + ".bin");
      try {
        Files.createDirectories(dir);
        Files.write(file, in.bytes());
        return file.toString();
      } catch (IOException e) {
        return "(not saved: " + e + ")";
      }
    }

    AssertionError failure(Report report) {
      StringBuilder sb = new StringBuilder();
      sb.append(report).append("\n").append(failures.size()).append(" kind(s) of failure:");
      for (Failure f : failures.values()) {
        sb.append("\n  ").append(printable(f.kind)).append(": ").append(f.count)
            .append(" input(s), first #").append(f.number).append(": ")
            .append(printable(f.input.describe()))
            .append("\n    ").append(printable(firstLine(f.error)))
            .append("\n    replay: -Dkiln.fuzz.replay=").append(t.name()).append(':')
            .append(hex(f.input.seed())).append("  (saved as ").append(f.saved).append(')');
      }
      AssertionError e = new AssertionError(sb.toString(), failures.values().iterator().next().error);
      for (Failure f : failures.values()) {
        System.err.println("fuzz " + t.name() + ": " + f.kind + ":\n" + stackTrace(f.error));
      }
      return e;
    }
  }

  private static final class Failure {
    final String kind;
    final long number;
    final Input input;
    final Throwable error;
    final String saved;
    int count = 1;

    Failure(String kind, long number, Input input, Throwable error, String saved) {
      this.kind = kind;
      this.number = number;
      this.input = input;
      this.error = error;
      this.saved = saved;
    }
  }

  /** The exception's class and where in Kiln it was thrown; assertion failures by message. */
  private static String kind(Throwable e) {
    if (e instanceof AssertionError) {
      return "AssertionError: " + normalize(e.getMessage());
    }
    String where = "";
    for (StackTraceElement f : e.getStackTrace()) {
      if (f.getClassName().startsWith("dev.kiln.") && !f.getClassName().contains(".fuzz.")) {
        where = " at " + f;
        break;
      }
    }
    return e.getClass().getName() + where;
  }

  /** A message with its file name and numbers taken out, to count kinds of rejection. */
  static String normalize(String message) {
    if (message == null) {
      return "(no message)";
    }
    int colon = message.indexOf(": ");
    String m = colon >= 0 ? message.substring(colon + 2) : message;
    return m.replaceAll("[0-9a-f]{8}", "#").replaceAll("-?\\d+", "#").replaceAll("'[^']*'", "'?'");
  }

  /** ASCII only, at most 300 characters: damaged input makes for messages a console garbles. */
  private static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 300; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return s.length() > 300 ? sb + "..." : sb.toString();
  }

  private static String firstLine(Throwable e) {
    String s = e.toString();
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static String stackTrace(Throwable e) {
    StringWriter w = new StringWriter();
    e.printStackTrace(new PrintWriter(w));
    return w.toString();
  }
}
