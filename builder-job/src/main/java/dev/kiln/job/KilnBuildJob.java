package dev.kiln.job;

import dev.kiln.errors.InvalidInputException;
import dev.kiln.errors.InvalidOptionException;
import dev.kiln.errors.KilnException;
import dev.kiln.job.config.BuildConfig;
import dev.kiln.job.config.CoarseTraining;
import dev.kiln.job.config.KilnVersion;
import dev.kiln.job.encode.EncodedItem;
import dev.kiln.job.evaluate.BuildEvaluation;
import dev.kiln.job.encode.Encoder;
import dev.kiln.job.encode.ModelBroadcast;
import dev.kiln.job.publish.BuildFingerprint;
import dev.kiln.job.publish.Publisher;
import dev.kiln.job.plan.AutoIndex;
import dev.kiln.job.plan.MemoryCheck;
import dev.kiln.job.report.BuildReport;
import dev.kiln.job.read.InputFiles;
import dev.kiln.job.read.InputReader;
import dev.kiln.job.read.Item;
import dev.kiln.job.read.ReadFailures;
import dev.kiln.job.graph.HnswBuilder;
import dev.kiln.job.train.CoarseTrainer;
import dev.kiln.job.train.DistributedKMeans;
import dev.kiln.job.train.PqTrainer;
import dev.kiln.job.train.Sq8Trainer;
import dev.kiln.job.train.TrainingSample;
import dev.kiln.job.train.VectorBlock;
import dev.kiln.job.write.GraphShardsWriter;
import dev.kiln.job.write.HadoopConf;
import dev.kiln.job.write.ListCounts;
import dev.kiln.job.write.ShardFilesWriter;
import dev.kiln.job.write.WrittenFile;
import dev.kiln.format.HnswSection;
import dev.kiln.format.FormatOutput;
import dev.kiln.format.IndexSpec;
import dev.kiln.format.BuildInfo;
import dev.kiln.format.Manifest;
import dev.kiln.format.ModelFile;
import dev.kiln.format.Quality;
import dev.kiln.quantize.IndexModel;
import dev.kiln.quantize.ScalarQuantizer;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build, start to finish: read and validate, sample, train the coarse quantizer and the PQ,
 * encode every item, write the shards, publish. Every stage runs on the executors except the
 * small driver-side steps (k-means++ seeding on a few thousand points, centroid updates, the
 * model file). Nothing is visible under the index root until the final publish.
 */
public final class KilnBuildJob {
  private static final Logger LOG = LoggerFactory.getLogger(KilnBuildJob.class);

  private final SparkSession spark;
  private final BuildConfig cfg;
  private BuildProgress.Mode progress = BuildProgress.Mode.LINES;

  public KilnBuildJob(SparkSession spark, BuildConfig cfg) {
    this.spark = spark;
    this.cfg = cfg;
  }

  /** How the job shows progress (default: log lines). */
  public KilnBuildJob progress(BuildProgress.Mode mode) {
    this.progress = mode;
    return this;
  }

  public BuildResult run() throws IOException {
    try (BuildProgress p = BuildProgress.attach(spark.sparkContext(), progress)) {
      return run(new StageTimer(p));
    } catch (Exception e) {
      // Any stage may read the input again (Spark recomputes); a file it cannot read is bad
      // input wherever that happens, not an unexpected failure. (SparkException is checked in
      // Java's eyes but thrown undeclared, hence Exception; the rethrow keeps the declared types.)
      KilnException k = ReadFailures.translate(e);
      if (k != null) {
        throw k;
      }
      throw e;
    }
  }

