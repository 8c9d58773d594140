package dev.kiln.job.read;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.KilnException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * The files a build reads: one recursive listing of the input through the Hadoop FileSystem,
 * every file at any depth (plain subdirectories and Hive-style {@code dt=.../hour=...}
 * partitions alike) except what Hadoop and Spark treat as hidden. The build fingerprint is
 * computed from this listing, and the reader checks that Spark reads exactly these files, so the
 * two cannot disagree.
 *
 * @param root the input, fully qualified
 * @param files the data files, sorted by path
 */
public record InputFiles(Path root, List<FileStatus> files) {

  /**
   * Lists {@code input} (a file or a directory tree).
   *
   * @throws KilnException (bad input) when it does not exist or cannot be listed
   */
  public static InputFiles list(String input, Configuration conf) {
    try {
      Path p = new Path(input);
      FileSystem fs = p.getFileSystem(conf);
      Path root = fs.makeQualified(p);
      String base = root.toUri().getPath();
      List<FileStatus> files = new ArrayList<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        if (!hidden(relative(base, f))) {
          files.add(f);
        }
      }
      files.sort(Comparator.comparing(FileStatus::getPath));
      return new InputFiles(root, List.copyOf(files));
    } catch (FileNotFoundException e) {
      throw new InvalidInputException("input path not found: " + input);
    } catch (IOException | IllegalArgumentException e) {
      throw new InvalidInputException("cannot access input " + input + ": " + e.getMessage());
    }
  }

  /** The path of {@code f} below the root, "" when the root is that file. */
  public String relative(FileStatus f) {
    return relative(root.toUri().getPath(), f);
  }

  private static String relative(String base, FileStatus f) {
    String path = f.getPath().toUri().getPath();
    return path.length() > base.length() ? path.substring(base.length() + 1) : "";
  }

  /**
   * What Spark's file index skips at any level: names starting with '_' (but not a partition
   * directory such as {@code _x=1}) or '.', and files still being copied in. Spark keeps
   * {@code _metadata} summary files in its listing but never reads them as data; so do we.
   */
  static boolean hidden(String rel) {
    for (String part : rel.split("/")) {
      if ((part.startsWith("_") && !part.contains("=")) || part.startsWith(".")
          || part.endsWith("._COPYING_")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Checks that Spark's file index ({@code Dataset.inputFiles()}, URIs) names exactly these
   * files: a file one side has and the other lacks would be read but not fingerprinted, or
   * fingerprinted but silently left out. Spark also skips empty files without a word; an empty
   * file is no Parquet file (a failed copy, say), so it is refused.
   *
   * @throws KilnException (bad input) naming the first file only one side has, or an empty one
   */
  public void checkSameAs(Collection<String> sparkFiles, String input) {
    String base = root.toUri().getPath();
    Set<Path> spark = new HashSet<>();
    for (String s : sparkFiles) {
      Path p = new Path(URI.create(s));
      String path = p.toUri().getPath();
      // Spark lists _metadata summaries but does not read them as data.
      if (!hidden(path.length() > base.length() ? path.substring(base.length() + 1) : "")) {
        spark.add(p);
      }
    }
    for (FileStatus f : files) {
      if (f.getLen() == 0) {
        throw new InvalidInputException("input file " + f.getPath() + " is empty (0 bytes), not a"
            + " Parquet file");
      }
      if (!spark.remove(f.getPath())) {
        throw new InvalidInputException("input file " + f.getPath() + " would not be read (Spark's"
            + " listing of " + input + " leaves it out)");
      }
    }
    if (!spark.isEmpty()) {
      throw new InvalidInputException("input file " + spark.stream().sorted().findFirst().get()
          + " is read by Spark but missing from the listing of " + input);
    }
  }
}
