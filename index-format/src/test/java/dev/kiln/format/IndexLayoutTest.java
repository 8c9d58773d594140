package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class IndexLayoutTest {

  @ParameterizedTest
  @ValueSource(strings = {"1", "v1", "20250101T000000Z", "2025-01-01_12.30", "a.b-c_d"})
  void acceptsPlainVersionIds(String id) {
    assertEquals(id, IndexLayout.checkVersionId(id));
    assertEquals("versions/" + id, IndexLayout.versionDir(id));
  }

  /** Ids become directory names; none may escape the root or hide. */
  @ParameterizedTest
  @ValueSource(strings = {"../x", ".hidden", "a/b", "", "..", "a\\b", "-rf", "sp ace", "é",
      "x\n"})
  @NullSource
  void rejectsIdsThatAreNotPlainNames(String id) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexLayout.checkVersionId(id));
    assertTrue(e.getMessage().contains("'" + id + "'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IndexLayout.versionDir(id));
  }

  @Test
  void acceptsAtMost128Characters() {
    assertEquals("A".repeat(128), IndexLayout.checkVersionId("A".repeat(128)));
    assertThrows(IllegalArgumentException.class, () -> IndexLayout.checkVersionId("A".repeat(129)));
  }

  @Test
  void names() {
    assertEquals("LATEST", IndexLayout.LATEST);
    assertEquals("versions", IndexLayout.VERSIONS);
    assertEquals("manifest.json", IndexLayout.MANIFEST);
    assertEquals("model.kiln", ModelFile.NAME);
  }
}
