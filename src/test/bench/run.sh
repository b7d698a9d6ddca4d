#!/usr/bin/env bash
# Registry benchmark (docs/benchmark.md).
#
#   src/test/bench/run.sh                  side by side: starts our registry and docker-registry,
#                                          runs every workload on both, prints figures and ours/ref
#   src/test/bench/run.sh --quick          the same with smaller sizes and shorter runs (~2 min)
#   src/test/bench/run.sh --against http://127.0.0.1:5000 [--pid PID]
#                                          drives a registry that is already running
#   src/test/bench/run.sh --s3 --workloads 1,2,3,7 --memory-mib 1024
#                                          both servers on S3 (one s3proxy 3.3.0, a fresh bucket
#                                          each, redirects off); the jar is target/s3proxy/s3proxy.jar
#                                          of src/test (fetched with ./mvnw if missing); --s3-tls
#                                          instead: the same with s3proxy over https
#   src/test/bench/run.sh --help           all options
#
# Needs a JDK >= 21 (JAVA_HOME, else javac on PATH, else the newest under /usr/lib/jvm), wrk, and
# for side by side docker-registry (Debian: apt-get install wrk docker-registry); workload 9 (TLS)
# also needs curl with HTTP/2 and the openssl command. Side by side
# uses registry-server/target/registry-server.jar (built with ./mvnw if missing; give --jar to
# use another); it is copied into the run's work directory before it starts.
# The bench sources depend on nothing but the JDK: they are compiled here with javac, into
# src/test/target/bench-classes, so the run does not depend on the rest of the test tree.
# Exit status: 0 all workloads gave figures, 1 some FAILED, 2 bad usage or set-up.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"

major() { "$1" -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p' | head -1; }
javac_bin=""
for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/javac"} "$(command -v javac || true)"; do
  if [[ -n "$candidate" && -x "$candidate" && "$(major "$candidate")" -ge 21 ]]; then javac_bin="$candidate"; break; fi
done
if [[ -z "$javac_bin" ]]; then
  best=0
  for candidate in /usr/lib/jvm/*/bin/javac; do
    [[ -x "$candidate" ]] || continue
    m="$(major "$candidate")"
    if [[ -n "$m" && "$m" -ge 21 && "$m" -gt "$best" ]]; then best="$m"; javac_bin="$candidate"; fi
  done
fi
if [[ -z "$javac_bin" ]]; then
  echo "run.sh: needs a JDK >= 21 (set JAVA_HOME)" >&2
  exit 2
fi
jdk="$(cd "$(dirname "$javac_bin")/.." && pwd)"
java_bin="$jdk/bin/java"

against=0
jar_given=0
s3=0
for arg in "$@"; do
  case "$arg" in
    --against|--against=*) against=1 ;;
    --jar|--jar=*) jar_given=1 ;;
    --s3|--s3-tls) s3=1 ;;
    -h|--help) ;;
  esac
done

if ! command -v wrk >/dev/null; then
  echo "run.sh: wrk is not on PATH: workloads 4b-4d and 5 will FAIL (Debian: apt-get install wrk)" >&2
fi

jar_args=()
if [[ $against -eq 0 && $jar_given -eq 0 ]]; then
  jar="$root/registry-server/target/registry-server.jar"
  if [[ ! -f "$jar" ]]; then
    echo "run.sh: $jar is missing, building it" >&2
    (cd "$root" && JAVA_HOME="$jdk" ./mvnw -B -q ${MVN_ARGS:-} -pl registry-server -am package -DskipTests)
  fi
  jar_args=(--jar "$jar")
  if ! command -v docker-registry >/dev/null; then
    echo "run.sh: docker-registry (the reference) is not on PATH (Debian: apt-get install docker-registry)" >&2
    exit 2
  fi
fi

s3_args=()
if [[ $s3 -eq 1 ]]; then
  s3proxy_jar="$root/src/test/target/s3proxy/s3proxy.jar"
  if [[ ! -f "$s3proxy_jar" ]]; then
    echo "run.sh: $s3proxy_jar is missing, fetching it" >&2
    (cd "$root" && JAVA_HOME="$jdk" ./mvnw -B -q ${MVN_ARGS:-} -N dependency:copy \
      -Dartifact=org.gaul:s3proxy:3.3.0:jar:jar-with-dependencies -DoutputDirectory="$root/src/test/target/s3proxy" \
      && mv "$root/src/test/target/s3proxy/s3proxy-3.3.0-jar-with-dependencies.jar" "$s3proxy_jar")
  fi
  s3_args=(--s3proxy-jar "$s3proxy_jar" --s3-floor "$root/src/test/bench/S3Floor.java")
fi

classes="$root/src/test/target/bench-classes"
rm -rf "$classes"
mkdir -p "$classes"
# the s3proxy launcher and the S3 options it names need only the JDK, like the bench itself
"$javac_bin" --release 21 -nowarn -d "$classes" "$root"/src/test/java/dev/registry/bench/*.java \
  "$root"/storage/src/test/java/dev/registry/storage/driver/s3/S3ProxyServer.java \
  "$root"/storage/src/main/java/dev/registry/storage/driver/s3/S3Options.java

exec "$java_bin" -Xmx1g -cp "$classes" dev.registry.bench.RegistryBenchmark --java "$java_bin" "${jar_args[@]}" "${s3_args[@]}" "$@"
