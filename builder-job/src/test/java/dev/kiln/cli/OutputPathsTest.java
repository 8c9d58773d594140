package dev.kiln.cli;

import dev.kiln.tools.Vecs;
import static dev.kiln.testing.KilnTestData.assertOneLineError;
import static dev.kiln.testing.KilnTestData.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.kiln.format.IndexLayout;
import dev.kiln.testing.KilnTestData;
import dev.kiln.testing.KilnTestData.CliRun;
import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output path of the wrong kind (a file where a directory goes, a directory where a file
 * goes, a file among its parents, a root whose {@code versions}, {@code _staging} or
 * {@code LATEST} has the wrong kind) is a bad option: exit 2 with one line naming the option and
 * the path, before any input is read, and nothing there changes. No Spark: the commands that
 * start one ({@code convert}, {@code bench}) check before they do. ({@code build}'s check is
 * {@code BuildOutputCheckTest}'s.) Also sizes from the user that cannot be honoured: {@code
 * sample} beyond the heap, {@code import-faiss --shards} beyond the vector count.
 */
class OutputPathsTest {
  @TempDir Path tmp;

  private Path file;
  private Path fvecs;
  private Path ivecs;
  private Path faiss;

  @BeforeAll
  static void kernelsChosen() {
    VectorizationProvider.kernels();
  }

  private void inputs() throws IOException {
    file = Files.writeString(tmp.resolve("a-file"), "precious\n");
    fvecs = tmp.resolve("q.fvecs");
    Vecs.writeFloats(fvecs, new float[][] {new float[8], new float[8]});
    ivecs = tmp.resolve("gt.ivecs");
    Vecs.writeInts(ivecs, new int[2][10]);
    faiss = tmp.resolve("x.faissindex");
    assertEquals(0, cli("export-faiss", "--index", KilnTestData.V1_LONG_IDS.toString(), "--out",
        faiss.toString()).exitCode());
  }

  @Test
  void eachCommandRefusesAnOutputOfTheWrongKind() throws IOException {
    inputs();
    Path under = file.resolve("sub");
    Path versionsFile = Files.createDirectories(tmp.resolve("r1"));
    Files.writeString(versionsFile.resolve(IndexLayout.VERSIONS), "x");
    Path stagingFile = Files.createDirectories(tmp.resolve("r2"));
    Files.writeString(stagingFile.resolve(IndexLayout.STAGING), "x");
    Path latestDir = Files.createDirectories(tmp.resolve("r3"));
    Files.createDirectories(latestDir.resolve(IndexLayout.LATEST));
    Path aDir = Files.createDirectories(tmp.resolve("a-dir"));
    String index = KilnTestData.V1_LONG_IDS.toString();
    Map<String, byte[]> before = KilnTestData.filesUnder(tmp);

    List<List<String>> cases = List.of(
        List.of("import-faiss", "--in", faiss.toString(), "--output", file.toString()),
        List.of("import-faiss", "--in", faiss.toString(), "--output", under.toString()),
        List.of("import-faiss", "--in", faiss.toString(), "--output", versionsFile.toString()),
        List.of("import-faiss", "--in", faiss.toString(), "--output", stagingFile.toString()),
        List.of("import-faiss", "--in", faiss.toString(), "--output", latestDir.toString()),
        List.of("export-faiss", "--index", index, "--out", aDir.toString()),
        List.of("export-faiss", "--index", index, "--out", under.toString()),
        List.of("report", index, "--out", aDir.toString()),
        List.of("report", index, "--out", under.resolve("r.html").toString()),
        List.of("sync", "--from", index, "--to", file.toString()),
        List.of("sync", "--from", index, "--to", under.toString()),
        List.of("sync", "--from", index, "--to", versionsFile.toString()),
        List.of("sync", "--from", index, "--to", stagingFile.toString()),
        List.of("sync", "--from", index, "--to", latestDir.toString()),
        List.of("sample", "--out", file.toString(), "--n", "10", "--queries", "1"),
        List.of("sample", "--out", under.toString(), "--n", "10", "--queries", "1"),
        List.of("convert", "--fvecs", fvecs.toString(), "--out", file.toString()),
        List.of("convert", "--fvecs", fvecs.toString(), "--out", under.toString()),
        List.of("bench", "--base", fvecs.toString(), "--queries", fvecs.toString(),
            "--groundtruth", ivecs.toString(), "--index", "IVF1,Flat", "--work", file.toString()));
    for (List<String> args : cases) {
      String option = args.get(args.size() - 2);
      String path = args.get(args.size() - 1);
      if (args.get(0).equals("sample")) {
        option = "--out";
        path = args.get(2);
      }
      CliRun r = cli(args.toArray(String[]::new));
      assertOneLineError(r, 2, option + " " + path);
      assertEquals("", r.out(), String.join(" ", args));
    }
    KilnTestData.assertSameFiles(before, KilnTestData.filesUnder(tmp));
    assertFalse(Files.exists(under));
  }

  @Test
  void aMissingInputIsBadInput() throws IOException {
    inputs();
    Path missing = tmp.resolve("missing.fvecs");
    for (String[] args : List.of(
        new String[] {"search", "--index", KilnTestData.V1_LONG_IDS.toString(), "--queries",
            missing.toString()},
        new String[] {"convert", "--fvecs", missing.toString(), "--out",
            tmp.resolve("out.parquet").toString()},
        new String[] {"import-faiss", "--in", missing.toString(), "--output",
            tmp.resolve("root").toString()})) {
      assertOneLineError(cli(args), 3, missing.toString());
    }
    assertFalse(Files.exists(tmp.resolve("out.parquet")));
    assertFalse(Files.exists(tmp.resolve("root")));
  }

  @Test
  void sampleSizesTheHeapCannotHoldAreUsageErrors() {
    Path out = tmp.resolve("sample");
    assertOneLineError(cli("sample", "--out", out.toString(), "--n", "2000000000", "--dim",
        "1000"), 2, "--n 2,000,000,000", "MiB of heap");
    assertOneLineError(cli("sample", "--out", out.toString(), "--n", "10", "--dim",
        "100000000"), 2, "--dim 100000000");
    assertFalse(Files.exists(out));
  }

  @Test
  void importFaissRefusesMoreShardsThanVectors() throws IOException {
    inputs(); // faiss: 20 vectors
    for (String shards : List.of("21", "2000000000")) {
      Path root = tmp.resolve("root-" + shards);
      assertOneLineError(cli("import-faiss", "--in", faiss.toString(), "--output",
          root.toString(), "--shards", shards), 2, "--shards " + shards, "at most 20");
      assertFalse(Files.exists(root));
    }
  }
}
