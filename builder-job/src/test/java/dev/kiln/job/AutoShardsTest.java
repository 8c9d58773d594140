package dev.kiln.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.job.config.BuildConfig;
import org.junit.jupiter.api.Test;

/**
 * {@link KilnBuildJob#autoShards}: without {@code --shards}, enough shards that each stays near
 * {@link BuildConfig#TARGET_SHARD_BYTES}. (Whole builds are {@code dev.kiln.it.KilnBuildJobTest}.)
 */
class AutoShardsTest {
  @Test
  void autoShardsKeepsEachShardNearTheTarget() {
    long target = BuildConfig.TARGET_SHARD_BYTES;
    assertEquals(1, KilnBuildJob.autoShards(0, 16));
    assertEquals(1, KilnBuildJob.autoShards(1000, 16));
    assertEquals(1, KilnBuildJob.autoShards(target / 24, 16));
    assertEquals(2, KilnBuildJob.autoShards(target / 24 + 1, 16));
    // 100 million items of 16-byte codes plus 8-byte ids: 2.4 GB, 5 shards of < 512 MiB.
    assertEquals(5, KilnBuildJob.autoShards(100_000_000L, 16));
  }
}
