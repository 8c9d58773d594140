package dev.kiln.job.read;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The first row's vector length, read with Parquet's own reader from files Spark wrote. */
@ExtendWith(SparkExtension.class)
class ParquetPeekTest {
  @TempDir Path tmp;

  @Test
  void readsTheFirstRowsLengthOrSaysItCannotTell(SparkSession spark) throws Exception {
    String dir = KilnTestData.writeVectors(spark, tmp.resolve("v"), KilnTestData.longIds(50),
        KilnTestData.gaussian(new Random(3), 50, 13, 1));
    Configuration conf = new Configuration();
    assertEquals(13, ParquetPeek.firstVectorLength(conf, dir, "embedding"), "a directory");
    Path file;
    try (var files = Files.list(Path.of(dir))) {
      file = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted()
          .findFirst().orElseThrow();
    }
    assertEquals(13, ParquetPeek.firstVectorLength(conf, file.toString(), "embedding"), "a file");
    assertEquals(-1, ParquetPeek.firstVectorLength(conf, dir, "vector"), "no such column");
    assertEquals(-1, ParquetPeek.firstVectorLength(conf, dir, "id"), "not a list");
    assertEquals(-1, ParquetPeek.firstVectorLength(conf, tmp.resolve("none").toString(),
        "embedding"), "no such input");
    Path text = Files.writeString(tmp.resolve("not-parquet"), "x");
    assertEquals(-1, ParquetPeek.firstVectorLength(conf, text.toString(), "embedding"),
        "not Parquet");
  }
}
