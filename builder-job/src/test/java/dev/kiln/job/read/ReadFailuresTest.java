package dev.kiln.job.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkException;
import org.apache.spark.sql.errors.QueryExecutionErrors;
import org.junit.jupiter.api.Test;

/**
 * Which Spark failures are a bad input file (exit 3, one short line naming it) and which are
 * left as unexpected (worth a retry), built with Spark's own error constructors, as a task
 * failure reaches the driver: the stage abort wrapping the file's error wrapping the cause.
 */
class ReadFailuresTest {
  private static final String FILE = "file:///data/in/dt=1/part-0.parquet";

  private static Throwable taskFailure(Throwable cause) {
    return new SparkException("Job aborted due to stage failure: Task 1 in stage 3.0 failed 4"
        + " times, most recent failure: ...\n" + "x".repeat(4000),
        QueryExecutionErrors.cannotReadFilesError(cause, FILE));
  }

  @Test
  void aCorruptFileIsBadInputNamingItOnOneLine() {
    KilnException k = ReadFailures.translate(taskFailure(new RuntimeException(
        "file:/data/in/dt=1/part-0.parquet is not a Parquet file.\nExpected magic number")));
    assertInstanceOf(InvalidInputException.class, k);
    assertEquals("cannot read Parquet file file:/data/in/dt=1/part-0.parquet: the file is not a"
        + " Parquet file. Expected magic number", k.getMessage());
  }

  @Test
  void aTruncatedFileIsBadInputAndALongCauseIsCut() {
    KilnException k = ReadFailures.translate(taskFailure(new EOFException("y".repeat(5000))));
    assertInstanceOf(InvalidInputException.class, k);
    assertTrue(k.getMessage().length() < 400, k.getMessage());
    assertTrue(k.getMessage().endsWith("yyy..."), k.getMessage());
  }

  @Test
  void aFooterThatCannotBeReadNamesTheFile() {
    KilnException k = ReadFailures.translate(new SparkException("schema inference failed",
        QueryExecutionErrors.cannotReadFooterForFileError(new Path(FILE),
            new RuntimeException("footer is too large"))));
    assertEquals("cannot read Parquet file file:/data/in/dt=1/part-0.parquet: footer is too"
        + " large", k.getMessage());
  }

  @Test
  void aLostConnectionIsLeftForARetry() {
    assertNull(ReadFailures.translate(taskFailure(new ConnectException("Connection refused"))));
    assertNull(ReadFailures.translate(taskFailure(new IOException("Could not obtain block"))));
  }

  @Test
  void otherFailuresAreNotReadFailures() {
    assertNull(ReadFailures.translate(new SparkException("Job aborted: executor lost")));
    assertNull(ReadFailures.translate(new OutOfMemoryError("Java heap space")));
  }
}