  private BuildResult run(StageTimer timer) throws IOException {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    timer.start("read");
    // A re-run of a build that published is found before any work: cheap, and a no-op.
    // One listing for both: the fingerprint counts exactly the files the reader reads.
    InputFiles files = InputFiles.list(cfg.input(), jsc.hadoopConfiguration());
    Map<String, String> fingerprint = BuildFingerprint.of(cfg, files);
    Publisher.Published done = Publisher.findPublished(
        jsc.hadoopConfiguration(), cfg.output(), cfg.versionId(), fingerprint);
    if (done != null) {
      LOG.info("{} is already published from the same input and parameters; {}",
          done.versionDir(), done.latest());
      return new BuildResult(done.versionDir().toString(), done.manifest(), timer.total(), true,
          done.latest());
    }
    // Once the dimension is known, before the input is read in full: a dimension no task can
    // hold fails now, not in an executor's OutOfMemoryError. The samples (PQ, evaluation) are
    // checked once the row count is known, below.
    InputReader.Input input = new InputReader(spark, cfg, files).read(dim -> {
      if (cfg.spec() != null) {
        MemoryCheck.check(spark.sparkContext(), dim, cfg.spec(), 0, 0);
      }
    });
    int dim = input.dim();
    long n = input.count();
    int partitions = input.partitions();
    JavaRDD<Item> items = input.items();
    JavaRDD<VectorBlock> train = null;
    JavaRDD<EncodedItem> encoded = null;
    Publisher pub = null;
    try {
      LOG.info("input: {} valid rows of dimension {} ({} ids) in {} partitions, {} rejected{}", n,
          dim, input.idType().name().toLowerCase(Locale.ROOT), partitions,
          input.rejects().total(),
          input.rejects().total() > 0 ? " (" + input.rejects().summary() + ")" : "");
      IndexSpec spec = chooseIndex(n, dim);
      checkSizes(spec, n);
      timer.plan(BuildStages.of(spec, cfg.evaluation().enabled()));
      MemoryCheck.check(spark.sparkContext(), dim, spec, Math.min(n, cfg.pqTrainingPoints()),
          Math.min(n, cfg.evaluation().sampleSize()));
      int shards = shards(spec, n, dim);
      pub = Publisher.prepare(
          jsc.hadoopConfiguration(), cfg.output(), cfg.versionId(), cfg.stagingGrace());

      long trainRows = 0;
      CoarseTraining coarseTraining = cfg.coarseTraining().resolve(spec.nlist());
      DistributedKMeans.Result coarse;
      if (spec.isGraph()) {
        // One list, which every item is in: nothing to train. Its centroid is never a residual's
        // origin (Flat lists hold the vectors themselves).
        coarse = new DistributedKMeans.Result(new float[dim], new long[] {n}, 0, 0);
      } else {
        timer.start("train.coarse", cfg.kmeansIterations());
        long nTrain = Math.min(n, (long) cfg.pointsPerCentroid() * spec.nlist());
        train = TrainingSample.blocks(items, (double) nTrain / n, cfg.seed(), dim)
            .persist(StorageLevel.MEMORY_AND_DISK());
        trainRows = TrainingSample.rows(train);
        coarse = CoarseTrainer.train(jsc, items, n, train, spec.nlist(), dim, cfg.metric(),
            cfg.kmeansIterations(), coarseTraining == CoarseTraining.TWO_LEVEL, cfg.seed(),
            timer::iteration);
      }

      float[] codebooks = null;
      long pqRows = 0;
      ScalarQuantizer sq8 = null;
      if (spec.encoding() == IndexSpec.Encoding.PQ) {
        timer.start("train.pq");
        // The coarse sample serves only when it already holds every row; otherwise PQ gets its
        // own sample of pqTrainingPoints rows (all rows when there are no more than that).
        double f = (double) cfg.pqTrainingPoints() / n;
        boolean reuse = f >= 1 && trainRows == n;
        JavaRDD<VectorBlock> pqSample = reuse ? train
            : TrainingSample.blocks(items, f, cfg.seed() + 1, dim);
        pqRows = reuse ? trainRows : TrainingSample.rows(pqSample);
        int ksub = spec.pqCentroids();
        if (pqRows < ksub) {
          throw new InvalidInputException("PQ training needs at least " + ksub
              + " vectors; the sample has " + pqRows + " (input: " + n + " valid rows)");
        }
        codebooks = PqTrainer.train(jsc, pqSample, coarse.centroids(), spec.nlist(), dim,
            cfg.metric(), spec.pqM(), ksub, cfg.pqIterations(), cfg.seed());
        if (spec.refine() == IndexSpec.Refine.SQ8) {
          sq8 = Sq8Trainer.train(pqSample, dim);
        }
      } else if (spec.encoding() == IndexSpec.Encoding.SQ8) {
        // HNSW{M},SQ8: the ranges of every item, one cheap pass (min and max), so no stored
        // vector is clamped. They are the model's "codebooks": base then step.
        timer.start("train.sq8");
        sq8 = Sq8Trainer.train(TrainingSample.blocks(items, 1, cfg.seed(), dim), dim);
        codebooks = sq8.parameters();
      }
      if (train != null) {
        train.unpersist(true);
        train = null;
      }

      HnswSection graph = null;
      if (spec.hasCoarseGraph()) {
        timer.start("train.graph");
        graph = HnswBuilder.build(
            coarse.centroids(), spec.nlist(), dim, cfg.metric(), spec.hnswM(), cfg.seed());
      }

      timer.start("write.model");
      // A graph index's model is its one Flat list; others keep the refine stage the encoder needs.
      IndexModel model = new IndexModel(cfg.metric(), spec.isGraph() ? spec.base() : spec, dim,
          coarse.centroids(), codebooks, graph);
      int modelCrc;
      long modelBytes;
      try (FormatOutput out = pub.create(ModelFile.NAME)) {
        // No precomputed L2 table for 8-bit PQ: shards carry each item's L2 term (format version
        // 2 on), and the table (nlist x M x 256 floats, 1 GiB at IVF65536,PQ16) only served older
        // shards. Fast-scan under l2 keeps it (16 entries per sub-space, nlist x M x 64 bytes):
        // a probed list's lookup table is then its row minus twice the query's, M x 16 adds.
        float[] l2Table = spec.isFastScan() ? model.precomputedL2Table() : null;
        modelCrc = ModelFile.write(out, cfg.metric(), dim, spec.base(), coarse.centroids(),
            codebooks, l2Table, graph);
        modelBytes = out.position();
      }
      pub.record(ModelFile.NAME, modelBytes, modelCrc);

      ListCounts counts;
      if (spec.isGraph()) {
        timer.start("write.graphs");
        GraphShardsWriter.Written written = GraphShardsWriter.write(items, jsc.broadcast(
            new GraphShardsWriter.Plan(pub.attemptDir().toString(), shards, dim, input.idType(),
                modelCrc, new HadoopConf(jsc.hadoopConfiguration()), spec.graphM(),
                cfg.efConstruction(), cfg.metric(), cfg.seed(), sq8,
                spec.refine() == IndexSpec.Refine.FLAT)), shards);
        pub.commit(written.files());
        counts = written.counts();
      } else {
        timer.start("encode");
        Broadcast<ModelBroadcast> bcModel =
            jsc.broadcast(ModelBroadcast.of(model, cfg.exactAssignment(), sq8));
        encoded = Encoder.encode(items, bcModel, shards).persist(StorageLevel.MEMORY_AND_DISK());
        counts = ListCounts.of(encoded, shards, spec.nlist());

        timer.start("write.shards");
        Broadcast<ShardFilesWriter.Plan> plan = jsc.broadcast(new ShardFilesWriter.Plan(
            pub.attemptDir().toString(), shards, dim, model.codeSize(), spec.isFastScan(),
            model.termBytes(),
            input.idType(), modelCrc,
            counts, new HadoopConf(jsc.hadoopConfiguration()), spec.refine(),
            sq8 == null ? null : sq8.base(), sq8 == null ? null : sq8.step()));
        List<WrittenFile> written = ShardFilesWriter.write(encoded, plan, shards);
        pub.commit(written);
        encoded.unpersist(true);
        encoded = null;
      }
      if (input.rejects().total() > 0) {
        Dataset<Row> rejected = input.rejected();
        if (input.duplicates().rows() > 0) {
          rejected = rejected.union(spark.createDataFrame(input.dropped(), rejected.schema()));
        }
        rejected.write().parquet(pub.staging() + "/_rejects");
      }

      BuildInfo build = buildInfo(input, fingerprint, partitions, trainRows, coarseTraining, coarse,
          pqRows);
      String idType = input.idType().name().toLowerCase(Locale.ROOT);
      Quality quality = null;
      if (cfg.evaluation().enabled()) {
        timer.start("evaluate");
        Manifest staged = Manifest.builder().version(cfg.versionId())
            .createdAt(Instant.now().toString()).index(spec.toString())
            .metric(cfg.metric().cliName()).dim(dim).count(counts.total()).idType(idType)
            .shards(shards).files(pub.files()).lists(counts.listStatistics()).build(build)
            .create();
        quality = BuildEvaluation.run(spark, cfg.evaluation(), items, staged, pub.staging(),
            cfg.vectorColumn(), cfg.seed());
      }

      timer.start("publish");
      Manifest manifest = Manifest.builder().version(cfg.versionId())
          .createdAt(Instant.now().toString()).index(spec.toString())
          .metric(cfg.metric().cliName()).dim(dim).count(counts.total()).idType(idType)
          .shards(shards).files(pub.files()).lists(counts.listStatistics()).build(build)
          .timings(timer.seconds()).quality(quality).create();
      BuildReport.writeTo(pub::writeUnlisted, manifest, counts.totalListSizes(),
          pub.latestManifest());
      pub.publish(manifest);
      double seconds = timer.total();
      LOG.info("published {} ({} items, {} shards) in {} s", pub.versionDir(), counts.total(),
          shards, String.format("%.1f", seconds));
      return new BuildResult(pub.versionDir().toString(), manifest, seconds);
    } catch (RuntimeException | IOException | Error e) {
      if (pub != null) {
        pub.abort();
      }
      throw e;
    } finally {
      // Blocking, so no cleanup is still running when the caller stops the session.
      if (encoded != null) {
        encoded.unpersist(true);
      }
      if (train != null) {
        train.unpersist(true);
      }
      input.release();
    }
  }

