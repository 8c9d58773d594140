package dev.kiln.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.kiln.store.IndexRoot;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code OUTPUT/_status/VERSION.json}: how a build ended, with the exit code the CLI returns.
 * In cluster deploy mode the driver's exit code does not reach {@code spark-submit}'s caller
 * (every failure looks alike), so a scheduler reads this file instead to tell a failure a
 * retry cannot fix (3 to 5) from one it may (1). Written last, best-effort (a build whose
 * output root cannot be written has nowhere to put it either), for every outcome but bad options
 * (2): those are refused before the build begins, an output of the wrong kind among them, and
 * nothing is written into an output that may not be an index root; no file after a failed run
 * means that.
 */
final class BuildStatus {
  private static final Logger LOG = LoggerFactory.getLogger(BuildStatus.class);
  static final String DIR = "_status";

  private BuildStatus() {}

  /** The status file of {@code version} under the index root {@code output}. */
  static Path path(String output, String version) {
    return new Path(new Path(output, DIR), version + ".json");
  }

  /** What each exit code means, in the README's words. */
  static String outcome(int code) {
    return switch (code) {
      case 0 -> "published";
      case ExitCodes.USAGE -> "bad options";
      case ExitCodes.BAD_INPUT -> "bad input";
      case ExitCodes.CONFLICT -> "conflict";
      case ExitCodes.QUALITY -> "below the publish gate";
      default -> "failed";
    };
  }

  static void write(Configuration conf, String output, String version, int code,
      String message) {
    if (code == ExitCodes.USAGE) {
      return;
    }
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("version", version);
    status.put("exitCode", code);
    status.put("outcome", outcome(code));
    status.put("retry", code == 1);
    status.put("message", message);
    status.put("finishedAt", Instant.now().toString());
    Path p = path(output, version);
    try {
      FileSystem fs = IndexRoot.withoutChecksumFiles(p.getFileSystem(conf));
      try (OutputStream out = fs.create(p, true)) {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out, status);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not write the build status {}: {}", p, e.toString());
    }
  }
}
