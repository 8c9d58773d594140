package dev.kiln.cli;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.format.IndexLayout;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;

/**
 * Checks of the paths a command will write, made before it reads or computes anything: a file
 * where a directory must go (or the reverse) is a bad option (exit 2), not a failure after the
 * work is done.
 */
final class OutputPaths {
  private OutputPaths() {}

  /** {@code option} names a file to write: not a directory, and its parent can be a directory. */
  static void checkFile(String option, Path file) {
    Path p = file.toAbsolutePath().normalize();
    if (Files.isDirectory(p)) {
      throw new InvalidOptionException(option + " " + file + " is a directory; give the file to write");
    }
    checkAncestors(option, file, p.getParent());
  }

  /** {@code option} names a directory to write into: a directory, or nothing yet. */
  static void checkDirectory(String option, Path dir) {
    Path p = dir.toAbsolutePath().normalize();
    if (Files.exists(p) && !Files.isDirectory(p)) {
      throw new InvalidOptionException(option + " " + dir + " is a file, not a directory");
    }
    checkAncestors(option, dir, p.getParent());
  }

  /**
   * {@code option} names a local index root to publish into: a directory (or nothing yet), not a
   * version directory, with {@code versions} and {@code _staging} directories and {@code LATEST}
   * a regular file where they exist.
   */
  static void checkIndexRoot(String option, Path root) {
    checkDirectory(option, root);
    if (Files.exists(root.resolve(IndexLayout.MANIFEST))) {
      throw new InvalidOptionException(option + " " + root + " is a version directory (it holds "
          + IndexLayout.MANIFEST + "); give an index root: the version goes to DIR/versions/ID");
    }
    for (String d : java.util.List.of(IndexLayout.VERSIONS, IndexLayout.STAGING)) {
      Path p = root.resolve(d);
      if (Files.exists(p) && !Files.isDirectory(p)) {
        throw new InvalidOptionException(option + " " + root + ": " + p + " is a file, not a directory;"
            + " this is not a Kiln index root");
      }
    }
    Path latest = root.resolve(IndexLayout.LATEST);
    if (Files.exists(latest) && !Files.isRegularFile(latest)) {
      throw new InvalidOptionException(option + " " + root + ": " + latest + " is not a regular file;"
          + " this is not a Kiln index root");
    }
  }

  /** The nearest existing ancestor must be a directory, or the path cannot be created. */
  private static void checkAncestors(String option, Path given, Path parent) {
    for (Path a = parent; a != null; a = a.getParent()) {
      if (Files.exists(a)) {
        if (!Files.isDirectory(a)) {
          throw new InvalidOptionException(option + " " + given + " cannot be created: " + a
              + " is a file, not a directory");
        }
        return;
      }
    }
  }

  /**
   * {@code option} names a Hadoop path that will be written as a directory (Spark's output,
   * replaced if it exists): an existing file there is refused rather than deleted, and so is a
   * file among its ancestors.
   */
  static void checkHadoopDirectory(Configuration conf, String option, String uri)
      throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
    FileSystem fs = p.getFileSystem(conf);
    for (org.apache.hadoop.fs.Path a = fs.makeQualified(p); a != null; a = a.getParent()) {
      FileStatus st;
      try {
        st = fs.getFileStatus(a);
      } catch (FileNotFoundException e) {
        continue;
      } catch (org.apache.hadoop.fs.ParentNotDirectoryException e) {
        continue; // an ancestor is a file: found further up
      }
      if (!st.isDirectory()) {
        throw new InvalidOptionException(option + " " + uri + (a.equals(fs.makeQualified(p))
            ? " is a file, not a directory" : " cannot be created: " + a + " is a file"));
      }
      return;
    }
  }
}
