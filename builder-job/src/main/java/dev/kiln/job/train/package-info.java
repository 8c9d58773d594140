/**
 * Stages train.coarse and train.pq (and the SQ8 ranges of refine): the seeded training sample
 * ({@link dev.kiln.job.train.TrainingSample}, {@link dev.kiln.job.train.VectorBlock}),
 * coarse training ({@link dev.kiln.job.train.CoarseTrainer}): distributed k-means with the
 * ordered merge of {@link dev.kiln.job.train.ClusterSums} ({@link dev.kiln.job.train.DistributedKMeans},
 * {@code OrderedReduce}) or two-level ({@link dev.kiln.job.train.TwoLevelKMeans}), seeds
 * ({@link dev.kiln.job.train.KMeansSeeds}: Smile's k-means++, or uniform), per-sub-space PQ training
 * ({@link dev.kiln.job.train.PqTrainer}, {@link dev.kiln.job.train.LocalKMeans}) and
 * {@link dev.kiln.job.train.Sq8Trainer}. (train.graph, the HNSW graph over the centroids, is
 * {@link dev.kiln.job.graph.HnswBuilder}'s.)
 *
 * <p>May import: {@code dev.kiln.format}, the loader's {@code quantize} and {@code vector},
 * {@code job.read.Item} (the stage's input), Spark, Smile (GPL-3.0: this package alone, never
 * the loader); not the orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.train;
