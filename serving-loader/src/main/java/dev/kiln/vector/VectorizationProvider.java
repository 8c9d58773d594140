package dev.kiln.vector;

/**
 * Chooses the kernel implementation once per JVM, as Lucene's {@code VectorizationProvider}
 * does: the Vector API path when the JVM was started with {@code --add-modules
 * jdk.incubator.vector}, the portable scalar path otherwise; on JDK 20 and later, whose
 * incubating API has no {@code fromByteBuffer}, the Vector API for the kernels that read arrays
 * and the scalar ones for those that read buffers. {@code -Dkiln.vector=scalar} forces the
 * scalar path. The choice is logged once, with how to enable the faster one.
 */
public final class VectorizationProvider {
  /**
   * The JDK's platform logger: no logging dependency in the loader jar, and a host on SLF4J sees
   * it by adding {@code slf4j-jdk-platform-logging} (java.util.logging otherwise).
   */
  private static final System.Logger LOG = System.getLogger(VectorizationProvider.class.getName());

  private static void info(String message) {
    LOG.log(System.Logger.Level.INFO, message);
  }

  private static void warn(String message) {
    LOG.log(System.Logger.Level.WARNING, message);
  }
  private static final String MODULE = "jdk.incubator.vector";
  private static final VectorKernels KERNELS = choose();

  private VectorizationProvider() {}

  /**
   * The kernels every caller in this JVM uses, chosen once when this class initializes.
   *
   * @return the shared kernels: stateless, safe from any thread
   */
  public static VectorKernels kernels() {
    return KERNELS;
  }

  /**
   * The scalar reference kernels, for tests that compare implementations.
   *
   * @return a new instance
   */
  public static VectorKernels scalar() {
    return new ScalarKernels();
  }

  /**
   * The Vector API kernels, or null when the module is not available in this JVM. On a JDK
   * whose incubating API has no {@code fromByteBuffer} (JDK 20 and later), the Vector API for
   * the kernels that read arrays and the scalar ones for those that read buffers
   * ({@code PanamaOnArrays}).
   *
   * @return a new instance that passed the smoke test, or null when the module is absent or not
   *     even the array kernels run (this JDK's incubating API differs; logged as a warning)
   */
  public static VectorKernels panama() {
    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
      return null;
    }
    VectorKernels k;
    try {
      k = (VectorKernels) Class.forName("dev.kiln.vector.PanamaKernels")
          .getDeclaredConstructor().newInstance();
      smokeTestArrays(k);
    } catch (ReflectiveOperationException | LinkageError e) {
      warn("Vector API present but unusable in this JDK (" + e + "); using scalar kernels");
      return null;
    }
    try {
      smokeTestBuffers(k);
      return k;
    } catch (LinkageError e) {
      // The incubating API changes between JDKs: 20 replaced fromByteBuffer with
      // fromMemorySegment, which only shows when a kernel first runs (NoSuchMethodError).
      return new PanamaOnArrays(k);
    }
  }

  /** Runs each kind of Vector API call the array kernels make once, long enough to SIMD. */
  private static void smokeTestArrays(VectorKernels k) {
    int n = 4 * VectorKernels.PANEL;
    float[] q = new float[n];
    float[] out = new float[n];
    k.dot(q, 0, q, 0, n);
    k.dot4(q, 0, q, 0, 0, 0, 0, n, out, 0);
    k.squareDistance4(q, 0, q, 0, 0, 0, 0, n, out, 0);
    k.squareDistances(q, q, 0, 2, VectorKernels.PANEL, out);
    k.dots(q, q, 0, 2, VectorKernels.PANEL, out);
    k.argMin64(q, 0, q, 0, 1f);
    k.atMost64(q, 0, q, 0, 1f);
    k.dots4x64(q, 0, 0, 0, 0, new float[VectorKernels.PANEL * 4], 0, 4, out);
    k.dots1x64(q, 0, new float[VectorKernels.PANEL * 4], 0, 4, out, 0);
    k.quantizeTables(new float[16 * 16 + 48], 16, new byte[16 * 16 + 16], new float[1 + 16 + 16]);
  }

  /** Runs each kind of Vector API call the buffer kernels make once, long enough to SIMD. */
  private static void smokeTestBuffers(VectorKernels k) {
    int n = 4 * VectorKernels.PANEL;
    float[] q = new float[n];
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8 * n)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    k.squareDistance(q, b, 0, n);
    k.squareDistance4(q, b, 0, b, 0, b, 0, b, 0, n, out);
    k.dots(q, b, 0, 2, VectorKernels.PANEL, out);
    k.pqDistances(b, 0, 2, 16, new float[16 * 256], 0f, out);
    k.sq8SquareDistance(q, q, b, 0, n);
    k.sq8Dot(q, b, 0, n);
    k.addScaled(b, 0, 1f, q, out, n);
    k.fastScan(b, 0, 1, 8, new byte[16 * 16 + 16], Short.MAX_VALUE, 0f, 1f, out);
  }

  private static VectorKernels choose() {
    if ("scalar".equals(System.getProperty("kiln.vector"))) {
      info("Kiln vector kernels: scalar (forced by -Dkiln.vector=scalar)");
      return new ScalarKernels();
    }
    VectorKernels k = panama();
    if (k instanceof PanamaOnArrays) {
      // The jar's JDK 25 layer reads float32 rows through their MemorySegment (SegmentRows).
      String scalar = SegmentRows.available()
          ? "SQ8 and fast-scan list scans run scalar (IVF-Flat rows: fromMemorySegment)"
          : "IVF-Flat, SQ8 and fast-scan list scans run scalar";
      info("Kiln vector kernels: " + k.name() + " (this JDK's " + MODULE + " has no"
          + " fromByteBuffer: " + scalar + "; JDK 17 runs them with the Vector API)");
      return k;
    }
    if (k != null) {
      info("Kiln vector kernels: " + k.name());
      return k;
    }
    if (ModuleLayer.boot().findModule(MODULE).isPresent()) {
      info("Kiln vector kernels: scalar (this JDK's " + MODULE + " differs from JDK 17's,"
          + " which the SIMD path is written against)");
    } else {
      info("Kiln vector kernels: scalar; start the JVM with --add-modules " + MODULE
          + " for the faster SIMD path");
    }
    return new ScalarKernels();
  }
}
