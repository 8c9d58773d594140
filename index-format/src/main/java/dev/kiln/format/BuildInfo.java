package dev.kiln.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/**
 * A manifest's {@code build} object ({@link Manifest#build}): what the version was built from
 * and how. Every field is optional (null is left out of the JSON): a Spark build writes {@code
 * input} to {@code kiln} but {@code importedFrom} and {@code faissType}; {@code kiln
 * import-faiss} writes {@code importedFrom}, {@code faissType}, {@code fingerprint} and {@code
 * kiln}. The JSON field order is the one declared, whichever fields are present. Readers ignore
 * keys they do not know.
 *
 * @param importedFrom the Faiss index file an import read (absolute path)
 * @param faissType the Faiss index type imported, e.g. {@code IndexIVFPQ}
 * @param input the input URI of a build
 * @param fingerprint the build fingerprint: input listing and parameters, as strings, that a
 *     re-run with the same version id compares against
 * @param seed the random seed
 * @param partitions Spark partitions of the input
 * @param trainingPoints rows sampled to train the coarse quantizer
 * @param kmeansIterations k-means iterations for the coarse quantizer
 * @param kmeansObjective the last k-means iteration's objective
 * @param coarseTraining how the coarse centroids were trained: {@code flat} or {@code two-level}
 * @param pqTrainingPoints rows sampled to train PQ (PQ indexes only)
 * @param pqIterations PQ k-means iterations (PQ indexes only)
 * @param rejected input rows set aside in {@code _rejects/}
 * @param rejectReasons rejected rows by reason
 * @param spark the Spark version that built it
 * @param kiln the Kiln version that built or imported it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"importedFrom", "faissType", "input", "fingerprint", "seed", "partitions",
    "trainingPoints", "kmeansIterations", "kmeansObjective", "coarseTraining", "pqTrainingPoints",
    "pqIterations",
    "rejected", "rejectReasons", "spark", "kiln"})
public record BuildInfo(
    String importedFrom,
    String faissType,
    String input,
    Map<String, String> fingerprint,
    Long seed,
    Integer partitions,
    Long trainingPoints,
    Integer kmeansIterations,
    Double kmeansObjective,
    String coarseTraining,
    Long pqTrainingPoints,
    Integer pqIterations,
    Long rejected,
    Map<String, Long> rejectReasons,
    String spark,
    String kiln) {

  /**
   * A builder with every field unset.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this object's fields, to change some of them.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    return new Builder().importedFrom(importedFrom).faissType(faissType).input(input)
        .fingerprint(fingerprint).seed(seed).partitions(partitions)
        .trainingPoints(trainingPoints).kmeansIterations(kmeansIterations)
        .kmeansObjective(kmeansObjective).coarseTraining(coarseTraining)
        .pqTrainingPoints(pqTrainingPoints)
        .pqIterations(pqIterations).rejected(rejected).rejectReasons(rejectReasons)
        .spark(spark).kiln(kiln);
  }

  /** Builds a {@link BuildInfo}; a field not set stays null (absent from the JSON). */
  public static final class Builder {
    private String importedFrom;
    private String faissType;
    private String input;
    private Map<String, String> fingerprint;
    private Long seed;
    private Integer partitions;
    private Long trainingPoints;
    private Integer kmeansIterations;
    private Double kmeansObjective;
    private String coarseTraining;
    private Long pqTrainingPoints;
    private Integer pqIterations;
    private Long rejected;
    private Map<String, Long> rejectReasons;
    private String spark;
    private String kiln;

    private Builder() {}

    /**
     * Sets the Faiss index file an import read.
     *
     * @param v its absolute path; null leaves it out
     * @return this builder
     */
    public Builder importedFrom(String v) {
      importedFrom = v;
      return this;
    }

    /**
     * Sets the Faiss index type imported.
     *
     * @param v its class name, e.g. {@code IndexIVFPQ}; null leaves it out
     * @return this builder
     */
    public Builder faissType(String v) {
      faissType = v;
      return this;
    }

    /**
     * Sets the input URI of a build.
     *
     * @param v the URI; null leaves it out
     * @return this builder
     */
    public Builder input(String v) {
      input = v;
      return this;
    }

    /**
     * Sets the build fingerprint, which a re-run with the same version id compares against.
     *
     * @param v input listing and parameters by name, as strings; null leaves it out
     * @return this builder
     */
    public Builder fingerprint(Map<String, String> v) {
      fingerprint = v;
      return this;
    }

    /**
     * Sets the random seed of the build.
     *
     * @param v the seed; null leaves it out
     * @return this builder
     */
    public Builder seed(Long v) {
      seed = v;
      return this;
    }

    /**
     * Sets how many Spark partitions the input was read into.
     *
     * @param v the partition count; null leaves it out
     * @return this builder
     */
    public Builder partitions(Integer v) {
      partitions = v;
      return this;
    }

    /**
     * Sets how many rows were sampled to train the coarse quantizer.
     *
     * @param v the number of rows; null leaves it out
     * @return this builder
     */
    public Builder trainingPoints(Long v) {
      trainingPoints = v;
      return this;
    }

    /**
     * Sets how many k-means iterations trained the coarse quantizer.
     *
     * @param v the number of iterations; null leaves it out
     * @return this builder
     */
    public Builder kmeansIterations(Integer v) {
      kmeansIterations = v;
      return this;
    }

    /**
     * Sets how the coarse centroids were trained.
     *
     * @param v {@code flat} or {@code two-level}; null leaves it out
     * @return this builder
     */
    public Builder coarseTraining(String v) {
      coarseTraining = v;
      return this;
    }

    /**
     * Sets the objective of the coarse quantizer's last k-means iteration.
     *
     * @param v the objective, summed over the training points; null leaves it out
     * @return this builder
     */
    public Builder kmeansObjective(Double v) {
      kmeansObjective = v;
      return this;
    }

    /**
     * Sets how many rows were sampled to train PQ (PQ indexes only).
     *
     * @param v the number of rows; null leaves it out
     * @return this builder
     */
    public Builder pqTrainingPoints(Long v) {
      pqTrainingPoints = v;
      return this;
    }

    /**
     * Sets how many k-means iterations trained PQ (PQ indexes only).
     *
     * @param v the number of iterations; null leaves it out
     * @return this builder
     */
    public Builder pqIterations(Integer v) {
      pqIterations = v;
      return this;
    }

    /**
     * Sets how many input rows were set aside in {@code _rejects/}.
     *
     * @param v the number of rows; null leaves it out
     * @return this builder
     */
    public Builder rejected(Long v) {
      rejected = v;
      return this;
    }

    /**
     * Sets the rejected rows counted by reason.
     *
     * @param v rejected rows per reason; null leaves it out
     * @return this builder
     */
    public Builder rejectReasons(Map<String, Long> v) {
      rejectReasons = v;
      return this;
    }

    /**
     * Sets the version of Spark that built the index.
     *
     * @param v the Spark version; null leaves it out
     * @return this builder
     */
    public Builder spark(String v) {
      spark = v;
      return this;
    }

    /**
     * Sets the Kiln version that built or imported the index.
     *
     * @param v the Kiln version; null leaves it out
     * @return this builder
     */
    public Builder kiln(String v) {
      kiln = v;
      return this;
    }

    /**
     * The {@link BuildInfo} of the fields set so far.
     *
     * @return a new {@link BuildInfo}; the fields never set are null
     */
    public BuildInfo build() {
      return new BuildInfo(importedFrom, faissType, input, fingerprint, seed, partitions,
          trainingPoints, kmeansIterations, kmeansObjective, coarseTraining, pqTrainingPoints,
          pqIterations, rejected, rejectReasons, spark, kiln);
    }
  }
}
