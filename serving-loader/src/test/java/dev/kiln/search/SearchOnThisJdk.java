package dev.kiln.search;

import dev.kiln.vector.VectorizationProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

/**
 * A search in a JVM of its own, for {@link OtherJdkSearchTest}: prints the kernels this JDK
 * chose, then each query's results as {@link #line} writes them.
 */
final class SearchOnThisJdk {
  private SearchOnThisJdk() {}

  /**
   * Searches an index with seeded queries.
   *
   * @param args index root, query count, dimension, query seed, k, nprobe
   * @throws IOException when the index cannot be opened
   */
  public static void main(String[] args) throws IOException {
    Path root = Path.of(args[0]);
    float[][] queries = TestIndexes.gaussian(new Random(Long.parseLong(args[3])),
        Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    int k = Integer.parseInt(args[4]);
    SearchParams params = SearchParams.nprobe(Integer.parseInt(args[5]));
    System.out.println("kernels: " + VectorizationProvider.kernels().name());
    try (KilnIndex index = KilnIndex.open(root)) {
      for (float[] q : queries) {
        System.out.println(line(index.search(q, k, params)));
      }
    }
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
