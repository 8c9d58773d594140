package dev.kiln.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.format.IndexSpec;
import dev.kiln.format.Metric;
import dev.kiln.job.config.BuildConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code kiln build}'s option defaults are BuildConfig's: one definition, no drift. */
class BuildDefaultsTest {
  @Test
  void theOptionsDefaultToBuildConfigDefaults() {
    BuildCommand cmd = new BuildCommand();
    new CommandLine(cmd).parseArgs(
        "--input", "in", "--output", "out", "--index", "IVF4,PQ2", "--version", "v1");
    assertEquals(BuildConfig.defaults("in", "out", "v1", IndexSpec.parse("IVF4,PQ2"), Metric.L2),
        cmd.options.toConfig());
  }
}
