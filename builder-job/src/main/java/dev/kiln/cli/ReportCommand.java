package dev.kiln.cli;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.job.report.BuildReport;
import dev.kiln.format.CorruptIndexException;
import dev.kiln.format.IndexLayout;
import dev.kiln.format.Manifest;
import dev.kiln.search.KilnIndex;
import dev.kiln.store.AtomicFile;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "report", mixinStandardHelpOptions = true,
    description = {"Write a version's report (a root follows LATEST) outside it and print its path.",
        "It shows recall against QPS, the comparison with the version published before it,",
        "stage times, list sizes, rejects and the build's parameters."},
    footer = {"", "Example:",
        "  kiln report /srv/index --out /tmp/items-report.html"})
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "ROOT_OR_VERSION", description = "Index root or version directory.")
  Path path;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Where to write it (default: report-VERSION.html in the current directory;"
          + " a published version is never rewritten: its own report.html is the build's).")
  Path out;

  @Option(names = "--open", description = "Then open it in the system browser (xdg-open).")
  boolean open;

  @Override
  public Integer call() throws Exception {
    if (out != null) {
      OutputPaths.checkFile("--out", out);
    }
    Manifest manifest;
    int[] listSizes;
    Path dir;
    try (KilnIndex index = KilnIndex.open(path)) {
      manifest = index.manifest();
      listSizes = index.listSizes();
      dir = index.versionDir();
    } catch (CorruptIndexException | NoSuchFileException e) {
      throw new InvalidInputException("cannot open " + path + " as an index: " + e.getMessage());
    }
    // Not into the version directory: a published version stays as the build left it (its
    // report.html is the build's own).
    Path file = (out != null ? out : Path.of("report-" + manifest.version() + ".html"))
        .toAbsolutePath();
    write(file, BuildReport.render(manifest, listSizes, earlier(dir, manifest)));
    System.out.println(file);
    if (open) {
      openInBrowser(file);
    }
    return 0;
  }

  /**
   * The version of the same root published last before {@code m} (by {@code createdAt}), which
   * the report compares it with, as a build compares with what LATEST named; null when there is
   * none or {@code versionDir} is not in a root's {@code versions/}.
   */
  static Manifest earlier(Path versionDir, Manifest m) {
    Path versions = versionDir.getParent();
    Instant at = instant(m.createdAt());
    if (versions == null || at == null
        || !versions.getFileName().toString().equals(IndexLayout.VERSIONS)) {
      return null;
    }
    Manifest best = null;
    Instant bestAt = null;
    try (Stream<Path> dirs = Files.list(versions)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        Path file = d.resolve(IndexLayout.MANIFEST);
        if (d.equals(versionDir) || !Files.isRegularFile(file)) {
          continue;
        }
        Manifest other;
        try (InputStream in = Files.newInputStream(file)) {
          other = Manifest.read(in, file.toString());
        } catch (IOException | IllegalArgumentException e) {
          continue; // a damaged neighbour does not stop the report
        }
        Instant t = instant(other.createdAt());
        if (t != null && t.isBefore(at) && (bestAt == null || t.isAfter(bestAt))) {
          best = other;
          bestAt = t;
        }
      }
    } catch (IOException e) {
      return null;
    }
    return best;
  }

  private static Instant instant(String s) {
    try {
      return s == null ? null : Instant.parse(s);
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }

  /** Writes beside the target, then renames: a browser never sees half a page. */
  private static void write(Path file, String html) throws IOException {
    AtomicFile.replace(file, out -> out.write(html.getBytes(StandardCharsets.UTF_8)));
  }

  private static void openInBrowser(Path file) throws InterruptedException {
    // java.awt.Desktop needs a non-headless AWT, which the report's rendering turned off; the
    // desktop's own opener does the same job.
    Path opener = findOnPath("xdg-open", System.getenv("PATH"));
    if (opener == null) {
      System.err.println("kiln: cannot open a browser here (no xdg-open on PATH); open " + file);
      return;
    }
    try {
      Process p = new ProcessBuilder(opener.toString(), file.toUri().toString())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      // xdg-open hands the file to the browser and returns; a browser it starts keeps running.
      if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() != 0) {
        System.err.println("kiln: xdg-open failed (exit " + p.exitValue() + "); open " + file);
      }
    } catch (IOException e) {
      System.err.println("kiln: cannot run " + opener + " (" + e.getMessage() + "); open " + file);
    }
  }

  /** The executable {@code name} in a PATH-style list of directories, or null. */
  static Path findOnPath(String name, String pathVariable) {
    if (pathVariable == null) {
      return null;
    }
    for (String d : pathVariable.split(File.pathSeparator)) {
      if (d.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(d, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
