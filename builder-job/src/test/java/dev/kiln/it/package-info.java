/**
 * Whole-scenario tests: the CLI end to end, a real Spark in local mode or a standalone cluster
 * ({@code LocalClusterIT}), real Parquet, HDFS ({@code MiniDFSCluster}, {@code SyncHdfsIT}) and
 * real Faiss; plus the golden files ({@code GoldenFilesTest}) and the architecture rules
 * ({@code ArchitectureTest}). They reach the code only through its public API, as a user or a
 * serving node would.
 *
 * <p>Unit tests live in the package of the class they test. One whole-scenario test stays there
 * too: {@code dev.kiln.faiss.FaissInteropTest}, which runs real Faiss through Python, reads the
 * exports back with the package-private {@code FaissIndexReader}. Shared test support (data,
 * CLI runs, the local Spark, child JVMs, a faulty file system) is {@code dev.kiln.testing}.
 */
package dev.kiln.it;
