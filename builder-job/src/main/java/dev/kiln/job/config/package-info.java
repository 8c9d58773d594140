/**
 * What a build is asked to do: {@link dev.kiln.job.config.BuildConfig} (every build parameter
 * and its one default), {@link dev.kiln.job.config.EvalConfig} (the evaluation and the publish
 * gate), {@link dev.kiln.job.config.OnDuplicate}, and {@link dev.kiln.job.config.KilnVersion}
 * (which Kiln builds it, recorded in the manifest).
 *
 * <p>May import: {@code dev.kiln.format} (the index spec and metric) and the JDK. Every stage
 * may import it; it imports no stage.
 */
package dev.kiln.job.config;
