package dev.kiln.job.publish;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.errors.KilnException;
import dev.kiln.format.IndexLayout;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.ParentNotDirectoryException;
import org.apache.hadoop.fs.Path;

/** What must hold of an index root before anything is read or staged for it. */
public final class OutputRoot {
  private OutputRoot() {}

  /**
   * @throws KilnException (usage, exit 2) when {@code output} cannot be an index root: see
   *     {@link #check(FileSystem, Path, String)}
   */
  public static void check(Configuration conf, String output) throws IOException {
    Path root = new Path(output);
    check(root.getFileSystem(conf), root, output);
  }

  /**
   * The index root must be a directory, or not exist yet under a directory, and what is in it
   * where Kiln writes must have the right kind: {@link Publisher#findPublished} checks this
   * before a build reads a row, so a wrong {@code --output} fails at once (exit 2) rather than
   * after the whole input was read.
   */
  static void check(FileSystem fs, Path root, String output) throws IOException {
    FileStatus st = status(fs, root);
    if (st == null) {
      for (Path a = fs.makeQualified(root).getParent(); a != null; a = a.getParent()) {
        FileStatus as = status(fs, a);
        if (as != null) {
          if (!as.isDirectory()) {
            throw new InvalidOptionException("--output " + output + " cannot be created: " + a
                + " is a file, not a directory");
          }
          return;
        }
      }
      return;
    }
    if (!st.isDirectory()) {
      throw new InvalidOptionException("--output " + output + " is a file, not a directory (the index"
          + " root)");
    }
    if (isFile(status(fs, new Path(root, IndexLayout.MANIFEST)))) {
      throw new InvalidOptionException("--output " + output + " is a version directory (it holds "
          + IndexLayout.MANIFEST + "); give the index root: versions go to ROOT/versions/ID");
    }
    for (String dir : List.of(IndexLayout.VERSIONS, IndexLayout.STAGING)) {
      if (isFile(status(fs, new Path(root, dir)))) {
        throw new InvalidOptionException("--output " + output + ": " + new Path(root, dir) + " is a"
            + " file, not a directory; this is not a Kiln index root");
      }
    }
    FileStatus latest = status(fs, new Path(root, IndexLayout.LATEST));
    if (latest != null && !latest.isFile()) {
      throw new InvalidOptionException("--output " + output + ": " + new Path(root, IndexLayout.LATEST)
          + " is not a file; this is not a Kiln index root");
    }
  }

  private static boolean isFile(FileStatus st) {
    return st != null && !st.isDirectory();
  }

  /** The path's status, or null when nothing is there (or a parent is a file). */
  private static FileStatus status(FileSystem fs, Path p) throws IOException {
    try {
      return fs.getFileStatus(p);
    } catch (FileNotFoundException | ParentNotDirectoryException e) {
      return null;
    }
  }

}
