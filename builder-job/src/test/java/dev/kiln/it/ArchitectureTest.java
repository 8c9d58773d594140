package dev.kiln.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows the {@code package-info.java} files state, checked on the compiled classes of all
 * three modules (docs/DESIGN.md, "Modules"). Maven already keeps a module from seeing the one
 * above it; these rules hold the packages inside a module to the same discipline.
 */
class ArchitectureTest {
  private static final String[] LOADER = {
    "dev.kiln.vector..", "dev.kiln.quantize..", "dev.kiln.graph..", "dev.kiln.search..",
    "dev.kiln.serve.."
  };
  private static final String[] BUILDER = {
    "dev.kiln.job..", "dev.kiln.cli..", "dev.kiln.faiss..", "dev.kiln.store..",
    "dev.kiln.tools..", "dev.kiln.errors.."
  };

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        // The other modules' test jars (fixtures and fuzzers) are on the test class path too.
        .withImportOption(location -> !location.contains("-tests.jar"))
        .importPackages("dev.kiln");
  }

  @Test
  void noPackageIsPartOfACycle() {
    slices().matching("dev.kiln.(**)").should().beFreeOfCycles().check(classes);
  }

  @Test
  void theFormatDependsOnNeitherTheLoaderNorTheBuilder() {
    noClasses().that().resideInAPackage("dev.kiln.format..")
        .should().dependOnClassesThat().resideInAnyPackage(concat(LOADER, BUILDER))
        .check(classes);
  }

  @Test
  void theLoaderDependsOnNothingOfTheBuilderNorOnSparkHadoopOrSmile() {
    noClasses().that().resideInAnyPackage(LOADER)
        .should().dependOnClassesThat().resideInAnyPackage(concat(BUILDER,
            new String[] {"org.apache.spark..", "org.apache.hadoop..", "smile.."}))
        .check(classes);
  }

  @Test
  void nothingButTheCommandLineImportsIt() {
    noClasses().that().resideOutsideOfPackage("dev.kiln.cli..")
        .should().dependOnClassesThat().resideInAPackage("dev.kiln.cli..")
        .check(classes);
  }

  @Test
  void buildStagesDoNotImportTheOrchestrator() {
    noClasses().that().resideInAPackage("dev.kiln.job.*..")
        .should().dependOnClassesThat().resideInAPackage("dev.kiln.job")
        .check(classes);
  }

  @Test
  void errorsCarryNoExitCodesAndImportNothingOfKiln() {
    noClasses().that().resideInAPackage("dev.kiln.errors..")
        .should().dependOnClassesThat().resideOutsideOfPackages("dev.kiln.errors..", "java..")
        .check(classes);
  }

  @Test
  void smileStaysInTheTrainingStage() {
    // GPL-3.0: it must never reach the loader jar, nor spread through the builder.
    noClasses().that().resideOutsideOfPackage("dev.kiln.job.train..")
        .should().dependOnClassesThat().resideInAPackage("smile..")
        .check(classes);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
