package dev.kiln.job.publish;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The cleanup of what killed builds left in {@code _staging}. */
final class StaleStaging {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  private StaleStaging() {}

  /**
   * Removes the entries of {@code _staging} ({@code dir}) other than {@code own} (this build's)
   * whose newest modification time (of the entry and, for a directory, its direct children) is
   * more than {@code grace} before {@code now}. A running build rewrites its {@code _alive} file far more often than
   * that, so only what killed builds left behind goes. Failures are logged, never fatal.
   *
   * @return what was removed
   */
  static List<Path> remove(FileSystem fs, Path dir, String own, long now, Duration grace) {
    List<Path> removed = new ArrayList<>();
    FileStatus[] entries;
    try {
      entries = fs.listStatus(dir);
    } catch (IOException e) {
      LOG.warn("cannot list {} to remove stale staging directories: {}", dir, e.toString());
      return removed;
    }
    for (FileStatus e : entries) {
      if (e.getPath().getName().equals(own)) {
        continue;
      }
      try {
        long modified = newestModification(fs, e);
        if (now - modified > grace.toMillis()) {
          if (fs.delete(e.getPath(), true)) {
            LOG.warn("removed stale staging entry {} (last modified {}, more than {} ago: a build"
                + " that stopped without cleaning up)", e.getPath(),
                Instant.ofEpochMilli(modified), grace.toString().substring(2).toLowerCase());
            removed.add(e.getPath());
          }
        }
      } catch (IOException ex) {
        LOG.warn("cannot remove stale staging entry {}: {}", e.getPath(), ex.toString());
      }
    }
    return removed;
  }

  private static long newestModification(FileSystem fs, FileStatus e) throws IOException {
    long newest = e.getModificationTime();
    if (e.isDirectory()) {
      for (FileStatus c : fs.listStatus(e.getPath())) {
        newest = Math.max(newest, c.getModificationTime());
      }
    }
    return newest;
  }
}
