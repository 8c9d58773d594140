package dev.kiln.shaded;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded loader as a service embeds it: a separate Maven project that brings its own,
 * older Jackson, depends on the shaded jar, and opens and searches a Kiln index (whose manifest
 * the loader reads with its relocated Jackson) while its own code uses its own Jackson.
 */
class EmbeddedLoaderIT {
  /** A Jackson other than the one Kiln builds with: a service's own choice. */
  private static final String SERVICE_JACKSON = "2.17.2";

  private static Path shadedJar() {
    return Path.of(System.getProperty("kiln.shaded.jar"));
  }

  @Test
  void theJarCarriesNoUnrelocatedJacksonAndNamesItsModule() throws IOException {
    try (JarFile jar = new JarFile(shadedJar().toFile())) {
      List<String> names = jar.stream().map(e -> e.getName()).toList();
      assertTrue(names.stream().noneMatch(n -> n.startsWith("com/fasterxml/")),
          "unrelocated Jackson classes in the jar");
      assertTrue(names.stream().noneMatch(n -> n.startsWith("org/HdrHistogram/")),
          "unrelocated HdrHistogram classes in the jar");
      assertTrue(names.stream().anyMatch(n -> n.startsWith("dev/kiln/shaded/jackson/databind/")));
      assertTrue(names.contains("dev/kiln/search/KilnIndex.class"));
      assertTrue(names.contains("dev/kiln/format/Manifest.class"));
      assertFalse(names.stream().anyMatch(n -> n.startsWith("smile/") || n.startsWith("org/apache/spark/")),
          "the loader carries no builder dependency");
      assertEquals("dev.kiln.loader",
          jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name"));
      // The loader's JDK 25 layer survives shading; no dependency's versioned classes do.
      assertEquals("true", jar.getManifest().getMainAttributes().getValue("Multi-Release"));
      assertTrue(names.stream().filter(n -> n.startsWith("META-INF/versions/")
          && n.endsWith(".class")).allMatch(n -> n.contains("/dev/kiln/")), "versioned classes");
    }
    // Its sources beside it, relocated as the classes are, for a service's IDE and debugger.
    Path sources = Path.of(shadedJar().toString().replace(".jar", "-sources.jar"));
    try (JarFile jar = new JarFile(sources.toFile())) {
      assertTrue(jar.getEntry("dev/kiln/search/KilnIndex.java") != null, sources.toString());
      assertTrue(jar.stream().noneMatch(e -> e.getName().startsWith("com/fasterxml/")));
    }
    // And its API documentation, checked by doclint as it was made.
    Path javadoc = Path.of(shadedJar().toString().replace(".jar", "-javadoc.jar"));
    try (JarFile jar = new JarFile(javadoc.toFile())) {
      assertTrue(jar.getEntry("dev/kiln/search/KilnIndex.html") != null, javadoc.toString());
      assertTrue(jar.getEntry("dev/kiln/serve/ServingIndex.html") != null, javadoc.toString());
    }
    // The published POM depends on nothing a service would inherit (its tests' JUnit aside).
    String pom = Files.readString(shadedJar().resolveSibling("dependency-reduced-pom.xml"));
    String deps = pom.substring(pom.indexOf("<dependencies>"), pom.indexOf("</dependencies>"));
    assertFalse(deps.contains("jackson") || deps.contains("kiln-"),
        "the published POM still pulls in what the jar holds:\n" + deps);
    assertEquals(deps.split("<dependency>").length - 1, deps.split("<scope>test</scope>").length - 1,
        "a dependency outside the test scope:\n" + deps);
  }

  @Test
  void aServiceWithItsOwnJacksonSearchesAnIndex(@TempDir Path project) throws Exception {
    Path fixture = Path.of(System.getProperty("kiln.fixture.index")).toAbsolutePath();
    Files.writeString(project.resolve("pom.xml"), """
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>example</groupId>
          <artifactId>recommender</artifactId>
          <version>1</version>
          <properties>
            <maven.compiler.release>17</maven.compiler.release>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
          <dependencies>
            <dependency>
              <groupId>com.fasterxml.jackson.core</groupId>
              <artifactId>jackson-databind</artifactId>
              <version>%s</version>
            </dependency>
            <dependency>
              <groupId>dev.kiln</groupId>
              <artifactId>kiln-serving-loader-shaded</artifactId>
              <version>embedded</version>
              <scope>system</scope>
              <systemPath>%s</systemPath>
            </dependency>
          </dependencies>
          <build>
            <plugins>
              <plugin><artifactId>maven-resources-plugin</artifactId><version>3.3.1</version></plugin>
              <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.13.0</version></plugin>
              <plugin><artifactId>maven-surefire-plugin</artifactId><version>3.5.3</version></plugin>
              <plugin><artifactId>maven-jar-plugin</artifactId><version>3.4.2</version></plugin>
            </plugins>
          </build>
        </project>
        """.formatted(SERVICE_JACKSON, shadedJar().toAbsolutePath()));
    Path src = project.resolve("src/main/java/example");
    Files.createDirectories(src);
    Files.writeString(src.resolve("Main.java"), """
        package example;

        import com.fasterxml.jackson.databind.ObjectMapper;
        import dev.kiln.search.KilnIndex;
        import dev.kiln.search.Neighbors;
        import dev.kiln.search.SearchParams;
        import java.nio.file.Path;

        public class Main {
          public static void main(String[] args) throws Exception {
            // The service's own Jackson, as it would use it.
            String json = new ObjectMapper().writeValueAsString(java.util.Map.of("k", 10));
            System.out.println("service jackson "
                + com.fasterxml.jackson.databind.cfg.PackageVersion.VERSION + " " + json);
            try (KilnIndex index = KilnIndex.open(Path.of(args[0]))) {
              Neighbors n = index.search(new float[index.dim()], 3, SearchParams.nprobe(4));
              System.out.println("kiln count " + index.count() + " results " + n.size());
            }
          }
        }
        """);
    run(project, "mvn", "-B", "-q", "-Dstyle.color=never", "package",
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
        "-Dmdep.outputFile=cp.txt");
    String cp = project.resolve("target/recommender-1.jar") + java.io.File.pathSeparator
        + Files.readString(project.resolve("cp.txt")).strip();
    String out = run(project, Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", cp, "example.Main", fixture.toString());
    assertTrue(out.contains("service jackson " + SERVICE_JACKSON + " {\"k\":10}"), out);
    assertTrue(out.matches("(?s).*kiln count \\d+ results 3.*"), out);
    // The same service on JDK 25, where one is installed: the jar's JDK 25 layer scores rows.
    Path java25 = Path.of(System.getProperty("kiln.jdk25.java",
        "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
    if (Files.isExecutable(java25)) {
      String out25 = run(project, java25.toString(), "--add-modules=jdk.incubator.vector",
          "-cp", cp, "example.Main", fixture.toString());
      assertTrue(out25.contains("on arrays and float32 rows, scalar on codes"), out25);
      assertTrue(out25.matches("(?s).*kiln count \\d+ results 3.*"), out25);
    }
  }

  private static String run(Path dir, String... command) throws Exception {
    Path log = Files.createTempFile("embedded", ".log");
    Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out: " + String.join(" ", command));
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    return out;
  }
}
