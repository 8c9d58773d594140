package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.cli.KilnCli;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README and docs/*.md name only commands the CLI has, and never call one of them missing
 * (PUBLISHING.md said {@code kiln sync} was not implemented long after it landed).
 */
class DocsConsistencyTest {
  private static final Pattern COMMAND = Pattern.compile("(?:^|[`\\s/])kiln ([a-z][a-z-]*)");
  private static final Pattern MISSING =
      Pattern.compile("not (?:yet )?implemented|does not exist yet|coming soon|planned");

  @Test
  void docsNameOnlyCommandsTheCliHasAndCallNoneMissing() throws IOException {
    Set<String> commands = new CommandLine(new KilnCli()).getSubcommands().keySet();
    List<String> problems = new ArrayList<>();
    for (Path doc : docs()) {
      // Paragraphs, so a claim wrapped over two lines is still seen whole.
      for (String para : Files.readString(doc).split("\\n\\s*\\n")) {
        String flat = para.replaceAll("\\s+", " ");
        Matcher m = COMMAND.matcher(flat);
        while (m.find()) {
          String name = m.group(1);
          if (!commands.contains(name)) {
            problems.add(doc.getFileName() + ": names `kiln " + name + "`, which the CLI lacks");
          } else if (MISSING.matcher(flat.toLowerCase(Locale.ROOT)).find()) {
            problems.add(doc.getFileName() + ": calls `kiln " + name + "` missing: "
                + flat.substring(0, Math.min(flat.length(), 200)));
          }
        }
      }
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  private static List<Path> docs() throws IOException {
    Path root = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (root != null && !Files.isDirectory(root.resolve("docs"))) {
      root = root.getParent();
    }
    assertTrue(root != null, "no docs/ above " + System.getProperty("user.dir"));
    List<Path> docs = new ArrayList<>();
    docs.add(root.resolve("README.md"));
    try (Stream<Path> s = Files.list(root.resolve("docs"))) {
      s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(docs::add);
    }
    assertTrue(docs.size() > 2, "docs found: " + docs);
    return docs;
  }
}
