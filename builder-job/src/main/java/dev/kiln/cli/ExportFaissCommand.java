package dev.kiln.cli;

import dev.kiln.faiss.FaissIndexWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "export-faiss", mixinStandardHelpOptions = true,
    description = {
      "Write a published version as one Faiss index file (faiss.read_index, 1.7.x).",
      "IVF{n},PQ{m} as IndexIVFPQ, IVF{n},Flat as IndexIVFFlat, inverted lists inline;",
      "IVF{n}_HNSW{M} with an IndexHNSWFlat quantizer; HNSW{M} as IndexIDMap over",
      "IndexHNSWFlat, one shard per file (--shard N when it has several).",
      "Fast-scan and refine forms are refused.",
      "Ids are Kiln's int64 ids; for string ids, the global ordinal, with the keys in",
      "FILE.keys.jsonl ([id, \"key\"] per line). cosine is written as inner product:",
      "normalize queries before searching it."
    },
    footer = {"", "Example:",
        "  kiln export-faiss --index /srv/index --out items.faissindex"})
final class ExportFaissCommand implements Callable<Integer> {
  @Option(names = "--index", required = true, paramLabel = "VERSION_DIR",
      description = "Version directory (or index root: its LATEST).")
  Path index;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "The Faiss file to write (replaced if it exists).")
  Path out;

  @Option(names = "--shard", paramLabel = "N", description = "Export only shard N (default: all shards, merged).")
  Integer shard;

  @Override
  public Integer call() throws Exception {
    OutputPaths.checkFile("--out", out);
    FaissIndexWriter.Result r = FaissIndexWriter.export(index, out, shard);
    System.out.printf(Locale.ROOT, "wrote %s: %s, metric %s, d=%d, nlist=%d, %,d vectors from"
        + " shard(s) %s, %,d bytes%n", r.file(), r.faissType(), r.metric(), r.dim(), r.nlist(),
        r.count(), r.shards(), r.bytes());
    if (r.keys() != null) {
      System.out.printf("string ids: Faiss id -> key in %s%n", r.keys());
    }
    return 0;
  }
}
