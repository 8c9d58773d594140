package dev.kiln.cli;

import dev.kiln.errors.InvalidOptionException;
import dev.kiln.tools.SyntheticData;
import dev.kiln.tools.Vecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Writes a {@link SyntheticData} set as .fvecs/.ivecs files; options and output only. */
@Command(name = "sample", mixinStandardHelpOptions = true,
    description = {
      "Generate synthetic embeddings and their exact nearest neighbours.",
      "A latent-factor model with clusters, like two-tower item embeddings. Writes",
      "DIR/base.fvecs, DIR/query.fvecs and DIR/groundtruth.ivecs (per query, the",
      "row numbers of its 100 nearest base vectors by L2, nearest first; 'kiln",
      "convert' uses row numbers as ids)."
    },
    footer = {"", "Example:",
        "  kiln sample --out data --n 100000 --queries 1000 --dim 64"})
final class SampleCommand implements Callable<Integer> {
  static final String BASE = "base.fvecs";
  static final String QUERY = "query.fvecs";
  static final String GROUND_TRUTH = "groundtruth.ivecs";

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "Output directory (created if missing; its three files are overwritten).")
  Path out;

  @Option(names = "--n", defaultValue = "20000", description = "Base vectors (default: ${DEFAULT-VALUE}).")
  int n;

  @Option(names = "--queries", defaultValue = "500", description = "Query vectors (default: ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--dim", defaultValue = "64", description = "Dimension (default: ${DEFAULT-VALUE}).")
  int dim;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() throws Exception {
    if (n < 1 || queries < 1 || dim < 1) {
      throw new InvalidOptionException("--n, --queries and --dim must be at least 1");
    }
    if (dim > Vecs.MAX_DIM) {
      throw new InvalidOptionException("--dim " + dim + " is above " + Vecs.MAX_DIM
          + ", the largest dimension Kiln reads from .fvecs files");
    }
    checkHeap();
    OutputPaths.checkDirectory("--out", out); // before the generation, which can take minutes
    long t0 = System.nanoTime();
    SyntheticData data = SyntheticData.generate(n, queries, dim, seed);
    long t1 = System.nanoTime();
    int[][] gt = SyntheticData.groundTruth(data.base(), data.queries(), SyntheticData.GROUND_TRUTH_K);
    long t2 = System.nanoTime();
    Files.createDirectories(out);
    Vecs.writeFloats(out.resolve(BASE), data.base());
    Vecs.writeFloats(out.resolve(QUERY), data.queries());
    Vecs.writeInts(out.resolve(GROUND_TRUTH), gt);
    System.out.printf("generated %,d base and %,d query vectors, dim %d, seed %d (%.1f s)%n",
        n, queries, dim, seed, (t1 - t0) / 1e9);
    System.out.printf("ground truth: exact top-%d by L2 (%.1f s)%n", gt[0].length, (t2 - t1) / 1e9);
    System.out.printf("wrote %s, %s, %s%n", out.resolve(BASE), out.resolve(QUERY),
        out.resolve(GROUND_TRUTH));
    return 0;
  }

  /** Everything is generated in the heap: refuse sizes it cannot hold instead of dying. */
  private void checkHeap() {
    long need = SyntheticData.heapBytes(n, queries, dim);
    Runtime rt = Runtime.getRuntime();
    long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    if (need > free) {
      throw new InvalidOptionException(String.format(java.util.Locale.ROOT, "--n %,d and --queries %,d"
          + " of --dim %d need %,d MiB of heap, %,d MiB are free: lower them, or raise -Xmx"
          + " (KILN_JAVA_OPTS)", n, queries, dim, need >> 20, free >> 20));
    }
  }
}
