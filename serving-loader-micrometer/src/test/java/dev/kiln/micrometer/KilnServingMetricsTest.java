package dev.kiln.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.serve.LatencyHistogram;
import dev.kiln.serve.ServingMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The meters read the serving metrics when the registry polls, each under its tags. */
class KilnServingMetricsTest {
  private static ServingMetrics metrics(long queries, LatencyHistogram h, int fresh) {
    return new ServingMetrics("v7", queries, 2, h.snapshot(), 3, 1, null, fresh, 4, 0);
  }

  @Test
  void metersFollowTheIndexAtEachPoll() {
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 0; i < 99; i++) {
      h.record(200_000);
    }
    h.record(9_000_000);
    AtomicReference<ServingMetrics> now = new AtomicReference<>(metrics(100, h, 5));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    new KilnServingMetrics(now::get, "items").bindTo(registry);

    assertEquals(100, registry.get("kiln.serving.queries").tag("result", "ok")
        .tag("index", "items").functionCounter().count());
    assertEquals(2, registry.get("kiln.serving.queries").tag("result", "failed")
        .functionCounter().count());
    assertEquals(3, registry.get("kiln.serving.swaps").tag("result", "ok").functionCounter().count());
    assertEquals(1, registry.get("kiln.serving.swaps").tag("result", "refused").functionCounter()
        .count());
    assertEquals(5, registry.get("kiln.serving.fresh.items").gauge().value());
    assertEquals(4, registry.get("kiln.serving.deleted.ids").gauge().value());
    double p50 = registry.get("kiln.serving.latency").tag("quantile", "0.5").timeGauge()
        .value(TimeUnit.MICROSECONDS);
    double p999 = registry.get("kiln.serving.latency").tag("quantile", "0.999").timeGauge()
        .value(TimeUnit.MILLISECONDS);
    assertTrue(p50 >= 200 && p50 <= 200.2, "p50 " + p50 + " us");
    assertTrue(p999 >= 9 && p999 <= 9.01, "p999 " + p999 + " ms");

    // Read again at the next poll, not frozen at binding.
    now.set(metrics(250, h, 0));
    assertEquals(250, registry.get("kiln.serving.queries").tag("result", "ok").functionCounter()
        .count());
    assertEquals(0, registry.get("kiln.serving.fresh.items").gauge().value());
  }
}
