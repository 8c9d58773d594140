package dev.kiln.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The example Airflow DAG ({@code scripts/airflow/kiln_nightly_dag.py}), imported by
 * {@code scripts/airflow/check_dag.py} against stand-in Airflow modules: tasks and their order
 * (input sensor, build, sync), the JVM flags as the pom's {@code defaultJavaOptions} with no
 * {@code properties_file}, templates on the data interval, the schedule, and exit codes 2-5
 * failing without retries.
 */
class AirflowDagTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @Test
  void theDagDeclaresWhatTheReadmeSays() throws Exception {
    Process p = new ProcessBuilder("python3",
        ROOT.resolve("scripts/airflow/check_dag.py").toString(), ROOT.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains("check_dag: ok"), out);
  }
}
