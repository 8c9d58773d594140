package dev.kiln.cli;

import static dev.kiln.testing.KilnTestData.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.testing.KilnTestData.CliRun;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Help as a person meets it first: {@code --help} on every command, whole summaries. */
class HelpTest {
  private static Map<String, CommandLine> commands() {
    return new CommandLine(new KilnCli()).getSubcommands();
  }

  /** Every command answers -h and --help with its usage and exit 0, required options or not. */
  @Test
  void helpWorksOnEveryCommand() {
    for (String name : commands().keySet()) {
      for (String flag : new String[] {"--help", "-h"}) {
        CliRun r = cli(name, flag);
        assertEquals(0, r.exitCode(), name + " " + flag + ": " + r.err());
        String usage = r.out() + r.err();
        assertTrue(usage.contains("Usage: kiln " + name), name + " " + flag + ": " + usage);
        assertFalse(usage.contains("Missing required"), name + " " + flag + ": " + usage);
      }
    }
  }

  /** Every command's help ends with an example, and the example is one the parser accepts. */
  @Test
  void everyHelpEndsWithAnExampleThatParses() {
    for (Map.Entry<String, CommandLine> e : commands().entrySet()) {
      if (e.getKey().equals("help")) {
        continue; // picocli's own
      }
      String[] footer = e.getValue().getCommandSpec().usageMessage().footer();
      int at = java.util.Arrays.asList(footer).indexOf("Example:");
      assertTrue(at >= 0, e.getKey() + " has no example: " + String.join("|", footer));
      StringBuilder example = new StringBuilder();
      for (int i = at + 1; i < footer.length; i++) {
        example.append(' ').append(footer[i].replace("\\", " "));
      }
      String[] words = example.toString().trim().split("\\s+");
      assertEquals("kiln", words[0], e.getKey());
      assertEquals(e.getKey(), words[1]);
      String[] args = java.util.Arrays.copyOfRange(words, 1, words.length);
      // Parsed, not run: every option and value of the example must be accepted.
      new CommandLine(new KilnCli()).parseArgs(args);
      assertTrue(cli(e.getKey(), "--help").out().contains("Example:"), e.getKey());
    }
  }

  /**
   * {@code kiln help} lists each command by the first line of its description: a whole
   * sentence, not one cut at the line break.
   */
  @Test
  void commandSummariesAreWholeSentences() {
    for (Map.Entry<String, CommandLine> e : commands().entrySet()) {
      String[] description = e.getValue().getCommandSpec().usageMessage().description();
      assertTrue(description.length > 0, e.getKey());
      String first = description[0].trim();
      assertTrue(first.endsWith(".") || first.endsWith(".)"),
          e.getKey() + ": the summary line is cut: " + first);
    }
    CliRun r = cli("help");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("export-faiss"), r.out());
  }
}
