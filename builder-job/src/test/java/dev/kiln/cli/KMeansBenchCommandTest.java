package dev.kiln.cli;

import static dev.kiln.testing.KilnTestData.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.nio.file.Path;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Kiln's k-means and MLlib's, from the same seeds for the same iterations, end up alike. */
@ExtendWith(SparkExtension.class)
class KMeansBenchCommandTest {
  @Test
  void bothRunAndReachTheSameInertia(SparkSession spark, @TempDir Path dir) {
    KilnTestData.Blobs blobs = KilnTestData.blobs(new Random(3), 12, 150, 10, 4, 1);
    String input = KilnTestData.writeVectors(spark, dir.resolve("in"),
        KilnTestData.longIds(blobs.points().length), blobs.points());
    CliRun run = cli("kmeans-bench", "--input", input, "--k", "12", "--iterations", "6",
        "--train-points-per-list", "100");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("sample_rows=") && run.out().contains("k=12 iterations=6"), run.out());
    double kiln = value(run.out(), "kiln_inertia");
    double mllib = value(run.out(), "mllib_inertia");
    assertTrue(kiln > 0 && mllib > 0, run.out());
    // Lloyd from the same seeds on the same points: the same local optimum, up to float sums.
    assertEquals(1.0, kiln / mllib, 0.01, run.out());
    // ... and a trained one: far below the data's spread around its mean (blob centres are
    // N(0, 16) per coordinate: about 160 per point in 10 dimensions).
    long rows = (long) value(run.out(), "sample_rows");
    assertTrue(kiln / rows < 40, run.out());
  }

  private static double value(String out, String key) {
    Matcher m = Pattern.compile(key + "=([0-9.eE+-]+)").matcher(out);
    assertTrue(m.find(), key + " missing in " + out);
    return Double.parseDouble(m.group(1));
  }
}
