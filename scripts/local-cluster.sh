#!/usr/bin/env bash
# local-cluster.sh: a real Spark standalone cluster on this machine, loopback only, for trying
# scripts/kiln-submit against more than one executor JVM.
#
#   scripts/local-cluster.sh start     master at spark://127.0.0.1:7077 and 2 workers;
#                                      returns once the master reports 2 ALIVE workers
#   scripts/local-cluster.sh stop      stops them (does nothing if they are not running)
#   scripts/local-cluster.sh status    prints the master's view; exit 0 only if 2 workers are ALIVE
#
# No Spark tarball: SPARK_HOME is builder-job/target/spark-home, whose jars/ Maven fills with
# Spark and Hadoop (the project is built first if it is missing). Each worker offers 1 core and
# KILN_WORKER_MEMORY (default 2g). Logs, pids and the workers' directories go to
# work/local-cluster/ (git ignores work/). Web UIs listen on 127.0.0.1 only: the master's on
# KILN_MASTER_UI_PORT (default 8080), the workers' on free ports.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/mvn-quiet.sh"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SPARK_HOME="$root/builder-job/target/spark-home"
export SPARK_SCALA_VERSION=2.13   # a Spark distribution sets this in bin/load-spark-env.sh
export SPARK_LOCAL_IP=127.0.0.1   # web UIs and executors bind to loopback
export SPARK_LOCAL_DIRS="$root/work/local-cluster/local"
state="$root/work/local-cluster"
master_port=7077
master_url="spark://127.0.0.1:$master_port"
ui_port="${KILN_MASTER_UI_PORT:-8080}"
if [[ "${1:-}" != start && -f "$state/master.ui-port" ]]; then
  ui_port=$(cat "$state/master.ui-port") # the port of the master that is running
fi
workers=2
worker_memory="${KILN_WORKER_MEMORY:-2g}"
start_timeout="${KILN_CLUSTER_TIMEOUT:-90}"   # seconds to wait for the workers to register

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

log() { echo "local-cluster: $*" >&2; }

# The JVM flags Spark needs on Java 17, kept in one place: the parent pom's spark.jvm.opens.
opens=$(sed -n 's:.*<spark.jvm.opens>\(.*\)</spark.jvm.opens>.*:\1:p' "$root/pom.xml")

# A pid file whose process is still alive and is still one of ours (pids get reused).
pid_alive() {
  [[ -f "$1" ]] && ps -o args= -p "$(cat "$1")" 2>/dev/null | grep -q 'org\.apache\.spark\.deploy\.'
}

# The master's JSON status (empty if it does not answer).
master_json() { curl -fsS --max-time 3 "http://127.0.0.1:$ui_port/json/" 2>/dev/null || true; }

alive_workers() {
  master_json | sed -n 's/.*"aliveworkers" *: *\([0-9]*\).*/\1/p' | head -1
}

ensure_jars() {
  if ! compgen -G "$SPARK_HOME/jars/spark-core_*.jar" >/dev/null; then
    log "building the project first (mvn -B -q -Dstyle.color=never -DskipTests package)..."
    (cd "$root" && mvn_quiet -DskipTests package)
  fi
}

launch() { # NAME [-Dprop=value...] MAIN-CLASS ARGS...: starts a daemon JVM in the background
  local name=$1
  shift
  nohup java -Xmx512m $opens -cp "$SPARK_HOME/jars/*" "$@" \
    >"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

stop_one() { # NAME: TERM, then KILL after 10 s
  local pidfile="$state/$1.pid" pid i
  if pid_alive "$pidfile"; then
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$1 (pid $pid) did not stop; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "stopped $1 (pid $pid)"
  fi
  rm -f "$pidfile"
}

stop() {
  local i
  # Workers first, so the master does not log them as lost. A worker's executors exit with it.
  for ((i = workers; i >= 1; i--)); do stop_one "worker-$i"; done
  stop_one master
  rm -f "$state/master.ui-port"
}

status() {
  local n="" i
  if ! pid_alive "$state/master.pid"; then
    echo "master: not running"
  else
    n=$(alive_workers)
    echo "master: $master_url (pid $(cat "$state/master.pid")), UI http://127.0.0.1:$ui_port, alive workers: ${n:-?}"
  fi
  for ((i = 1; i <= workers; i++)); do
    if pid_alive "$state/worker-$i.pid"; then
      echo "worker-$i: running (pid $(cat "$state/worker-$i.pid"))"
    else
      echo "worker-$i: not running"
    fi
  done
  [[ "${n:-0}" -ge $workers ]]
}

fail_start() {
  local f
  log "error: $*"
  for f in "$state"/master.log "$state"/worker-*.log; do
    [[ -f "$f" ]] || continue
    echo "---- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  stop
  exit 1
}

start() {
  local i n deadline port
  ensure_jars
  mkdir -p "$state" "$SPARK_LOCAL_DIRS"
  if pid_alive "$state/master.pid"; then
    [[ -f "$state/master.ui-port" ]] && ui_port=$(cat "$state/master.ui-port")
    if [[ "$(alive_workers)" == "$workers" ]]; then
      log "already running: $master_url with $workers workers"
      return 0
    fi
    log "a previous cluster is half up; stopping it first"
    stop
    ui_port="${KILN_MASTER_UI_PORT:-8080}"
  fi
  for port in "$master_port" "$ui_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      log "error: something else already listens on 127.0.0.1:$port (the master's UI port is KILN_MASTER_UI_PORT)"
      exit 1
    fi
  done

  # The REST submission server (port 6066) is not needed: kiln-submit uses client mode.
  launch master -Dspark.master.rest.enabled=false org.apache.spark.deploy.master.Master \
    --host 127.0.0.1 --port "$master_port" --webui-port "$ui_port"
  for ((i = 1; i <= workers; i++)); do
    mkdir -p "$state/worker-$i"
    launch "worker-$i" org.apache.spark.deploy.worker.Worker "$master_url" \
      --host 127.0.0.1 --cores 1 --memory "$worker_memory" --webui-port 0 \
      --work-dir "$state/worker-$i"
  done
  echo "$ui_port" >"$state/master.ui-port"
  log "master and $workers workers started (logs in $state); waiting up to ${start_timeout}s for the workers to register"

  deadline=$((SECONDS + start_timeout))
  while :; do
    n=$(alive_workers)
    if [[ "${n:-0}" -ge $workers ]]; then
      break
    fi
    pid_alive "$state/master.pid" || fail_start "the master exited"
    for ((i = 1; i <= workers; i++)); do
      pid_alive "$state/worker-$i.pid" || fail_start "worker-$i exited"
    done
    if ((SECONDS >= deadline)); then
      fail_start "only ${n:-0} of $workers workers ALIVE after ${start_timeout}s"
    fi
    sleep 1
  done
  log "up: $master_url, $workers workers ALIVE (1 core, $worker_memory each), UI http://127.0.0.1:$ui_port"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
