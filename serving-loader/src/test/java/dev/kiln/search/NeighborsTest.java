package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A result answers in the kind of id its index has, and refuses the other kind. */
class NeighborsTest {

  @Test
  void stringIdsAreReadAsKeysAndIdsAreRefused() {
    Neighbors n = Neighbors.ofKeys(new String[] {"a", "b"}, new float[] {1f, 2f});
    assertTrue(n.hasStringIds());
    assertArrayEquals(new String[] {"a", "b"}, n.keys());
    assertEquals("b", n.idString(1));
    IllegalStateException e = assertThrows(IllegalStateException.class, n::ids);
    assertTrue(e.getMessage().contains("string ids"), e.getMessage());
  }

  @Test
  void int64IdsAreReadAsIdsAndKeysAreRefused() {
    Neighbors n = Neighbors.ofIds(new long[] {7, 9}, new float[] {1f, 2f});
    assertFalse(n.hasStringIds());
    assertArrayEquals(new long[] {7, 9}, n.ids());
    assertEquals("9", n.idString(1));
    assertThrows(IllegalStateException.class, n::keys);
  }

  @Test
  void emptyResultsOfTheTwoKindsDiffer() {
    Neighbors keys = Neighbors.ofKeys(new String[0], new float[0]);
    Neighbors ids = Neighbors.ofIds(new long[0], new float[0]);
    assertEquals(0, keys.keys().length);
    assertEquals(0, ids.ids().length);
    assertNotEquals(keys, ids);
  }
}
