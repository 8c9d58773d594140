package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MetricTest {

  @ParameterizedTest
  @CsvSource({"l2, L2", "L2, L2", "ip, IP", "Ip, IP", "cosine, COSINE", "COSINE, COSINE",
      "' cosine ', COSINE"})
  void parsesCaseInsensitively(String s, Metric expected) {
    assertEquals(expected, Metric.parse(s));
  }

  @Test
  void rejectsUnknownNamingIt() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Metric.parse("foo"));
    assertTrue(e.getMessage().contains("'foo'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Metric.parse(null));
    assertThrows(IllegalArgumentException.class, () -> Metric.parse(""));
  }

  /** These codes are stored in model files: changing one breaks every index already built. */
  @Test
  void storedCodesAndNames() {
    assertEquals(0, Metric.L2.code);
    assertEquals(1, Metric.IP.code);
    assertEquals(2, Metric.COSINE.code);
    for (Metric m : Metric.values()) {
      assertEquals(m, Metric.parse(m.cliName()));
    }
    assertEquals("l2", Metric.L2.cliName());
  }

  @Test
  void scoreDirection() {
    assertFalse(Metric.L2.higherIsBetter());
    assertTrue(Metric.IP.higherIsBetter());
    assertTrue(Metric.COSINE.higherIsBetter());
  }

  @Test
  void idTypeCodes() {
    assertEquals(0, IdType.LONG.code);
    assertEquals(1, IdType.STRING.code);
  }
}
