package dev.kiln.testing;

import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One local Spark for every test class in the JVM: created on first use, stopped once when the
 * whole run ends (it lives in the root extension store). Tests take it as a {@code SparkSession}
 * parameter of a test, lifecycle method or constructor:
 *
 * <pre>{@code
 * @ExtendWith(SparkExtension.class)
 * class MyTest {
 *   @Test void t(SparkSession spark) { ... }
 * }
 * }</pre>
 */
public final class SparkExtension implements ParameterResolver {

  /** Keeps the session; JUnit closes it after the last test of the run. */
  private static final class Holder implements AutoCloseable {
    final SparkSession spark =
        SparkSession.builder()
            .appName("kiln-builder-tests")
            .master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.default.parallelism", "2")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.memory.fraction", "0.3")
            .getOrCreate();

    @Override
    public void close() {
      spark.stop();
    }
  }

  /** The shared session (creates it on first call). */
  public static SparkSession spark(ExtensionContext context) {
    return context
        .getRoot()
        .getStore(ExtensionContext.Namespace.create(SparkExtension.class))
        .getOrComputeIfAbsent(Holder.class, k -> new Holder(), Holder.class)
        .spark;
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext c) {
    return p.getParameter().getType() == SparkSession.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext c) {
    SparkSession spark = spark(c);
    if (spark.sparkContext().isStopped()) {
      throw new IllegalStateException("the shared SparkSession was stopped by a test");
    }
    return spark;
  }
}
