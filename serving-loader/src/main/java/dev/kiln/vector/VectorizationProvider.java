package dev.kiln.vector;

/**
 * Chooses the kernel implementation once per JVM, as Lucene's {@code VectorizationProvider}
 * does: the Vector API path when the JVM was started with {@code --add-modules
 * jdk.incubator.vector}, the portable scalar path otherwise. {@code -Dkiln.vector=scalar}
 * forces the scalar path. The choice is logged once, with how to enable the faster one.
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
   * The Vector API kernels, or null when the module is not available in this JVM.
   *
   * @return a new instance that passed the smoke test, or null when the module is absent or the
   *     smoke test failed (this JDK's incubating API differs from JDK 17's; logged as a warning)
   */
  public static VectorKernels panama() {
    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
      return null;
    }
    try {
      VectorKernels k = (VectorKernels) Class.forName("dev.kiln.vector.PanamaKernels")
          .getDeclaredConstructor().newInstance();
      smokeTest(k);
      return k;
    } catch (ReflectiveOperationException | LinkageError e) {
      // The incubating API changes between JDKs: 20 replaced fromByteBuffer with
      // fromMemorySegment, which only shows when a kernel first runs (NoSuchMethodError).
      warn("Vector API present but unusable in this JDK (" + e
          + "); using scalar kernels");
      return null;
    }
  }

  /** Runs each kind of Vector API call the kernels make once, on inputs long enough to SIMD. */
  private static void smokeTest(VectorKernels k) {
    int n = 4 * VectorKernels.PANEL;
    float[] q = new float[n];
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(8 * n)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[n];
    k.dot(q, 0, q, 0, n);
    k.squareDistance(q, b, 0, n);
    k.squareDistance4(q, b, 0, b, 0, b, 0, b, 0, n, out);
    k.dots(q, b, 0, 2, VectorKernels.PANEL, out);
    k.pqDistances(b, 0, 2, 16, new float[16 * 256], 0f, out);
    k.sq8SquareDistance(q, q, b, 0, n);
    k.sq8Dot(q, b, 0, n);
    k.addScaled(b, 0, 1f, q, out, n);
    k.dots4x64(q, 0, 0, 0, 0, new float[VectorKernels.PANEL * 4], 0, 4, out);
    k.fastScan(b, 0, 1, 8, new byte[16 * 16 + 16], Short.MAX_VALUE, 0f, 1f, out);
    k.quantizeTables(new float[16 * 16 + 48], 16, new byte[16 * 16 + 16], new float[1 + 16 + 16]);
  }

  private static VectorKernels choose() {
    if ("scalar".equals(System.getProperty("kiln.vector"))) {
      info("Kiln vector kernels: scalar (forced by -Dkiln.vector=scalar)");
      return new ScalarKernels();
    }
    VectorKernels k = panama();
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
