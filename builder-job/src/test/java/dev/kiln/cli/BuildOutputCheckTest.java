package dev.kiln.cli;

import static dev.kiln.testing.KilnTestData.assertOneLineError;
import static dev.kiln.testing.KilnTestData.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.format.IndexLayout;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.testing.SparkExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code build --output} of the wrong kind is refused (exit 2) before Spark reads a row: the
 * input here is not Parquet at all, so a build that read it first would end with its error
 * instead.
 */
@ExtendWith(SparkExtension.class)
class BuildOutputCheckTest {
  @TempDir Path tmp;

  @Test
  void anOutputOfTheWrongKindFailsBeforeTheInputIsRead() throws IOException {
    Path input = Files.createDirectories(tmp.resolve("input"));
    Files.writeString(input.resolve("part-0.parquet"), "not parquet at all");
    Path file = Files.writeString(tmp.resolve("a-file"), "precious\n");
    Path versionsFile = Files.createDirectories(tmp.resolve("root"));
    Files.writeString(versionsFile.resolve(IndexLayout.VERSIONS), "x");
    Map<String, byte[]> before = KilnTestData.filesUnder(tmp);
    for (Path output : List.of(file, file.resolve("sub"), versionsFile)) {
      CliRun r = cli("build", "--input", input.toString(), "--output", output.toString(),
          "--index", "IVF2,Flat", "--version", "v1", "--master", "local[1]");
      assertOneLineError(r, 2, "--output " + output);
      assertEquals(-1, r.err().indexOf("part-0.parquet"), r.err());
    }
    KilnTestData.assertSameFiles(before, KilnTestData.filesUnder(tmp));
  }
}
