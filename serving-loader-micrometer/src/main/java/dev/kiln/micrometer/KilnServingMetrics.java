package dev.kiln.micrometer;

import dev.kiln.serve.ServingIndex;
import dev.kiln.serve.ServingMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * A {@link ServingIndex}'s metrics as Micrometer meters, read when the registry polls:
 * <ul>
 *   <li>{@code kiln.serving.queries} (counter, tag {@code result} = {@code ok} | {@code failed})
 *   <li>{@code kiln.serving.latency} (time gauge, tag {@code quantile} = 0.5 | 0.99 | 0.999; the
 *       latency histogram's quantiles since the index opened, three significant digits)
 *   <li>{@code kiln.serving.swaps} (counter, tag {@code result} = {@code ok} | {@code refused})
 *   <li>{@code kiln.serving.fresh.items}, {@code kiln.serving.deleted.ids},
 *       {@code kiln.serving.draining.versions} (gauges)
 * </ul>
 * Each meter carries the {@code index} tag given at construction.
 */
public final class KilnServingMetrics implements MeterBinder {
  private static final double[] QUANTILES = {0.5, 0.99, 0.999};

  private final Supplier<ServingMetrics> metrics;
  private final Tags tags;

  /**
   * Binds {@code serving}'s metrics, tagged {@code index=name}.
   *
   * @param serving the index whose {@link ServingIndex#metrics()} the meters read
   * @param name the {@code index} tag's value, e.g. the index's name in the service
   * @throws NullPointerException when either is null
   */
  public KilnServingMetrics(ServingIndex serving, String name) {
    this(serving::metrics, name);
  }

  /**
   * Binds metrics read from {@code metrics} on each poll, tagged {@code index=name}.
   *
   * @param metrics called each time a meter is read (once per meter and poll); must not
   *     return null
   * @param name the {@code index} tag's value, e.g. the index's name in the service
   * @throws NullPointerException when either is null
   */
  public KilnServingMetrics(Supplier<ServingMetrics> metrics, String name) {
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.tags = Tags.of("index", Objects.requireNonNull(name, "name"));
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    counter(registry, "kiln.serving.queries", "searches answered or failed", "result", "ok",
        m -> m.queries());
    counter(registry, "kiln.serving.queries", "searches answered or failed", "result", "failed",
        m -> m.failedQueries());
    counter(registry, "kiln.serving.swaps", "versions swapped in or refused", "result", "ok",
        m -> m.swaps());
    counter(registry, "kiln.serving.swaps", "versions swapped in or refused", "result",
        "refused", m -> m.failedSwaps());
    for (double q : QUANTILES) {
      TimeGauge.builder("kiln.serving.latency", metrics,
              TimeUnit.NANOSECONDS, s -> s.get().latency().quantileUpperBoundNanos(q))
          .tags(tags).tag("quantile", Double.toString(q))
          .description("search latency quantile since the index opened").register(registry);
    }
    gauge(registry, "kiln.serving.fresh.items", "upserts not yet in a version",
        m -> m.freshItems());
    gauge(registry, "kiln.serving.deleted.ids", "deletes not yet in a version",
        m -> m.deletedIds());
    gauge(registry, "kiln.serving.draining.versions", "retired versions with queries running",
        m -> m.drainingVersions());
  }

  private void counter(MeterRegistry registry, String name, String description, String tag,
      String value, ToDoubleFunction<ServingMetrics> f) {
    FunctionCounter.builder(name, metrics, s -> f.applyAsDouble(s.get())).tags(tags)
        .tag(tag, value).description(description).register(registry);
  }

  private void gauge(MeterRegistry registry, String name, String description,
      ToDoubleFunction<ServingMetrics> f) {
    Gauge.builder(name, metrics, s -> f.applyAsDouble(s.get())).tags(tags)
        .description(description).register(registry);
  }
}
