package dev.kiln.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.format.IndexSpec.Encoding;
import dev.kiln.format.IndexSpec.Refine;
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
    "'IVF1024,PQ32x4fs', 1024, PQ, 32, 4, 'IVF1024,PQ32x4fs'",
    "'IVF64,PQ128x4fs',  64,   PQ, 128, 4, 'IVF64,PQ128x4fs'",
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
  @ValueSource(strings = {"IVF,PQ16", "IVF1024,PQ16x4", "HNSW", "HNSW1", "HNSW257", "HNSW32,PQ16",
      "HNSW32,SQ8,Refine(SQ8)", "HNSW32,RFlat", "HNSW32,Flat,RFlat", "HNSW32,SQ4", "IVF1024,SQ8",
      "hnsw32", "", "IVF0,Flat", "IVF1024,PQ0",
      "ivf1024,pq16", "IVF1024", "IVF1024,PQ16,Refine", "IVF99999999999,Flat", "IVF-1,Flat",
      "IVF1024_HNSW,PQ16", "IVF1024_HNSW1,PQ16", "IVF1024_HNSW0,Flat", "IVF1024_HNSW257,PQ16",
      "IVF1024,HNSW32,PQ16", "IVF1024,PQ15x4fs", "IVF1024,PQ130x4fs", "IVF1024,PQ16x8fs",
      "IVF1024,PQ16x2fs", "IVF1024,PQ16fs"})
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

  /** The fast-scan forms: 4-bit codes, two per byte, refine and HNSW forms included. */
  @Test
  void fastScanForms() {
    IndexSpec fs = IndexSpec.parse("IVF1024_HNSW32,PQ56x4fs,RFlat");
    assertTrue(fs.isFastScan());
    assertEquals(16, fs.pqCentroids());
    assertEquals(28, fs.codeSize(784));
    assertEquals(Refine.FLAT, fs.refine());
    assertEquals(32, fs.hnswM());
    assertEquals("IVF1024_HNSW32,PQ56x4fs,RFlat", fs.toString());
    assertEquals("IVF1024,PQ16x4fs,Refine(SQ8)",
        IndexSpec.parse("IVF1024,PQ16x4fsnp,Refine(SQ8)").toString());
    assertFalse(IndexSpec.pq(1024, 16).isFastScan());
    assertFalse(IndexSpec.flat(1024).isFastScan());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IndexSpec.parse("IVF1024,PQ16x4"));
    assertTrue(e.getMessage().contains("write PQ16x4fs"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> IndexSpec.fastScan(4, 3));
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
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(4, IndexSpec.Encoding.PQ, 4, 6));
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(4, IndexSpec.Encoding.PQ, 3, 4));
    assertThrows(IllegalArgumentException.class, () -> new IndexSpec(4, IndexSpec.Encoding.FLAT, 4, 8));
  }

  @Test
  void encodingCodes() {
    assertEquals(0, IndexSpec.Encoding.FLAT.code);
    assertEquals(1, IndexSpec.Encoding.PQ.code);
  }

  // --- the refine stage ---

  @ParameterizedTest
  @CsvSource({
    "'IVF1024,PQ16,RFlat',          1024, 16, FLAT, 'IVF1024,PQ16,RFlat'",
    "'IVF1024,PQ16,Refine(Flat)',   1024, 16, FLAT, 'IVF1024,PQ16,RFlat'",
    "'IVF1024,PQ16,Refine(SQ8)',    1024, 16, SQ8,  'IVF1024,PQ16,Refine(SQ8)'",
    "'IVF64,PQ8x8np,RFlat',         64,   8,  FLAT, 'IVF64,PQ8,RFlat'",
    "'IVF64,PQ8np,Refine(SQ8)',     64,   8,  SQ8,  'IVF64,PQ8,Refine(SQ8)'",
    "'IVF2, PQ4, Refine(SQ8)',      2,    4,  SQ8,  'IVF2,PQ4,Refine(SQ8)'",
  })
  void parsesRefineForms(String s, int nlist, int m, Refine refine, String canonical) {
    IndexSpec spec = IndexSpec.parse(s);
    assertEquals(new IndexSpec(nlist, Encoding.PQ, m, 8, refine, 0), spec);
    assertTrue(spec.hasRefine());
    // RFlat and Refine(Flat) are one spec; toString is the canonical form and parses back.
    assertEquals(canonical, spec.toString());
    assertEquals(spec, IndexSpec.parse(spec.toString()));
    // What the model file and the shards describe: the same index without the refine stage.
    assertEquals(IndexSpec.pq(nlist, m), spec.base());
    assertEquals("IVF" + nlist + ",PQ" + m, spec.base().toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"IVF1024,Flat,RFlat", "IVF1024,Flat,Refine(SQ8)",
      "IVF1024,PQ16,Refine(SQ4)", "IVF1024,PQ16,Refine", "IVF1024,PQ16,Refine()",
      "IVF1024,PQ16,Refine(sq8)", "IVF1024,PQ16,RFlat,RFlat", "IVF1024,PQ16,RFlat,",
      "IVF1024,PQ16,SQ8", "IVF1024,PQ16x4,RFlat", "IVF1024,RFlat"})
  void rejectsOtherRefineFormsNamingTheString(String s) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IndexSpec.parse(s));
    assertTrue(e.getMessage().contains("'" + s + "'"), e.getMessage());
  }

  @Test
  void rejectionMessageListsTheAcceptedForms() {
    IllegalArgumentException e = assertThrows(
        IllegalArgumentException.class, () -> IndexSpec.parse("IVF1024,PQ16,Refine(SQ4)"));
    assertEquals("unknown index type 'IVF1024,PQ16,Refine(SQ4)': expected IVF{nlist},Flat,"
        + " IVF{nlist},PQ{m} or IVF{nlist},PQ{m}x4fs, the PQ forms optionally followed by ,RFlat"
        + " or ,Refine(SQ8), IVF{nlist}_HNSW{M} for an HNSW coarse quantizer, or HNSW{M} or"
        + " HNSW{M},SQ8[,RFlat], e.g. IVF1024,PQ16, IVF1024,PQ32x4fs,RFlat,"
        + " IVF65536_HNSW32,PQ16 or HNSW32",
        e.getMessage());
  }

  /** HNSW{M}: one Flat list per shard and a graph over its items; the model is IVF1,Flat. */
  @Test
  void graphForms() {
    IndexSpec g = IndexSpec.parse("HNSW32");
    assertTrue(g.isGraph());
    assertEquals(32, g.graphM());
    assertEquals(0, g.hnswM());
    assertEquals(1, g.nlist());
    assertEquals(Encoding.FLAT, g.encoding());
    assertEquals("HNSW32", g.toString());
    assertEquals(g, IndexSpec.parse("HNSW32,Flat"));
    assertEquals(g, IndexSpec.graph(32));
    assertEquals(IndexSpec.flat(1), g.base());
    assertEquals(4 * 128, g.codeSize(128));
    assertFalse(IndexSpec.parse("IVF1024_HNSW32,Flat").isGraph());
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> IndexSpec.parse("HNSW32,RFlat"));
    assertTrue(e.getMessage().contains("only HNSW{M},SQ8 takes a refine stage"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new IndexSpec(2, Encoding.FLAT, 0, 0, Refine.NONE, 0, 32));
    assertThrows(IllegalArgumentException.class,
        () -> new IndexSpec(1, Encoding.FLAT, 0, 0, Refine.NONE, 0, 1));
  }

  /** HNSW{M},SQ8: d bytes per vector under the same graph; its model is IVF1,SQ8. */
  @Test
  void sq8GraphForms() {
    IndexSpec g = IndexSpec.parse("HNSW16,SQ8");
    assertTrue(g.isGraph());
    assertEquals(16, g.graphM());
    assertEquals(Encoding.SQ8, g.encoding());
    assertEquals(IndexSpec.graph(16, Encoding.SQ8), g);
    assertEquals("HNSW16,SQ8", g.toString());
    assertEquals(128, g.codeSize(128));
    assertEquals(new IndexSpec(1, Encoding.SQ8, 0, 0), g.base());
    assertFalse(g.hasRefine());
    IndexSpec r = IndexSpec.parse("HNSW16,SQ8,RFlat");
    assertEquals(Refine.FLAT, r.refine());
    assertEquals("HNSW16,SQ8,RFlat", r.toString());
    assertEquals(r, IndexSpec.parse("HNSW16,SQ8,Refine(Flat)"));
    assertEquals(g.base(), r.base());
    // IVF lists of SQ8 codes are not built: the encoding exists only as a graph's model.
    assertThrows(IllegalArgumentException.class,
        () -> new IndexSpec(4, Encoding.SQ8, 0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new IndexSpec(1, Encoding.SQ8, 0, 0, Refine.FLAT, 0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> new IndexSpec(1, Encoding.SQ8, 0, 0, Refine.SQ8, 0, 16));
  }

  @Test
  void withRefineAndBase() {
    IndexSpec pq = IndexSpec.pq(1024, 16);
    assertSame(Refine.NONE, pq.refine());
    assertFalse(pq.hasRefine());
    assertEquals(new IndexSpec(1024, Encoding.PQ, 16, 8, Refine.NONE, 0), pq);
    assertEquals(pq, pq.base());

    IndexSpec sq8 = pq.withRefine(Refine.SQ8);
    assertEquals(IndexSpec.parse("IVF1024,PQ16,Refine(SQ8)"), sq8);
    assertSame(Refine.SQ8, sq8.refine());
    assertEquals(pq, sq8.base());
    assertEquals(IndexSpec.parse("IVF1024,PQ16,RFlat"), sq8.withRefine(Refine.FLAT));
    assertEquals(pq, sq8.withRefine(Refine.NONE));
    // The refine stage changes nothing the lists store.
    assertEquals(pq.codeSize(784), sq8.codeSize(784));

    IndexSpec flat = IndexSpec.flat(8);
    assertEquals(flat, flat.base());
    assertEquals(flat, flat.withRefine(Refine.NONE));
  }

  @Test
  void refineBytesPerVector() {
    assertEquals(0, Refine.NONE.bytesPerVector(784));
    assertEquals(4 * 784, Refine.FLAT.bytesPerVector(784));
    assertEquals(784, Refine.SQ8.bytesPerVector(784));
    assertEquals(4, Refine.FLAT.bytesPerVector(1));
    assertEquals(1, Refine.SQ8.bytesPerVector(1));
  }

  @Test
  void refineCodes() throws CorruptIndexException {
    assertEquals(0, Refine.FLAT.code);
    assertEquals(1, Refine.SQ8.code);
    assertSame(Refine.FLAT, Refine.fromCode(0, "f"));
    assertSame(Refine.SQ8, Refine.fromCode(1, "f"));
    // NONE has a code only as a placeholder: no refine file records it.
    for (int code : new int[] {Refine.NONE.code, 2, Integer.MIN_VALUE}) {
      CorruptIndexException e = assertThrows(CorruptIndexException.class,
          () -> Refine.fromCode(code, "v/refine-00000.kiln"));
      assertEquals("v/refine-00000.kiln: unknown refine encoding code " + code, e.getMessage());
    }
  }

  @Test
  void constructorGuardsTheRefineStage() {
    for (Refine r : new Refine[] {Refine.FLAT, Refine.SQ8}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new IndexSpec(4, Encoding.FLAT, 0, 0, r, 0));
      assertEquals("a refine stage needs compressed codes to refine", e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> IndexSpec.flat(4).withRefine(r));
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new IndexSpec(4, Encoding.PQ, 2, 8, null, 0));
    assertEquals("refine must be given (Refine.NONE for none)", e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    "'IVF65536_HNSW32,PQ16',       65536, 32, 'IVF65536_HNSW32,PQ16'",
    "'IVF16384_HNSW32,PQ16np',     16384, 32, 'IVF16384_HNSW32,PQ16'",
    "'IVF256_HNSW8,Flat',          256,   8,  'IVF256_HNSW8,Flat'",
    "'IVF256_HNSW16,PQ8,RFlat',    256,   16, 'IVF256_HNSW16,PQ8,RFlat'",
  })
  void parsesTheHnswCoarseQuantizer(String s, int nlist, int m, String canonical) {
    IndexSpec spec = IndexSpec.parse(s);
    assertEquals(nlist, spec.nlist());
    assertEquals(m, spec.hnswM());
    assertTrue(spec.hasCoarseGraph());
    assertEquals(canonical, spec.toString());
    assertEquals(spec, IndexSpec.parse(canonical));
    // The graph belongs to the model: the base spec keeps it, the refine stage does not.
    assertEquals(m, spec.base().hnswM());
    assertFalse(IndexSpec.parse("IVF256,Flat").hasCoarseGraph());
    assertEquals(spec, spec.withHnsw(0).withHnsw(m));
  }
}
