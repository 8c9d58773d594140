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

  public static Builder builder() {
    return new Builder();
  }

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

    public Builder importedFrom(String v) {
      importedFrom = v;
      return this;
    }

    public Builder faissType(String v) {
      faissType = v;
      return this;
    }

    public Builder input(String v) {
      input = v;
      return this;
    }

    public Builder fingerprint(Map<String, String> v) {
      fingerprint = v;
      return this;
    }

    public Builder seed(Long v) {
      seed = v;
      return this;
    }

    public Builder partitions(Integer v) {
      partitions = v;
      return this;
    }

    public Builder trainingPoints(Long v) {
      trainingPoints = v;
      return this;
    }

    public Builder kmeansIterations(Integer v) {
      kmeansIterations = v;
      return this;
    }

    public Builder coarseTraining(String v) {
      coarseTraining = v;
      return this;
    }

    public Builder kmeansObjective(Double v) {
      kmeansObjective = v;
      return this;
    }

    public Builder pqTrainingPoints(Long v) {
      pqTrainingPoints = v;
      return this;
    }

    public Builder pqIterations(Integer v) {
      pqIterations = v;
      return this;
    }

    public Builder rejected(Long v) {
      rejected = v;
      return this;
    }

    public Builder rejectReasons(Map<String, Long> v) {
      rejectReasons = v;
      return this;
    }

    public Builder spark(String v) {
      spark = v;
      return this;
    }

    public Builder kiln(String v) {
      kiln = v;
      return this;
    }

    public BuildInfo build() {
      return new BuildInfo(importedFrom, faissType, input, fingerprint, seed, partitions,
          trainingPoints, kmeansIterations, kmeansObjective, coarseTraining, pqTrainingPoints,
          pqIterations, rejected, rejectReasons, spark, kiln);
    }
  }
}
