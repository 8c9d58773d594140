package dev.kiln.job.read;

import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.schema.GroupType;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * The vector length of the input's first row, read with Parquet's own reader before Spark starts,
 * so a factory string the input's dimension cannot take ({@code PQ15} on 64-d vectors) is refused
 * in a second rather than after Spark's start-up. Best-effort: -1 whenever it cannot tell (no
 * readable file, no such column, a null or empty first vector, a layout it does not know), and
 * the build then checks the dimension as before, once Spark has read the first row.
 */
public final class ParquetPeek {
  private ParquetPeek() {}

  /** The length of {@code column}'s list in the first row of the first data file, or -1. */
  public static int firstVectorLength(Configuration conf, String input, String column) {
    try {
      Path file = firstFile(new Path(input), conf);
      if (file == null) {
        return -1;
      }
      try (ParquetReader<Group> reader =
          ParquetReader.builder(new GroupReadSupport(), file).withConf(conf).build()) {
        Group row = reader.read();
        return row == null ? -1 : length(row, column);
      }
    } catch (IOException | RuntimeException e) {
      return -1; // the build reports what is wrong with the input, with Spark's reading of it
    }
  }

  /** A list column: standard three-level ({@code LIST} group), or a repeated field. */
  static int length(Group row, String column) {
    MessageType schema = (MessageType) row.getType();
    if (!schema.containsField(column)) {
      return -1;
    }
    Type t = schema.getType(column);
    if (t.isRepetition(Type.Repetition.REPEATED)) {
      return row.getFieldRepetitionCount(column);
    }
    if (t.isPrimitive() || row.getFieldRepetitionCount(column) == 0) {
      return -1; // not a list, or a null vector
    }
    GroupType list = t.asGroupType();
    if (list.getFieldCount() != 1 || !list.getType(0).isRepetition(Type.Repetition.REPEATED)) {
      return -1;
    }
    return row.getGroup(column, 0).getFieldRepetitionCount(0);
  }

  /** The input itself, or its first data file (not hidden: no leading '_' or '.'), by name. */
  private static Path firstFile(Path input, Configuration conf) throws IOException {
    FileSystem fs = input.getFileSystem(conf);
    FileStatus st = fs.getFileStatus(input);
    if (st.isFile()) {
      return input;
    }
    Path first = null;
    RemoteIterator<LocatedFileStatus> it = fs.listFiles(input, true);
    int seen = 0;
    while (it.hasNext() && seen++ < 10_000) {
      Path p = it.next().getPath();
      if (hidden(input, p)) {
        continue;
      }
      if (first == null || p.toString().compareTo(first.toString()) < 0) {
        first = p;
      }
    }
    return first;
  }

  /** Whether a path below {@code root} has a hidden component, as Spark's reader skips them. */
  private static boolean hidden(Path root, Path p) {
    for (Path q = p; q != null && !q.equals(root) && q.getParent() != null; q = q.getParent()) {
      String name = q.getName().toLowerCase(Locale.ROOT);
      if (name.startsWith("_") || name.startsWith(".")) {
        return true;
      }
    }
    return false;
  }
}
