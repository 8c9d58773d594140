package dev.kiln.job;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;
import org.apache.spark.SparkContext;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of the current build stage, from Spark's listener bus: Spark tasks done of those
 * started, rows read (input and shuffle records) and rows per second. Shown as a bar redrawn in
 * place on a terminal, or as a log line every {@link #LINE_INTERVAL_NANOS} otherwise (a nightly
 * job's log should not hold thousands of lines). Hand-written rather than a progress-bar
 * library: those bring a terminal library (jline) that would clash with Spark's own copy on
 * the spark-submit classpath.
 */
public final class BuildProgress extends SparkListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BuildProgress.class);

  /** How progress is shown. */
  public enum Mode {
    /** A bar on the terminal when there is one, log lines otherwise. */
    AUTO,
    BAR,
    LINES,
    NONE;

    Mode resolve() {
      return this != AUTO ? this : System.console() != null ? BAR : LINES;
    }
  }

  static final long LINE_INTERVAL_NANOS = 10_000_000_000L;
  private static final long BAR_INTERVAL_NANOS = 200_000_000L;
  private static final int BAR_WIDTH = 30;

  private final SparkContext sc;
  private final Mode mode;
  private final PrintStream out;
  private String stage;
  private long stageStart;
  private long lastShown;
  private int tasksTotal;
  private int tasksDone;
  private long rows;
  private boolean barShown;
  /** The stage's iterations (k-means) done and planned, 0 when it has none. */
  private int iterationsDone;
  private int iterationsPlanned;
  /** When the first and the latest iteration of the stage finished. */
  private long firstIterationAt;
  private long lastIterationAt;
  /** The percentage last shown in this stage: never shown lower (Spark adds tasks as it goes). */
  private int shownPct;
  /** The stream System.err was before a bar took it over; null unless in BAR mode. */
  private PrintStream replacedErr;

  private BuildProgress(SparkContext sc, Mode mode, PrintStream out) {
    this.sc = sc;
    this.mode = mode;
    this.out = out;
  }

  /** Starts listening on {@code sc}; {@link #close} stops. */
  public static BuildProgress attach(SparkContext sc, Mode mode) {
    return attach(sc, mode, System.err);
  }

  static BuildProgress attach(SparkContext sc, Mode mode, PrintStream out) {
    BuildProgress p = new BuildProgress(sc, mode.resolve(), out);
    if (p.mode != Mode.NONE) {
      sc.addSparkListener(p);
    }
    if (p.mode == Mode.BAR && out == System.err) {
      // Log lines go to stderr too (conf/log4j2.properties, follow = true): each clears the bar
      // first, so no line lands on the end of it; the next update draws it again below.
      p.replacedErr = System.err;
      System.setErr(p.clearingBefore(System.err));
    }
    return p;
  }

  /** A stream that clears the bar before anything else is written to the terminal. */
  PrintStream clearingBefore(PrintStream terminal) {
    return new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (BuildProgress.this) {
          clearBar();
          terminal.write(b, off, len);
        }
      }

      @Override
      public void flush() {
        terminal.flush();
      }
    }, true);
  }

  /** A new build stage begins: counts restart. */
  synchronized void stage(String name) {
    stage(name, 0);
  }

  /**
   * A new build stage of {@code iterations} iterations begins (0: none): its percentage is then
   * the iterations', from the start, so it never goes back when they begin after the stage's
   * first Spark jobs.
   */
  synchronized void stage(String name, int iterations) {
    clearBar();
    stage = name;
    stageStart = System.nanoTime();
    lastShown = stageStart;
    tasksTotal = 0;
    tasksDone = 0;
    rows = 0;
    shownPct = 0;
    iterationsDone = 0;
    iterationsPlanned = iterations;
  }

  /**
   * Iteration {@code done} of {@code of} of the stage has finished: the line shows it, with an
   * ETA from the iterations' pace once two have finished. Shown at once (the iterations of a
   * local-mode k-means run on the driver's threads, with no Spark tasks to report).
   */
  synchronized void iteration(int done, int of) {
    iteration(done, of, System.nanoTime());
  }

  synchronized void iteration(int done, int of, long now) {
    if (stage == null) {
      return;
    }
    if (iterationsDone == 0 || done <= 1) {
      firstIterationAt = now;
    }
    iterationsDone = done;
    iterationsPlanned = of;
    lastIterationAt = now;
    show(now);
  }

  /** Rows read by the current stage's Spark tasks so far. */
  synchronized long rows() {
    return rows;
  }

  /** For tests: a bar is on the terminal's current line. */
  synchronized void markBarShown() {
    barShown = true;
  }

  /** Clears the bar, so a log line does not land at its end. */
  synchronized void clearBar() {
    if (barShown) {
      out.print("\r\033[K");
      out.flush();
      barShown = false;
    }
  }

  @Override
  public synchronized void onStageSubmitted(SparkListenerStageSubmitted submitted) {
    // Submitted, not listed in a job: stages a job skips (cached shuffle output) never run.
    tasksTotal += submitted.stageInfo().numTasks();
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd task) {
    if (stage == null) {
      return;
    }
    tasksDone++;
    TaskMetrics m = task.taskMetrics();
    if (m != null) {
      // Input rows only: a shuffle's records are the same rows read again.
      rows += m.inputMetrics().recordsRead();
    }
    show(System.nanoTime());
  }

  /** Draws the bar or logs the line, at most once an interval. */
  private void show(long now) {
    if (mode == Mode.BAR && now - lastShown >= BAR_INTERVAL_NANOS) {
      lastShown = now;
      out.print("\r\033[K" + line(now, true));
      out.flush();
      barShown = true;
    } else if (mode == Mode.LINES && now - lastShown >= LINE_INTERVAL_NANOS) {
      lastShown = now;
      LOG.info(line(now, false));
    }
  }

  /**
   * "read [=====>     ] 45% (12/27 tasks), 1,234,567 records read, 400,000/s": input records only
   * while the stage reads input. The percentage never goes back within a stage.
   */
  String line(long now, boolean bar) {
    int total = Math.max(tasksTotal, tasksDone);
    int pct = Math.max(shownPct, iterationsPlanned > 0
        ? (int) (100L * iterationsDone / iterationsPlanned)
        : total == 0 ? 0 : (int) (100L * tasksDone / total));
    shownPct = pct;
    double secs = Math.max(1e-9, (now - stageStart) / 1e9);
    StringBuilder b = new StringBuilder(stage).append(' ');
    if (bar) {
      int filled = pct * BAR_WIDTH / 100;
      b.append('[').append("=".repeat(filled)).append(filled < BAR_WIDTH ? ">" : "")
          .append(" ".repeat(Math.max(0, BAR_WIDTH - filled - 1))).append("] ");
    }
    if (iterationsPlanned > 0) {
      b.append(String.format(Locale.ROOT, "%d%% (iteration %d/%d", pct, iterationsDone,
          iterationsPlanned));
      if (iterationsDone >= 2 && iterationsDone < iterationsPlanned) {
        // The pace of the iterations so far; k-means' bounds make the later ones faster, so
        // this errs long.
        double each = (lastIterationAt - firstIterationAt) / 1e9 / (iterationsDone - 1);
        long eta = Math.round(each * (iterationsPlanned - iterationsDone));
        b.append(String.format(Locale.ROOT, ", ETA %d:%02d", eta / 60, eta % 60));
      }
      b.append(')');
    } else {
      b.append(String.format(Locale.ROOT, "%d%% (%d/%d tasks)", pct, tasksDone, total));
    }
    if (rows > 0) {
      b.append(String.format(Locale.ROOT, ", %,d records read, %,.0f/s", rows, rows / secs));
    }
    return b.toString();
  }

  @Override
  public synchronized void close() {
    clearBar();
    stage = null;
    if (replacedErr != null) {
      System.setErr(replacedErr);
      replacedErr = null;
    }
    if (mode != Mode.NONE) {
      sc.removeSparkListener(this);
    }
  }
}
