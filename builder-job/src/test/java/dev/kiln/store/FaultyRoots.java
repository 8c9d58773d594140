package dev.kiln.store;

import dev.kiln.testing.FaultyFileSystem;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** The fault-injecting local file system, in this JVM (no Spark). */
final class FaultyRoots {
  private FaultyRoots() {}

  static Configuration conf() {
    return FaultyFileSystem.conf();
  }

  static IndexRoot root(java.nio.file.Path dir) throws IOException {
    Configuration conf = conf();
    Path root = new Path(FaultyFileSystem.SCHEME + "://" + dir.toAbsolutePath());
    FileSystem fs = root.getFileSystem(conf);
    return new IndexRoot(conf, fs, root);
  }
}
