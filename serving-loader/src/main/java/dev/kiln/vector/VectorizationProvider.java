package dev.kiln.vector;

import java.util.logging.Logger;

/**
 * Chooses the kernel implementation once per JVM, as Lucene's {@code VectorizationProvider}
 * does. Only the portable scalar path exists in this release; the Vector API
 * ({@code jdk.incubator.vector}) path plugs in here, chosen only when the module is present.
 * Set {@code -Dkiln.vector=scalar} to force the scalar path.
 */
public final class VectorizationProvider {
  private static final Logger LOG = Logger.getLogger(VectorizationProvider.class.getName());
  private static final VectorKernels KERNELS = choose();

  private VectorizationProvider() {}

  public static VectorKernels kernels() {
    return KERNELS;
  }

  /** The scalar reference kernels, for tests that compare implementations. */
  public static VectorKernels scalar() {
    return new ScalarKernels();
  }

  private static VectorKernels choose() {
    VectorKernels k = new ScalarKernels();
    LOG.fine(() -> "Kiln vector kernels: " + k.name());
    return k;
  }
}
