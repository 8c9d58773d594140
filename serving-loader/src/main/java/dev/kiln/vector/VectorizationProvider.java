package dev.kiln.vector;

import java.util.logging.Logger;

/**
 * Chooses the kernel implementation once per JVM, as Lucene's {@code VectorizationProvider}
 * does: the Vector API path when the JVM was started with {@code --add-modules
 * jdk.incubator.vector}, the portable scalar path otherwise. {@code -Dkiln.vector=scalar}
 * forces the scalar path. The choice is logged once, with how to enable the faster one.
 */
public final class VectorizationProvider {
  private static final Logger LOG = Logger.getLogger(VectorizationProvider.class.getName());
  private static final String MODULE = "jdk.incubator.vector";
  private static final VectorKernels KERNELS = choose();

  private VectorizationProvider() {}

  public static VectorKernels kernels() {
    return KERNELS;
  }

  /** The scalar reference kernels, for tests that compare implementations. */
  public static VectorKernels scalar() {
    return new ScalarKernels();
  }

  /** The Vector API kernels, or null when the module is not available in this JVM. */
  public static VectorKernels panama() {
    if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
      return null;
    }
    try {
      return (VectorKernels) Class.forName("dev.kiln.vector.PanamaKernels")
          .getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException | LinkageError e) {
      LOG.warning("Vector API present but unusable (" + e + "); using scalar kernels");
      return null;
    }
  }

  private static VectorKernels choose() {
    if ("scalar".equals(System.getProperty("kiln.vector"))) {
      LOG.info("Kiln vector kernels: scalar (forced by -Dkiln.vector=scalar)");
      return new ScalarKernels();
    }
    VectorKernels k = panama();
    if (k != null) {
      LOG.info("Kiln vector kernels: " + k.name());
      return k;
    }
    LOG.info("Kiln vector kernels: scalar; start the JVM with --add-modules " + MODULE
        + " for the faster SIMD path");
    return new ScalarKernels();
  }
}
