package dev.kiln.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.DelegateToFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.spark.TaskContext;

/**
 * The local file system under the scheme {@code faulty:}, with three faults a test turns on by
 * system property:
 *
 * <ul>
 *   <li>{@value #FAIL_FIRST_ATTEMPTS}{@code =DIR}: the first attempt of every Spark task that
 *       writes a task-attempt file ({@code *.attempt-*}) writes all of it and then fails on
 *       close, so a complete but uncommitted copy is left behind and Spark must retry the task.
 *       That is the on-disk state both a failed attempt and the loser of a speculative race
 *       leave (two complete copies of a shard under two attempt names); speculation itself never
 *       runs in local mode. Each injected failure leaves a marker file in DIR, named after the
 *       file and the partition, holding the number of bytes the attempt wrote.
 *   <li>{@value #STALL_ON}{@code =NAME}: creating a file called NAME blocks forever, so a test
 *       can kill the build at a known point instead of racing it.
 *   <li>{@value #FAIL_RENAME_TO}{@code =NAME}: renaming anything to a file called NAME fails
 *       (after its source was written), as a full or flaky store would fail it.
 * </ul>
 *
 * <p>Nothing in the production code knows about it: a Spark JVM picks it up from
 * {@code -Dspark.hadoop.fs.faulty.impl=dev.kiln.testing.FaultyFileSystem} and
 * {@code -Dspark.hadoop.fs.AbstractFileSystem.faulty.impl=dev.kiln.testing.FaultyFileSystem$Afs}
 * (FileContext, which the publish step uses to rename).
 */
public class FaultyFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "faulty";
  /** System property: fail first task attempts; the directory for markers of the failures. */
  public static final String FAIL_FIRST_ATTEMPTS = "kiln.test.faulty.failFirstAttempts";
  /** System property: the name of a file whose creation blocks forever. */
  public static final String STALL_ON = "kiln.test.faulty.stallOn";

  /** System property: the name of a rename target whose rename fails. */
  public static final String FAIL_RENAME_TO = "kiln.test.faulty.failRenameTo";

  /** The properties for a Spark JVM that uses this file system. */
  public static java.util.List<String> sparkProperties() {
    return java.util.List.of(
        "spark.hadoop.fs." + SCHEME + ".impl=" + FaultyFileSystem.class.getName(),
        "spark.hadoop.fs.AbstractFileSystem." + SCHEME + ".impl=" + Afs.class.getName());
  }

  /** A Hadoop configuration for this JVM with the scheme registered, uncached (no Spark). */
  public static Configuration conf() {
    Configuration conf = new Configuration();
    for (String p : sparkProperties()) {
      String kv = p.substring("spark.hadoop.".length());
      conf.set(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
    }
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
    return conf;
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    if (dst.getName().equals(System.getProperty(FAIL_RENAME_TO))) {
      throw new IOException("injected failure renaming " + src + " to " + dst);
    }
    return super.rename(src, dst);
  }

  @Override
  protected OutputStream createOutputStream(Path f, boolean append) throws IOException {
    return maybeFaulty(f, super.createOutputStream(f, append));
  }

  @Override
  protected OutputStream createOutputStreamWithMode(Path f, boolean append, FsPermission permission)
      throws IOException {
    return maybeFaulty(f, super.createOutputStreamWithMode(f, append, permission));
  }

  private static OutputStream maybeFaulty(Path f, OutputStream out) throws IOException {
    if (f.getName().equals(System.getProperty(STALL_ON))) {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("stalled create of " + f + " interrupted");
      }
    }
    String markers = System.getProperty(FAIL_FIRST_ATTEMPTS);
    TaskContext task = TaskContext.get();
    if (markers == null || task == null || task.attemptNumber() != 0
        || !f.getName().contains(".attempt-")) {
      return out;
    }
    return new OutputStream() {
      long written;

      @Override
      public void write(int b) throws IOException {
        out.write(b);
        written++;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        written += len;
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }

      @Override
      public void close() throws IOException {
        out.close();
        String name = f.getName().substring(0, f.getName().indexOf(".attempt-"));
        Files.writeString(Paths.get(markers, name + ".partition-" + task.partitionId()),
            Long.toString(written), StandardCharsets.UTF_8);
        throw new IOException("injected failure after writing " + f + " (task " +
            task.taskAttemptId() + ", attempt 0)");
      }
    };
  }

  /** The same file system for {@code FileContext}. */
  public static final class Afs extends DelegateToFileSystem {
    public Afs(URI uri, Configuration conf) throws IOException, URISyntaxException {
      super(uri, new FaultyFileSystem(), conf, SCHEME, false);
    }
  }
}
