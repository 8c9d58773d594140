package dev.kiln.job.evaluate;

import dev.kiln.search.OpenOptions;
import dev.kiln.errors.QualityGateException;
import dev.kiln.job.config.EvalConfig;
import dev.kiln.job.read.Item;
import dev.kiln.format.IdType;
import dev.kiln.format.Manifest;
import dev.kiln.format.Metric;
import dev.kiln.format.Quality;
import dev.kiln.search.KilnIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The build's evaluation stage: queries (sampled from the input or read from a file), their
 * exact neighbours computed on Spark, then the staged version opened with the real serving
 * loader and searched at each nprobe. Then the publish gate.
 */
public final class BuildEvaluation {
  private static final Logger LOG = LoggerFactory.getLogger(BuildEvaluation.class);

  private BuildEvaluation() {}

  /**
   * Measures the staged version in {@code stagingDir}, whose files {@code staged} lists.
   *
   * @throws dev.kiln.errors.QualityGateException when the gate is set and not met (exit code 5)
   */
  public static Quality run(SparkSession spark, EvalConfig ev, JavaRDD<Item> items,
      Manifest staged, Path stagingDir, String vectorColumn, long seed) throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Metric metric = staged.metricValue();
    boolean strings = staged.idTypeValue() == IdType.STRING;
    int nlist = staged.spec().nlist();
    QuerySet queries = ev.queries() != null
        ? QuerySet.read(spark, ev.queries(), vectorColumn, staged.dim(), metric)
        : QuerySet.sample(items, ev.sampleSize(), seed + 2, strings);
    long t0 = System.nanoTime();
    ExactNeighbors.Result exact =
        ExactNeighbors.compute(jsc, items, queries, ev.k(), metric, strings);
    LOG.info("evaluate: exact top-{} of {} queries over {} items in {} s", ev.k(), queries.size(),
        staged.count(), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));

    // HNSW{M} has one list: its knob is the walk's efSearch.
    boolean graph = staged.spec().isGraph();
    List<Integer> knobs = graph ? ev.efSearches() : ev.nprobesFor(nlist);
    Quality measured;
    try (LocalVersion local = LocalVersion.of(stagingDir, staged, jsc.hadoopConfiguration());
        KilnIndex index = KilnIndex.open(local.dir(), staged, OpenOptions.defaults())) {
      measured = LoaderEvaluation.run(index, queries, exact, ev.k(), knobs, graph, null);
    }
    Quality q = measured;
    if (ev.gated()) {
      int at = graph ? EvalConfig.GRAPH_GATE_EF_SEARCH : Math.min(ev.atNprobe(), nlist);
      double recall = measured.at(at).recall();
      q = new Quality(measured.queries(), measured.querySource(), measured.k(),
          measured.kernels(), measured.threads(), measured.curve(),
          new Quality.Gate(ev.minRecall(), graph ? 1 : at, recall, recall >= ev.minRecall(),
              graph ? at : null));
    }
    LOG.info("evaluate: {}", CurveTable.format(q).stripTrailing());
    if (q.gate() != null && !q.gate().passed()) {
      throw new QualityGateException(String.format(Locale.ROOT,
          "quality gate: recall@%d at %s %d is %.4f, below --min-recall %s; not published"
              + " (LATEST unchanged)", q.k(), q.knob(), q.gate().at(), q.gate().measured(),
          ev.minRecall()));
    }
    return q;
  }

  /**
   * The staged files as a local directory the loader can map: the staging directory itself on a
   * local filesystem, otherwise a temporary copy on the driver, deleted on close.
   */
  private record LocalVersion(java.nio.file.Path dir, boolean copy) implements AutoCloseable {
    static LocalVersion of(Path staging, Manifest staged, Configuration conf) throws IOException {
      FileSystem fs = staging.getFileSystem(conf);
      if (fs instanceof LocalFileSystem local) {
        return new LocalVersion(local.pathToFile(staging).toPath(), false);
      }
      java.nio.file.Path tmp = Files.createTempDirectory("kiln-eval-");
      for (Manifest.FileEntry f : staged.files()) {
        fs.copyToLocalFile(false, new Path(staging, f.name()),
            new Path(tmp.resolve(f.name()).toUri()), true);
      }
      return new LocalVersion(tmp, true);
    }

    @Override
    public void close() throws IOException {
      if (copy) {
        try (var s = Files.list(dir)) {
          for (java.nio.file.Path p : s.toList()) {
            Files.deleteIfExists(p);
          }
        }
        Files.deleteIfExists(dir);
      }
    }
  }
}
