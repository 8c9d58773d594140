/**
 * Stage write.shards: counts items per (shard, list) ({@link dev.kiln.job.write.ListCounts}),
 * sorts each shard by (list, id) and streams shard, keys and refine files to per-attempt names
 * ({@link dev.kiln.job.write.ShardFilesWriter}); only attempts whose results the driver
 * collected are kept ({@link dev.kiln.job.write.WrittenFile}). Also the Hadoop configuration
 * the executors see ({@link dev.kiln.job.write.HadoopConf}).
 *
 * <p>May import: {@code dev.kiln.format}, {@code job.encode.EncodedItem} (its input),
 * {@code dev.kiln.store.IndexRoot} (files written as a root's are), Spark and Hadoop; not the
 * orchestrator or {@code dev.kiln.cli}.
 */
package dev.kiln.job.write;
