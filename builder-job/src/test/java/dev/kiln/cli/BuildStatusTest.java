package dev.kiln.cli;

import static dev.kiln.testing.KilnTestData.cli;
import static dev.kiln.testing.KilnTestData.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code kiln build} leaves {@code OUTPUT/_status/VERSION.json} with the exit code it
 * returned, for schedulers in cluster deploy mode (where the exit code does not reach them):
 * published, re-run, bad input and a failed publish gate.
 */
@ExtendWith(SparkExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BuildStatusTest {
  @TempDir Path tmp;
  private String good;

  @BeforeAll
  void fixtures(SparkSession spark, @TempDir Path data) {
    good = KilnTestData.writeVectors(spark, data.resolve("good"), KilnTestData.longIds(400),
        gaussian(new Random(2), 400, 8, 1));
  }

  private static CliRun build(String input, Path root, String version, String... more) {
    String[] base = {"build", "--input", input, "--output", root.toString(), "--index",
        "IVF4,Flat", "--metric", "l2", "--version", version, "--kmeans-iterations", "3"};
    String[] args = java.util.Arrays.copyOf(base, base.length + more.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return cli(args);
  }

  private static JsonNode status(Path root, String version) throws IOException {
    Path p = root.resolve(BuildStatus.DIR).resolve(version + ".json");
    assertTrue(Files.exists(p), p + " is written");
    return new ObjectMapper().readTree(p.toFile());
  }

  @Test
  void publishedAndReRunBuildsRecordZero() throws IOException {
    Path root = tmp.resolve("ok");
    CliRun first = build(good, root, "v1");
    assertEquals(0, first.exitCode(), first.err());
    JsonNode s = status(root, "v1");
    assertEquals("v1", s.get("version").asText());
    assertEquals(0, s.get("exitCode").asInt());
    assertEquals("published", s.get("outcome").asText());
    assertFalse(s.get("retry").asBoolean());
    assertTrue(s.get("message").asText().startsWith("published: "), s.toString());
    assertFalse(Files.exists(root.resolve(BuildStatus.DIR + ".crc")));

    CliRun again = build(good, root, "v1");
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(status(root, "v1").get("message").asText().startsWith("already published"));
  }

  @Test
  void failuresRecordTheirExitCodeAndTheErrorLine() throws IOException {
    Path root = tmp.resolve("bad");
    String missing = tmp.resolve("no-such-input").toString();
    CliRun bad = build(missing, root, "v2");
    assertEquals(ExitCodes.BAD_INPUT, bad.exitCode(), bad.err());
    JsonNode s = status(root, "v2");
    assertEquals(ExitCodes.BAD_INPUT, s.get("exitCode").asInt());
    assertEquals("bad input", s.get("outcome").asText());
    assertFalse(s.get("retry").asBoolean(), "a retry cannot fix bad input");
    assertTrue(bad.err().contains("kiln: error: " + s.get("message").asText()),
        "the status holds the error line: " + s + " / " + bad.err());

    CliRun gate = build(good, root, "v3", "--min-recall", "1.0", "--at-nprobe", "1");
    assertEquals(ExitCodes.QUALITY, gate.exitCode(), gate.err());
    assertEquals(ExitCodes.QUALITY, status(root, "v3").get("exitCode").asInt());
    assertEquals("below the publish gate", status(root, "v3").get("outcome").asText());
  }
}
