package dev.kiln.cli;

import dev.kiln.tools.Vecs;
import dev.kiln.tools.Convert;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Convert an .fvecs file to Parquet with columns id (0..n-1) and embedding.",
    footer = {"", "Example:",
        "  kiln convert --fvecs base.fvecs --out base.parquet"})
final class ConvertCommand implements Callable<Integer> {
  @Option(names = "--fvecs", required = true, description = "Input .fvecs file.")
  Path fvecs;

  @Option(names = "--out", required = true, description = "Output Parquet directory (overwritten).")
  String out;

  @Override
  public Integer call() throws Exception {
    // Both are checked before Spark starts; an existing file at --out is refused, not replaced.
    Vecs.shape(fvecs);
    OutputPaths.checkHadoopDirectory(new org.apache.hadoop.conf.Configuration(), "--out", out);
    try (SparkSessions.Lease spark = SparkSessions.get("kiln-convert", null)) {
      long n = Convert.fvecsToParquet(spark.spark(), fvecs, out);
      System.out.printf("wrote %,d rows to %s%n", n, out);
      return 0;
    }
  }
}
