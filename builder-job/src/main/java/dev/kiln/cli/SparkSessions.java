package dev.kiln.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The Spark session for a CLI command: whatever {@code spark-submit} configured, or an embedded
 * local-mode Spark using every core when the CLI runs on its own.
 */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession get(String appName, String master) {
    SparkConf conf = new SparkConf(true);
    if (master != null) {
      conf.setMaster(master);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster("local[*]");
    }
    conf.setIfMissing("spark.ui.enabled", "false");
    conf.setIfMissing("spark.sql.shuffle.partitions", "8");
    return SparkSession.builder().appName(appName).config(conf).getOrCreate();
  }
}
