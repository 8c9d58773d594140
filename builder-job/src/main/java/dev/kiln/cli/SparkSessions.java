package dev.kiln.cli;

import dev.kiln.job.read.InputReader;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * The Spark session for a CLI command: one that is already running in this JVM (an embedding
 * application's or a test's), else whatever {@code spark-submit} configured, or an embedded
 * local-mode Spark using every core when the CLI runs on its own.
 */
final class SparkSessions {
  private SparkSessions() {}

  /** A session for one command; closing it stops the session only if the command created it. */
  record Lease(SparkSession spark, boolean created) implements AutoCloseable {
    @Override
    public void close() {
      if (created) {
        spark.stop();
      }
    }
  }

  static Lease get(String appName, String master) {
    SparkSession running = running(SparkSession.getActiveSession());
    if (running == null) {
      running = running(SparkSession.getDefaultSession());
    }
    if (running != null) {
      return new Lease(running, false);
    }
    SparkConf conf = new SparkConf(true);
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.ui.enabled", "false");
    conf.setIfMissing("spark.sql.shuffle.partitions", "8");
    // Damaged Parquet pages fail the read instead of being decoded as data. Kiln's reads also
    // set it per read (InputReader.parquet), which covers a session that was already running.
    conf.setIfMissing("spark.hadoop." + InputReader.VERIFY_CHECKSUMS, "true");
    return new Lease(SparkSession.builder().appName(appName).config(conf).getOrCreate(), true);
  }

  private static SparkSession running(Option<SparkSession> s) {
    return s.isDefined() && !s.get().sparkContext().isStopped() ? s.get() : null;
  }
}
