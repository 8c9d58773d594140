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
      // Rows read by tasks: 5000 from Parquet, then 5000 through the shuffle.
      long n = spark.read().parquet(parquet).javaRDD().repartition(3).count();
      assertEquals(5000, n);
      // The listener bus is asynchronous: wait for it to deliver this job's events.
      spark.sparkContext().listenerBus().waitUntilEmpty();
      assertEquals(5000 + 5000, p.rows());
      String line = p.line(System.nanoTime(), true);
      assertTrue(line.matches("read \\[=+\\] 100% \\((\\d+)/\\1 tasks\\), 10,000 rows, [\\d,]+ rows/s"),
          line);
      p.stage("encode");
      assertEquals(0, p.rows());
      assertTrue(p.line(System.nanoTime(), false).startsWith("encode 0% (0/0 tasks), 0 rows"));
    }
  }
}
