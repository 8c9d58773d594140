package dev.kiln.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Progress counts the Spark tasks and rows of the current stage, and draws a bar. */
@ExtendWith(SparkExtension.class)
class BuildProgressTest {
  @Test
  void countsTasksAndRowsAndDrawsABar(SparkSession spark, @TempDir Path dir) throws Exception {
    String parquet = KilnTestData.writeVectors(spark, dir.resolve("v"), KilnTestData.longIds(5000),
        KilnTestData.gaussian(new Random(1), 5000, 4, 1));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (BuildProgress p = BuildProgress.attach(spark.sparkContext(), BuildProgress.Mode.BAR, out)) {
      p.stage("read");
      // Input rows: the 5000 read from Parquet, not again as the shuffle's records.
      long n = spark.read().parquet(parquet).javaRDD().repartition(3).count();
      assertEquals(5000, n);
      // The listener bus is asynchronous: wait for it to deliver this job's events.
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(5000, p.rows());
      String line = p.line(System.nanoTime(), true);
      assertTrue(line.matches(
          "read \\[=+\\] 100% \\((\\d+)/\\1 tasks\\), 5,000 records read, [\\d,]+/s"), line);
      // A job that adds tasks lowers the done fraction, not the percentage shown.
      spark.read().parquet(parquet).javaRDD().repartition(7).filter(r -> false).count();
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertTrue(p.line(System.nanoTime(), false).startsWith("read 100% "));
      p.stage("encode");
      assertEquals(0, p.rows());
      assertEquals("encode 0% (0/0 tasks)", p.line(System.nanoTime(), false));
    }
  }

  /** Once the build knows its stages, each is shown as "stage i of n: name". */
  @Test
  void stagesAreNumberedOnceThePlanIsKnown(SparkSession spark) {
    try (BuildProgress p = BuildProgress.attach(spark.sparkContext(), BuildProgress.Mode.LINES,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))) {
      StageTimer t = new StageTimer(p);
      t.start("read");
      assertTrue(p.line(System.nanoTime(), false).startsWith("read 0% "));
      t.plan(java.util.List.of("read", "train.coarse", "encode", "publish"));
      t.start("encode");
      assertTrue(p.line(System.nanoTime(), false).startsWith("stage 3 of 4: encode 0% "),
          p.line(System.nanoTime(), false));
      t.end();
    }
  }

  /**
   * A stage of iterations (k-means) shows "iteration i/n", its percentage is the iterations'
   * from the start (never back down when they begin after the stage's first jobs), and an ETA
   * from their pace once two have finished; the iteration redraws the bar itself (local-mode
   * k-means has no Spark tasks to report).
   */
  @Test
  void iterationsShowTheirCountAndAnEta(SparkSession spark) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (BuildProgress p = BuildProgress.attach(spark.sparkContext(), BuildProgress.Mode.BAR,
        terminal)) {
      StageTimer t = new StageTimer(p);
      t.plan(java.util.List.of("read", "train.coarse", "encode"));
      t.start("train.coarse", 25);
      long t0 = System.nanoTime();
      assertEquals("stage 2 of 3: train.coarse 0% (iteration 0/25)", p.line(t0, false));
      p.iteration(1, 25, t0 + 5_000_000_000L);
      assertEquals("stage 2 of 3: train.coarse 4% (iteration 1/25)", p.line(t0, false));
      p.iteration(5, 25, t0 + 13_000_000_000L); // 2 s an iteration since the first: 40 s left
      assertEquals("stage 2 of 3: train.coarse 20% (iteration 5/25, ETA 0:40)",
          p.line(t0, false));
      assertTrue(bytes.toString(StandardCharsets.UTF_8).contains("(iteration 1/25)"),
          "an iteration draws the bar: " + bytes);
      p.iteration(25, 25, t0 + 60_000_000_000L);
      assertEquals("stage 2 of 3: train.coarse 100% (iteration 25/25)", p.line(t0, false));
      t.start("encode");
      assertEquals("stage 3 of 3: encode 0% (0/0 tasks)", p.line(System.nanoTime(), false));
    }
  }

  /** A log line never lands on the end of the bar: the bar is cleared before it. */
  @Test
  void aLogLineClearsTheBarFirst(SparkSession spark) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream terminal = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    try (BuildProgress p = BuildProgress.attach(spark.sparkContext(), BuildProgress.Mode.BAR,
        terminal)) {
      p.stage("train.coarse");
      PrintStream log = p.clearingBefore(terminal);
      terminal.print("train.coarse [===>   ] 40% (4/10 tasks)"); // a bar on the line
      p.markBarShown();
      log.println("05:00:00 INFO  DistributedKMeans: k-means iteration 5/25");
      log.println("second line");
    }
    String shown = bytes.toString(StandardCharsets.UTF_8);
    assertEquals("train.coarse [===>   ] 40% (4/10 tasks)\r\033[K"
        + "05:00:00 INFO  DistributedKMeans: k-means iteration 5/25\nsecond line\n", shown);
  }
}