  /** The manifest's {@code build} object: what the version was built from and how. */
  private BuildInfo buildInfo(InputReader.Input input, Map<String, String> fingerprint,
      int partitions, long trainRows, CoarseTraining coarseTraining,
      DistributedKMeans.Result coarse, long pqRows) {
    BuildInfo.Builder build = BuildInfo.builder()
        .input(cfg.input())
        .fingerprint(fingerprint)
        .seed(cfg.seed())
        .partitions(partitions)
        .trainingPoints(trainRows)
        .kmeansIterations(cfg.kmeansIterations())
        .kmeansObjective(coarse.objective())
        .coarseTraining(coarseTraining.cliName());
    if (pqRows > 0) {
      build.pqTrainingPoints(pqRows).pqIterations(cfg.pqIterations());
    }
    return build
        .rejected(input.rejects().total())
        .rejectReasons(input.rejects().byReason())
        .spark(spark.version())
        .kiln(KilnVersion.get())
        .build();
  }

  /** The index type: given, or chosen by {@link AutoIndex}; either way within the budget. */
  private IndexSpec chooseIndex(long n, int dim) {
    long budget = cfg.memoryBudget();
    if (cfg.spec() == null) {
      try {
        IndexSpec chosen = AutoIndex.choose(n, dim, cfg.metric(), budget);
        LOG.info("--index auto: {} for {} vectors of dimension {}{} ({} to serve)", chosen, n,
            dim, budget > 0 ? " within --memory-budget " + AutoIndex.human(budget) : "",
            AutoIndex.human(AutoIndex.bytes(chosen, n, dim, cfg.metric())));
        return chosen;
      } catch (IllegalArgumentException e) {
        throw new InvalidOptionException(e.getMessage());
      }
    }
    long needs = AutoIndex.bytes(cfg.spec(), n, dim, cfg.metric());
    if (budget > 0 && needs > budget) {
      throw new InvalidOptionException(String.format(Locale.ROOT,
          "%s for %d vectors of dimension %d needs %s to serve, over --memory-budget %s; use a"
              + " smaller PQ code, or --index auto", cfg.spec(), n, dim, AutoIndex.human(needs),
          AutoIndex.human(budget)));
    }
    return cfg.spec();
  }

