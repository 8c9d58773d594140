package dev.kiln.search;

import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A search in a JVM of its own, for {@link OtherJdkSearchTest}: prints the kernels this JDK
 * chose, then {@link #results}.
 */
final class SearchOnThisJdk {
  private SearchOnThisJdk() {}

  /**
   * Searches an index with seeded queries.
   *
   * @param args index root, query count, dimension, query seed, k, nprobe, in-heap (true/false)
   * @throws IOException when the index cannot be opened
   */
  public static void main(String[] args) throws IOException {
    float[][] queries = TestIndexes.gaussian(new Random(Long.parseLong(args[3])),
        Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    System.out.println("kernels: " + VectorizationProvider.kernels().name());
    List<String> lines = results(Path.of(args[0]), queries, Integer.parseInt(args[4]),
        Integer.parseInt(args[5]), Boolean.parseBoolean(args[6]));
    lines.forEach(System.out::println);
  }

  /** Each query's results one call at a time, then in one batch, as {@link #line}s. */
  static List<String> results(Path root, float[][] queries, int k, int nprobe, boolean inHeap)
      throws IOException {
    SearchParams params = SearchParams.nprobe(nprobe);
    List<String> lines = new ArrayList<>();
    try (KilnIndex index = KilnIndex.open(root, OpenOptions.defaults().withInHeap(inHeap))) {
      for (float[] q : queries) {
        lines.add(line(index.search(q, k, params)));
      }
      for (Neighbors n : index.search(queries, k, params)) {
        lines.add("batch " + line(n));
      }
    }
    return lines;
  }

  /** A result as text: each id and the exact bits of its score. */
  static String line(Neighbors n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n.ids().length; i++) {
      s.append(n.ids()[i]).append(':').append(Integer.toHexString(
          Float.floatToRawIntBits(n.scores()[i]))).append(' ');
    }
    return s.toString().trim();
  }
}
