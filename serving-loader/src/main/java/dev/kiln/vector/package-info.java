/**
 * Distance kernels: {@link dev.kiln.vector.VectorKernels} (dot products, squared L2, IVF-Flat
 * list scans, the {@code dots1x64} / {@code dots4x64} panel kernels of the coarse step, PQ
 * tables and k-means, PQ code scans, the 4-bit fast-scan block scan and its byte tables, SQ8,
 * several refine rows at once; the stored-float32 family, IVF-Flat lists and refine rows, in
 * the interface it extends, {@link dev.kiln.vector.ListScanKernels}), written once as portable
 * scalar code ({@code ScalarKernels})
 * and once with the incubating Vector API ({@code PanamaKernels}, with the register-blocked
 * tile kernels in {@code PanamaTileKernels}, the fast-scan kernel in {@code PanamaFastScan} and
 * the multi-row kernels, the HNSW walk's dot4 and the re-rank's squareDistance4, in
 * {@code PanamaRows}, the four-query IVF-Flat scans in {@code PanamaSharedRows}, and the list
 * scans from a {@code float[]} for lists read into the heap in {@code PanamaArrayRows} and
 * {@code ScalarArrayRows});
 * {@link dev.kiln.vector.VectorizationProvider} chooses one per JVM, smoke-testing the Vector
 * API path first (its incubating API differs between JDKs: on JDK 20+, {@code PanamaOnArrays}
 * runs the Vector API where a kernel reads arrays, the scalar code where it reads buffers).
 *
 * <p>May import: the JDK (and {@code jdk.incubator.vector}, only from the Panama classes,
 * loaded by reflection) and nothing of Kiln: every other package computes distances through it.
 */
package dev.kiln.vector;
