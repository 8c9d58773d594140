package dev.kiln.cli;

import dev.kiln.errors.KilnException;
import dev.kiln.job.config.KilnVersion;
import dev.kiln.format.CorruptIndexException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code kiln}: one entry point, one subcommand per task. Exit codes: 0 success (for
 * {@code build}, also a re-run that found the version already published from the same input
 * and parameters), 1 unexpected failure, 2 bad options or index description, 3 bad input data,
 * 4 conflict with a published version, 5 built but below the publish gate
 * ({@code --min-recall}). See docs/PUBLISHING.md for what a scheduler should
 * retry.
 */
@Command(
    name = "kiln",
    mixinStandardHelpOptions = true,
    versionProvider = KilnCli.Version.class,
    description = "Bake item embeddings into IVF-PQ indexes on Spark, and search them.",
    subcommands = {
      BuildCommand.class,
      SearchCommand.class,
      InspectCommand.class,
      ReportCommand.class,
      ConvertCommand.class,
      BenchCommand.class,
      KMeansBenchCommand.class,
      SampleCommand.class,
      SyncCommand.class,
      ExportFaissCommand.class,
      ImportFaissCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes: 0 success (build: published, or already published from the same",
      "            input and parameters), 1 unexpected failure (worth a retry),",
      "            2 bad options, 3 bad input data, 4 conflict with a published",
      "            version, 5 below the publish gate --min-recall (2-5: a retry",
      "            cannot help)."
    })
public final class KilnCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
  }

  public static void main(String[] args) {
    // The loader logs through the JDK platform logger, java.util.logging by default (it has no
    // logging dependency); route that into the same log4j2 configuration as Spark and the job.
    org.slf4j.bridge.SLF4JBridgeHandler.removeHandlersForRootLogger();
    org.slf4j.bridge.SLF4JBridgeHandler.install();
    System.exit(execute(args));
  }

  /** Runs the CLI and returns the exit code (tests call this rather than main). */
  public static int execute(String... args) {
    CommandLine cli = new CommandLine(new KilnCli());
    cli.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          PrintWriter err = cmd.getErr();
          // A damaged or missing index or input file is bad input (no retry can fix it); the
          // loader's messages name the file, NoSuchFileException's alone only the path.
          int code = exitCodeOf(e);
          err.println("kiln: error: " + messageOf(e));
          if (code == 1) {
            e.printStackTrace(err);
          }
          return code;
        });
    return cli.execute(args);
  }

  /** The exit code {@link #execute} returns for a command that threw {@code e}. */
  static int exitCodeOf(Throwable e) {
    Throwable cause = rootUserError(e);
    if (cause instanceof KilnException k) {
      return ExitCodes.of(k);
    }
    if (cause instanceof CorruptIndexException || cause instanceof NoSuchFileException
        || cause instanceof NotDirectoryException) {
      return ExitCodes.BAD_INPUT;
    }
    return cause instanceof IllegalArgumentException ? ExitCodes.USAGE : 1;
  }

  /** The one-line message {@link #execute} prints for {@code e} (after "kiln: error: "). */
  static String messageOf(Throwable e) {
    Throwable cause = rootUserError(e);
    if (cause instanceof FileSystemException f && !(cause instanceof CorruptIndexException)) {
      return oneLine(f.getFile() + ": " + (cause instanceof NoSuchFileException
          ? "no such file or directory" : "not a directory"));
    }
    int code = exitCodeOf(e);
    return oneLine(code == 1 ? e.toString() : cause.getMessage());
  }

  /**
   * Spark wraps exceptions thrown in tasks, and the loader wraps I/O errors in
   * UncheckedIOException; find the user-facing one if there is one.
   */
  private static Throwable rootUserError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof KilnException || t instanceof CorruptIndexException) {
        return t;
      }
    }
    Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
    return t instanceof NoSuchFileException || t instanceof NotDirectoryException ? t : e;
  }

  /** Error messages are one line: a scheduler's log shows the first line only. */
  static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").trim();
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"kiln " + KilnVersion.get()};
    }
  }
}
