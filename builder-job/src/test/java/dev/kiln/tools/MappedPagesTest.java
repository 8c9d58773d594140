package dev.kiln.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MappedPagesTest {
  @TempDir Path dir;

  @Test
  void sumsRssAndPmdMappedOfTheMappingsUnderThePrefixOnly() {
    List<String> smaps = List.of(
        "7f0000000000-7f000b400000 r--s 00000000 fe:00 123   /idx/versions/v1/shard-00000.kiln",
        "Size:             184320 kB",
        "Rss:              184276 kB",
        "FilePmdMapped:    182272 kB",
        "VmFlags: rd sh mr mw me ms sd",
        "7f0000000000-7f0000100000 r--s 00000000 fe:00 124   /other/file.kiln",
        "Rss:                1024 kB",
        "FilePmdMapped:      1024 kB",
        "7f1000000000-7f1000001000 rw-p 00000000 00:00 0",
        "Rss:                   4 kB",
        "7f2000000000-7f2000002000 r--s 00000000 fe:00 125   /idx/versions/v1/keys-00000.kiln",
        "Rss:                   8 kB",
        "FilePmdMapped:         0 kB");
    assertEquals(new MappedPages(184284, 182272), MappedPages.parse(smaps, "/idx/"));
    assertEquals(new MappedPages(0, 0), MappedPages.parse(smaps, "/nowhere/"));
  }

  @Test
  void seesAFileThisProcessMapped() throws IOException {
    Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/smaps")), "Linux only");
    Path f = Files.write(dir.resolve("data.bin"), new byte[1 << 16]);
    try (FileChannel ch = FileChannel.open(f)) {
      MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, 1 << 16);
      b.load();
      MappedPages p = MappedPages.under(dir);
      assertNotNull(p);
      assertTrue(p.rssKb() >= 4 && p.rssKb() <= 64, () -> "rss " + p);
      Path empty = Files.createDirectory(dir.resolve("empty"));
      assertEquals(new MappedPages(0, 0), MappedPages.under(empty));
    }
  }
}
