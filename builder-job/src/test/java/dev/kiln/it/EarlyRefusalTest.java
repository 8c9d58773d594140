package dev.kiln.it;

import static dev.kiln.testing.KilnTestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.ExitCodes;
import dev.kiln.testing.ChildKiln;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.SparkExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * An index option that cannot work is refused before Spark starts (issue 20): a factory string
 * that does not parse, and one the input's dimension cannot take (read from the first row of
 * the Parquet input, before any scan). Each runs {@code kiln build} in a JVM of its own that
 * logs every class it loads: the refusal must come with Kiln's CLI loaded and no
 * {@code SparkContext} class, so nothing of Spark's start-up (about 20 s here, 40 s on the
 * issue's machine) was paid, and one {@code kiln: error:} line naming {@code --index}.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EarlyRefusalTest {
  private Path input;

  @TempDir Path tmp;

  @BeforeAll
  void input(SparkSession spark, @TempDir Path data) {
    int n = 200;
    input = data.resolve("d64");
    KilnTestData.writeVectors(spark, input, KilnTestData.longIds(n),
        gaussian(new Random(3), n, 64, 1));
  }

  @Test
  void aFactoryStringThatDoesNotParseStartsNoSpark() throws Exception {
    assertRefusedWithoutSpark("bad-factory", "IVF64,HNSW", "'IVF64,HNSW'");
  }

  @Test
  void anIndexTheInputsDimensionCannotTakeStartsNoSpark() throws Exception {
    // The case: PQ15 on 64-d input, refused only after Spark had read the data.
    assertRefusedWithoutSpark("pq15", "IVF256,PQ15", "dimension 64 is not divisible by PQ m=15");
  }

  private void assertRefusedWithoutSpark(String name, String index, String expected)
      throws Exception {
    Path classes = tmp.resolve(name + "-classes.log");
    Path root = tmp.resolve(name + "-root");
    ChildKiln.Child child = ChildKiln.start(tmp.resolve(name + ".log"),
        List.of("-Xlog:class+load=info:file=" + classes), List.of(),
        "build", "--input", input.toString(), "--output", root.toString(), "--index", index,
        "--version", "v1", "--master", "local[2]");
    // A hang guard, not a timing assertion: the class log below is the proof.
    int code = child.waitFor(Duration.ofMinutes(2));
    String out = child.output();
    assertEquals(ExitCodes.USAGE, code, out);
    List<String> errors = out.lines().filter(l -> l.startsWith("kiln: error:")).toList();
    assertEquals(1, errors.size(), out);
    assertTrue(errors.get(0).contains("--index") && errors.get(0).contains(expected), out);
    String loaded = Files.readString(classes);
    assertTrue(loaded.contains("dev.kiln.cli.KilnCli "), "the class log records the CLI");
    assertFalse(loaded.contains("org.apache.spark.SparkContext "),
        "SparkContext was loaded before the refusal:\n" + out);
    assertFalse(Files.exists(root.resolve("LATEST")), "nothing published");
  }
}
