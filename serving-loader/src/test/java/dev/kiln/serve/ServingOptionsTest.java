package dev.kiln.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.search.OpenOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link ServingOptions} passes how to open each version on, whatever else is changed. */
class ServingOptionsTest {
  @Test
  void eachVersionOpensWithTheServingOptionsChecksumsHeapAndPruning() {
    ServingOptions defaults = ServingOptions.defaults();
    assertEquals(new OpenOptions(defaults.verifyChecksums(), defaults.inHeap(), true),
        defaults.openOptions(), "pruning is on by default");
    ServingOptions off = defaults.withFlatPruning(false).withInHeap(true)
        .withVerifyChecksums(true).withPollInterval(Duration.ZERO).withMaxFreshItems(5)
        .withFreshGraphFrom(3).withListener(defaults.listener()).withClock(defaults.clock())
        .withInputCutoff(defaults.inputCutoff());
    assertEquals(new OpenOptions(true, true, false), off.openOptions(),
        "every wither keeps flatPruning, inHeap and verifyChecksums");
    assertEquals(true, off.withFlatPruning(true).openOptions().flatPruning());
  }
}
