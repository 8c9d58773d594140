package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.DocumentationTool;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The loader a service embeds is documented in full: javadoc with every doclint group
 * ({@code -Xdoclint:all}, "missing" included: a comment, @param, @return and @throws on each
 * public type and member) over serving-loader's and index-format's sources reports nothing but
 * its notice that the Vector API is an incubating module. The javadoc plugin cannot fail the
 * loader's build on warnings (that notice is one, and javadoc has no flag to silence it), so
 * this test does; the format and Micrometer modules fail their own builds on any warning.
 */
class LoaderJavadocTest {
  @TempDir Path out;

  @Test
  void everyPublicTypeAndMemberOfTheLoaderIsDocumented() throws IOException {
    Path root = repoRoot();
    List<File> sources = new ArrayList<>();
    for (String module : List.of("index-format", "serving-loader")) {
      try (Stream<Path> s = Files.walk(root.resolve(module).resolve("src/main/java"))) {
        s.filter(p -> p.toString().endsWith(".java")).sorted().forEach(p -> sources.add(p.toFile()));
      }
    }
    assertTrue(sources.size() > 50, "found the sources: " + sources.size());
    DocumentationTool javadoc = ToolProvider.getSystemDocumentationTool();
    DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
    try (StandardJavaFileManager files = javadoc.getStandardFileManager(diagnostics, Locale.ROOT,
        null)) {
      List<String> options = List.of("-Xdoclint:all", "-Xmaxwarns", "10000", "-quiet",
          "--add-modules", "jdk.incubator.vector", "-d", out.toString(), "-classpath",
          testClasspath());
      Boolean ok = javadoc.getTask(null, files, diagnostics, null, options,
          files.getJavaFileObjectsFromFiles(sources)).call();
      List<String> problems = new ArrayList<>();
      for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
        String message = d.getMessage(Locale.ROOT);
        boolean incubating = d.getSource() == null && message.contains("incubating module");
        if (d.getKind() != Diagnostic.Kind.NOTE && !incubating) {
          problems.add((d.getSource() == null ? "" : Path.of(d.getSource().toUri())
              .getFileName() + ":" + d.getLineNumber() + ": ") + message);
        }
      }
      assertEquals(List.of(), problems, problems.size() + " javadoc problem(s)");
      assertTrue(ok, "javadoc failed");
    }
    assertTrue(Files.exists(out.resolve("dev/kiln/search/KilnIndex.html")), "docs written");
  }

  private static String testClasspath() {
    String cp = System.getProperty("surefire.test.class.path");
    return cp != null && !cp.isBlank() ? cp : System.getProperty("java.class.path");
  }

  private static Path repoRoot() {
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve("serving-loader"))) {
      root = root.getParent();
    }
    assertTrue(root != null, "no serving-loader/ above " + System.getProperty("user.dir"));
    return root;
  }
}
