package dev.kiln.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ItemRefTest {
  @Test
  void packsShardAndOrdinalAndReadsThemBack() {
    long[] ordinals = {0, 1, 12345, (1L << 32) + 7, ItemRef.ORDINAL_MASK};
    int[] shards = {0, 1, 2, 99, (1 << 23) - 1};
    for (int shard : shards) {
      for (long ordinal : ordinals) {
        long ref = ItemRef.pack(shard, ordinal);
        assertEquals(shard, ItemRef.shard(ref), "shard of " + shard + "/" + ordinal);
        assertEquals(ordinal, ItemRef.ordinal(ref), "ordinal of " + shard + "/" + ordinal);
        assertTrue(ref >= 0);
      }
    }
  }

  @Test
  void isTheLayoutTheScanHasAlwaysUsed() {
    assertEquals((3L << 40) | 17, ItemRef.pack(3, 17));
  }

  @Test
  void ordersByShardThenOrdinal() {
    // TopK breaks distance ties by the smaller ref: shard first, then ordinal.
    assertTrue(ItemRef.pack(0, ItemRef.ORDINAL_MASK) < ItemRef.pack(1, 0));
    assertTrue(ItemRef.pack(1, 5) < ItemRef.pack(1, 6));
  }
}
