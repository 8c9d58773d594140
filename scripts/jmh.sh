#!/usr/bin/env bash
# JMH benchmarks of the distance kernels (scalar vs Vector API), from serving-loader's tests.
# Usage: scripts/jmh.sh [JMH options, e.g. KernelBenchmark.dot -p dim=784]
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/mvn-quiet.sh"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mvn_quiet -pl serving-loader -am test-compile
cp_file="$here/serving-loader/target/jmh.classpath"
mvn_quiet -pl serving-loader -am dependency:build-classpath -Dmdep.outputFile="$cp_file" -Dmdep.includeScope=test
exec java --add-modules=jdk.incubator.vector \
  -cp "serving-loader/target/test-classes:serving-loader/target/classes:$(cat "$cp_file")" \
  org.openjdk.jmh.Main "$@"