  private static void checkSizes(IndexSpec spec, long n) {
    if (n < spec.nlist()) {
      throw new InvalidInputException("IVF" + spec.nlist() + " needs at least " + spec.nlist()
          + " vectors to train " + spec.nlist() + " lists; the input has " + n + " valid rows");
    }
  }

  /**
   * The shard count, decided before any training: given, or enough for the data size; never
   * more than the items (more would only be empty files: thousands of them for a mistyped
   * {@code --shards}; a nightly job whose input shrank should still build, so it is lowered and
   * logged, not refused); and with a list-size table that fits in a task.
   */
  private int shards(IndexSpec spec, long n, int dim) {
    // Each shard's files stay under the limit: the refine file can be the larger one.
    int shards = cfg.shards() > 0 ? cfg.shards()
        : autoShards(n, Math.max(spec.codeSize(dim), spec.refine().bytesPerVector(dim)));
    if (shards > n) {
      LOG.warn("--shards {} is more than the {} items to build: writing {} shards", shards, n,
          n);
      shards = (int) n;
    }
    MemoryCheck.checkShards(spark.sparkContext(), shards, spec.nlist());
    return shards;
  }

  /** Enough shards that each stays near {@link BuildConfig#TARGET_SHARD_BYTES}. */
  static int autoShards(long n, int codeSize) {
    long bytes = n * (codeSize + 8L);
    return (int) Math.max(1, (bytes + BuildConfig.TARGET_SHARD_BYTES - 1) / BuildConfig.TARGET_SHARD_BYTES);
  }
}
