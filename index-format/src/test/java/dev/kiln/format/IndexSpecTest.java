package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class IndexSpecTest {

  @ParameterizedTest
  @CsvSource({
    "'IVF1024,PQ16',   1024, PQ,   16, 8, 'IVF1024,PQ16'",
    "'IVF1024,Flat',   1024, FLAT, 0,  0, 'IVF1024,Flat'",
    "'IVF64,PQ8x8',    64,   PQ,   8,  8, 'IVF64,PQ8'",
    "'IVF1024,PQ16np', 1024, PQ,   16, 8, 'IVF1024,PQ16'",
    "'IVF1, PQ1',      1,    PQ,   1,  8, 'IVF1,PQ1'",
  })
  void parsesFactoryStrings(String s, int nlist, IndexSpec.Encoding enc, int m, int bits,
      String canonical) {
    IndexSpec spec = IndexSpec.parse(s);
    assertEquals(new IndexSpec(nlist, enc, m, bits), spec);
    // toString is the canonical form (x8 and np dropped) and parses back to the same spec.
    assertEquals(canonical, spec.toString());
    assertEquals(spec, IndexSpec.parse(spec.toString()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"IVF,PQ16", "IVF1024,PQ16x4", "HNSW32", "", "IVF0,Flat", "IVF1024,PQ0",
      "ivf1024,pq16", "IVF1024", "IVF1024,PQ16,Refine", "IVF99999999999,Flat", "IVF-1,Flat"})
  @NullSource
  void rejectsOthersNamingTheString(String s) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IndexSpec.parse(s));
    assertTrue(e.getMessage().contains("'" + s + "'"), e.getMessage());
  }

  @Test
  void checkDimension() {
    IndexSpec pq15 = IndexSpec.parse("IVF1024,PQ15");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pq15.checkDimension(784));
    assertTrue(e.getMessage().contains("not divisible"), e.getMessage());
    assertTrue(e.getMessage().contains("784"), e.getMessage());
    IndexSpec.parse("IVF1024,PQ16").checkDimension(784);
    IndexSpec.flat(4).checkDimension(785);
    assertThrows(IllegalArgumentException.class, () -> IndexSpec.flat(4).checkDimension(0));
  }

  @Test
  void codeSizes() {
    assertEquals(16, IndexSpec.pq(1024, 16).codeSize(784));
    assertEquals(4 * 784, IndexSpec.flat(1024).codeSize(784));
    assertEquals(256, IndexSpec.pq(1, 2).pqCentroids());
    assertEquals(0, IndexSpec.flat(1).pqCentroids());
  }

  @Test
  void constructorGuardsInvariants() {
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(0, IndexSpec.Encoding.FLAT, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(4, IndexSpec.Encoding.PQ, 0, 8));
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(4, IndexSpec.Encoding.PQ, 4, 4));
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(4, IndexSpec.Encoding.FLAT, 4, 8));
  }

  @Test
  void encodingCodes() {
    assertEquals(0, IndexSpec.Encoding.FLAT.code);
    assertEquals(1, IndexSpec.Encoding.PQ.code);
  }
}
