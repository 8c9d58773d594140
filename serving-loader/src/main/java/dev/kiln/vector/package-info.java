/**
 * Distance kernels: {@link dev.kiln.vector.VectorKernels} (dot products, squared L2, the
 * {@code dots4x16} assignment GEMM, {@code axpy}), written once as portable scalar code
 * ({@code ScalarKernels}) and once with the incubating Vector API ({@code PanamaKernels});
 * {@link dev.kiln.vector.VectorizationProvider} chooses one per JVM.
 *
 * <p>May import: the JDK (and {@code jdk.incubator.vector}, only from {@code PanamaKernels},
 * loaded by reflection) and nothing of Kiln: every other package computes distances through
 * it. Imports today: as allowed.
 */
package dev.kiln.vector;
