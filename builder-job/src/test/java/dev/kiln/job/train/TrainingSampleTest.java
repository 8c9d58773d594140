package dev.kiln.job.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kiln.job.read.Item;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Training blocks are sized by the rows present and by bytes: a partition with a few rows of a
 * high dimension allocates a few rows' worth (it used to allocate 4,096 rows' worth, 3.3 GB at
 * d = 200,000, and overflow int at d >= 524,288), and blocks of large vectors hold fewer rows.
 */
class TrainingSampleTest {

  private static List<Item> items(int n, int dim) {
    List<Item> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] v = new float[dim];
      Arrays.fill(v, i + 1);
      out.add(new Item(i, null, v));
    }
    return out;
  }

  private static List<VectorBlock> pack(List<Item> items, int dim) {
    List<VectorBlock> out = new ArrayList<>();
    TrainingSample.pack(3, items.iterator(), dim).forEachRemaining(out::add);
    return out;
  }

  @Test
  void aFewRowsOfAHighDimensionTakeAFewRowsOfMemory() {
    int dim = 200_000;
    List<VectorBlock> blocks = pack(items(3, dim), dim);
    assertEquals(1, blocks.size());
    VectorBlock b = blocks.get(0);
    assertEquals(3, b.rows());
    assertEquals(3 * dim, b.data().length);
    assertEquals(3f, b.data()[3 * dim - 1]);
  }

  @Test
  void aDimensionBeyondTheIntProductPacks() {
    int dim = 600_000; // 4,096 x 600,000 overflows int
    List<VectorBlock> blocks = pack(items(2, dim), dim);
    assertEquals(List.of(2 * dim), blocks.stream().map(b -> b.data().length).toList());
  }

  @Test
  void blocksHoldEveryRowInOrderAndAreBoundedInBytes() {
    assertEquals(4096, TrainingSample.blockRows(64));
    assertEquals(4096, TrainingSample.blockRows(1024));
    assertEquals(1024, TrainingSample.blockRows(4096));
    assertEquals(1, TrainingSample.blockRows(10_000_000));
    int dim = 8192; // 512 rows per block
    List<Item> items = items(1300, dim);
    List<VectorBlock> blocks = pack(items, dim);
    assertEquals(List.of(512, 512, 276), blocks.stream().map(VectorBlock::rows).toList());
    int row = 0;
    for (VectorBlock b : blocks) {
      assertEquals(3, b.partition());
      assertEquals(b.rows() * dim, b.data().length);
      for (int i = 0; i < b.rows(); i++, row++) {
        assertArrayEquals(items.get(row).vector(),
            Arrays.copyOfRange(b.data(), i * dim, (i + 1) * dim));
      }
    }
    assertEquals(1300, row);
    Iterator<VectorBlock> none = TrainingSample.pack(0, List.<Item>of().iterator(), dim);
    assertEquals(false, none.hasNext());
  }
}
