package dev.kiln.job.read;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkThrowable;

/**
 * Turns a Spark failure to read an input file into one short bad-input line naming the file and
 * the cause. Spark reports a task's read error as a {@code SparkException} ("Job aborted due to
 * stage failure ...", thousands of characters with the executor's stack trace) whose chain holds
 * a {@link SparkThrowable} of condition {@code FAILED_READ_FILE.*} (or
 * {@code CANNOT_READ_FILE_FOOTER} while inferring the schema) that carries the path; the root of
 * the chain is the actual cause (not a Parquet file, a checksum mismatch, a truncated footer).
 *
 * <p>Such a file fails the same way on every retry, so it is bad input (exit 3). A plain I/O
 * error underneath (a lost connection, a missing block) may well pass on a retry, so that is left
 * as an unexpected failure.
 */
public final class ReadFailures {
  /** The cause is cut to this many characters: the line stays readable in a scheduler's log. */
  public static final int MAX_CAUSE = 300;

  private static final Set<String> CONDITIONS = Set.of("FAILED_READ_FILE", "CANNOT_READ_FILE_FOOTER");

  private ReadFailures() {}

  /** The bad-input exception for {@code e} if it is a failure to read a file, else null. */
  public static KilnException translate(Throwable e) {
    String path = null;
    Throwable root = e;
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = e; t != null && seen.put(t, true) == null; t = t.getCause()) {
      if (t instanceof KilnException k) {
        return k;
      }
      if (path == null && t instanceof SparkThrowable s && s.getCondition() != null
          && CONDITIONS.contains(s.getCondition().split("\\.")[0])) {
        Map<String, String> params = s.getMessageParameters();
        path = params.getOrDefault("path", params.get("file"));
      }
      root = t;
    }
    if (path == null || retryable(root)) {
      return null;
    }
    String shown = shown(path);
    return new InvalidInputException("cannot read Parquet file " + shown + ": "
        + cause(root, path, shown));
  }

  /** Spark's URL-encoded path ({@code file:///x/a%20b}) as Hadoop prints paths. */
  private static String shown(String path) {
    try {
      return new Path(new URI(path)).toString();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return path;
    }
  }

  /** I/O errors other than end of file, a missing file or a refused permission. */
  private static boolean retryable(Throwable root) {
    return root instanceof IOException && !(root instanceof EOFException)
        && !(root instanceof FileNotFoundException)
        && !root.getClass().getName().equals("org.apache.hadoop.security.AccessControlException")
        && !root.getClass().getName().equals("org.apache.hadoop.fs.ChecksumException");
  }

  /** The root cause on one line, without the path (already named), at most MAX_CAUSE long. */
  static String cause(Throwable root, String path, String shown) {
    String msg = root.getMessage();
    if (msg == null || msg.isBlank()) {
      return root.getClass().getSimpleName();
    }
    msg = oneLine(msg.replace(path, "the file").replace(shown, "the file"));
    return cap(msg, MAX_CAUSE);
  }

  /** Whitespace runs, newlines included, as one space. */
  public static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ").trim();
  }

  /** {@code s} cut to {@code max} characters, marked with "..." when cut. */
  public static String cap(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 3) + "...";
  }
}
