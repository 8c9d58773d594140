package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast-scan block arrangement: sizes, where each nibble goes, and the round trip. */
class FastScanLayoutTest {

  @Test
  void sizesAreWholeBlocks() {
    assertEquals(0, FastScanLayout.codesBytes(0, 16));
    assertEquals(256, FastScanLayout.codesBytes(1, 16));
    assertEquals(256, FastScanLayout.codesBytes(32, 16));
    assertEquals(512, FastScanLayout.codesBytes(33, 16));
    assertEquals(16 * 56, FastScanLayout.bytesPerBlock(56));
  }

  /** Byte 2k of a pair's 32 bytes is item k, byte 2k + 1 item 16 + k; low nibble first. */
  @Test
  void itemsInterleaveSoThatSixteenBitLanesSplitLowAndHigh() {
    int m = 4;
    int n = 40;
    byte[] codes = new byte[n * m];
    codes[0 * m + 0] = 1; // item 0, sub-space 0: pair 0, byte 0, low nibble
    codes[16 * m + 1] = 2; // item 16, sub-space 1: pair 0, byte 1, high nibble
    codes[5 * m + 3] = 3; // item 5, sub-space 3: pair 1, byte 32 + 10, high nibble
    codes[33 * m + 2] = 4; // item 33 (block 1, k = 1), sub-space 2: byte 64 + 32 + 2, low
    byte[] out = new byte[(int) FastScanLayout.codesBytes(n, m)];
    FastScanLayout.pack(codes, n, m, out);
    assertEquals(1, out[0]);
    assertEquals(2 << 4, out[1]);
    assertEquals(3 << 4, out[32 + 10]);
    assertEquals(4, out[64 + 32 + 2]);
    int nonZero = 0;
    for (byte b : out) {
      nonZero += b != 0 ? 1 : 0;
    }
    assertEquals(4, nonZero, "the padding items of the last block are code 0");
  }

  @Test
  void packThenReadBack() {
    Random rnd = new Random(3);
    int m = 10;
    int n = 77;
    byte[] codes = new byte[n * m];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = (byte) rnd.nextInt(16);
    }
    byte[] out = new byte[(int) FastScanLayout.codesBytes(n, m) + 8];
    FastScanLayout.pack(codes, n, m, out);
    ByteBuffer buf = ByteBuffer.allocate(out.length + 8);
    buf.position(8);
    buf.put(out);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < m; j++) {
        assertEquals(codes[i * m + j], FastScanLayout.code(buf, 8, m, i, j), i + "," + j);
      }
    }
  }

  @Test
  void refusesCodesAboveFifteen() {
    byte[] codes = {3, 16};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> FastScanLayout.pack(codes, 1, 2, new byte[32]));
    assertEquals("4-bit codes hold 0-15; item 0 has 3, 16 in sub-spaces 0, 1", e.getMessage());
  }
}
