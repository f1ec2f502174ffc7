#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what it needs (Java 17 if missing; Flink
# 2.3.0 and 1.20.5 from PyPI into the cache via scripts/flink-local.sh), starts the shared test
# clusters while the tests compile, runs every test, and stops the test clusters afterwards.
#
#   scripts/test.sh            # all tests (unit, config, snapshots, architecture, real Flink, pty)
#   scripts/test.sh flink_live # extra args go to `cargo test` (e.g. a test binary filter)
#
#   scripts/test.sh --matrix [VERSION...]
#       The support matrix: for each Flink version (default: all of MATRIX_VERSIONS below; `1.18`
#       means its patch release listed there), one at a time: install it (cached), start one
#       cluster on port $FLINKDECK_MATRIX_PORT (default 18581), run the core set of
#       tests/matrix.rs against it (discovery, jobs, checkpoints, exceptions, logs, stop with
#       savepoint, verified restore, SQL validate), stop it. Prints the version x capability
#       table with timings and writes it to target/matrix.md; logs in target/matrix-logs/.
#       Exit 1 if any capability fails on any version.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'test.sh: %s\n' "$*" >&2; }

ensure_java() {
  if command -v java >/dev/null && command -v javac >/dev/null && command -v jar >/dev/null; then
    return
  fi
  log "installing a Java 17 JDK (java, javac, jar are needed to run Flink and build the demo jobs)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
}

ensure_kubectl() {
  command -v kubectl >/dev/null && return
  log "installing kubectl (Debian's kubernetes-client: tests/kube_fake.rs runs the real kubectl against the fake API server)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq kubernetes-client >/dev/null
}

PORT2=${FLINKDECK_TEST_PORT_2:-18081}
PORT1=${FLINKDECK_TEST_PORT_1:-18082}
PORT_OUTAGE=${FLINKDECK_TEST_PORT_OUTAGE:-18093}
export FLINKDECK_SLOTS=${FLINKDECK_SLOTS:-32}
export FLINKDECK_TEST_PORT_2=$PORT2 FLINKDECK_TEST_PORT_1=$PORT1 FLINKDECK_TEST_PORT_OUTAGE=$PORT_OUTAGE

stop_clusters() {
  for spec in "2.3.0 $PORT2" "1.20.5 $PORT1" "1.20.5 $PORT_OUTAGE"; do
    set -- $spec
    scripts/flink-local.sh down --version "$1" --port "$2" >/dev/null 2>&1 || true
  done
}

# The latest patch release of every supported minor version on PyPI (apache-flink-libraries).
MATRIX_VERSIONS=(1.18.1 1.19.3 1.20.5 2.0.2 2.1.3 2.2.1 2.3.0)
# tests/matrix.rs test name -> column of the support table.
MATRIX_TESTS=(discovery jobs checkpoints exceptions logs stop_with_savepoint verified_restore sql_validate)
MATRIX_LABELS=("discovery" "jobs" "checkpoints" "exceptions" "logs" "stop with savepoint" "verified restore" "SQL validate")

# A version argument: an exact x.y.z, or x.y for the release listed in MATRIX_VERSIONS.
matrix_version() {
  local want="$1" v
  [[ "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] && { printf '%s\n' "$want"; return; }
  for v in "${MATRIX_VERSIONS[@]}"; do
    [[ "${v%.*}" == "$want" ]] && { printf '%s\n' "$v"; return; }
  done
  log "unknown Flink version '$want' (expected x.y.z, or one of: ${MATRIX_VERSIONS[*]%.*})"
  exit 2
}

seconds_since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.0f", e - s }'; }

run_matrix() {
  # Globals: the EXIT trap runs after this function returned.
  versions=()
  local v exact
  for v in "$@"; do
    exact=$(matrix_version "$v") || exit 2
    versions+=("$exact")
  done
  ((${#versions[@]})) || versions=("${MATRIX_VERSIONS[@]}")
  port=${FLINKDECK_MATRIX_PORT:-18581}
  local cache=${FLINKDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkdeck}
  local logs=target/matrix-logs
  ensure_java
  mkdir -p "$logs"
  rm -f "$logs"/install-*
  trap 'for v in "${versions[@]}"; do scripts/flink-local.sh down --version "$v" --port "$port" >/dev/null 2>&1 || true; done' EXIT

  # Downloads, installs and demo jars (all cached) beside the compilation, one version after the
  # other; each version's time and archive size go to $logs/install-<version>.
  (
    for v in "${versions[@]}"; do
      t=$(date +%s.%N)
      cached=no
      [[ -f "$cache/flink/$v/.flinkdeck-install" ]] && cached=yes
      if scripts/flink-local.sh install --version "$v" >"$logs/install-$v.log" 2>&1 &&
        scripts/flink-local.sh demo-jar --version "$v" >>"$logs/install-$v.log" 2>&1; then
        archive=$(ls "$cache/downloads/"apache[-_]flink[-_]libraries-"$v"[.-]* 2>/dev/null | head -n1)
        mb=$(( $(stat -c %s "$archive" 2>/dev/null || echo 0) / 1000000 ))
        printf 'ok %s %s %s\n' "$(seconds_since "$t")" "$mb" "$cached" >"$logs/install-$v"
      else
        printf 'failed %s 0 %s\n' "$(seconds_since "$t")" "$cached" >"$logs/install-$v"
      fi
    done
  ) &
  local setup_pid=$!
  cargo test --locked --test matrix --no-run

  local md=target/matrix.md failed=0 i result label
  local -A ok
  local header="| Flink |" rule="|---|"
  for label in "${MATRIX_LABELS[@]}"; do header+=" $label |"; rule+=":-:|"; done
  local -a rows=() timing=()
  for v in "${versions[@]}"; do
    local up_s="-" test_s="-" install="failed - 0 -" t
    # The next versions keep downloading while this one is tested.
    while [[ ! -f "$logs/install-$v" ]] && kill -0 "$setup_pid" 2>/dev/null; do sleep 1; done
    [[ -f "$logs/install-$v" ]] && install=$(cat "$logs/install-$v")
    ok=()
    log "Flink $v: starting a cluster on port $port"
    t=$(date +%s.%N)
    if scripts/flink-local.sh up --version "$v" --port "$port" >"$logs/up-$v.log" 2>&1; then
      up_s=$(seconds_since "$t")
      log "Flink $v: up after ${up_s}s; running tests/matrix.rs"
      t=$(date +%s.%N)
      FLINKDECK_MATRIX_VERSION=$v FLINKDECK_MATRIX_PORT=$port \
        cargo test --locked --test matrix -- --test-threads=8 >"$logs/test-$v.log" 2>&1 || true
      test_s=$(seconds_since "$t")
      while read -r _ name _ result; do
        ok[$name]=$result
      done < <(grep -E '^test [a-z_]+ \.\.\. (ok|FAILED)$' "$logs/test-$v.log" || true)
    else
      log "Flink $v: the cluster did not start (see $logs/up-$v.log)"
    fi
    t=$(date +%s.%N)
    scripts/flink-local.sh down --version "$v" --port "$port" >>"$logs/up-$v.log" 2>&1 || true
    local down_s
    down_s=$(seconds_since "$t")
    local row="| $v |"
    for i in "${!MATRIX_TESTS[@]}"; do
      if [[ "${ok[${MATRIX_TESTS[$i]}]:-}" == ok ]]; then
        row+=" ✓ |"
      else
        row+=" ✗ |"
        failed=1
      fi
    done
    rows+=("$row")
    if [[ "$row" == *✗* ]]; then
      # CI keeps only what is printed: the failures' messages, or the end of the log.
      log "Flink $v: failures (from $logs/test-$v.log):"
      if grep -q '^failures:$' "$logs/test-$v.log" 2>/dev/null; then
        sed -n '/^failures:$/,$p' "$logs/test-$v.log" | head -n 200 >&2
      else
        tail -n 60 "$logs/test-$v.log" >&2 2>/dev/null || true
      fi
      tail -n 20 "$logs/up-$v.log" >&2 2>/dev/null || true
      df -h . "${TMPDIR:-/tmp}" >&2 2>/dev/null || true
    fi
    read -r istate isec imb icached <<<"$install"
    timing+=("| $v | $istate | $imb | $isec | $icached | $up_s | $test_s | $down_s |")
    log "Flink $v: $row (tests ${test_s}s; log: $logs/test-$v.log)"
  done
  wait "$setup_pid" || true
  {
    printf '%s\n%s\n' "$header" "$rule"
    printf '%s\n' "${rows[@]}"
    printf '\n| Flink | install | archive MB | install + demo jar s | cached | cluster start s | tests s | cluster stop s |\n|---|---|--:|--:|---|--:|--:|--:|\n'
    printf '%s\n' "${timing[@]}"
  } >"$md"
  printf '\n' >&2
  cat "$md" >&2
  log "support table written to $md (logs in $logs/)"
  return "$failed"
}

if [[ "${1:-}" == --matrix ]]; then
  shift
  run_matrix "$@"
  exit $?
fi

ensure_java
ensure_kubectl
trap stop_clusters EXIT
mkdir -p target

# Flink set-up runs beside the compilation; the tests themselves call `up` again (idempotent),
# so a failure here shows up as a failing test with the script's own message.
(
  scripts/flink-local.sh up --version 2.3.0 --port "$PORT2" &&
  scripts/flink-local.sh up --version 1.20.5 --port "$PORT1" &&
  scripts/flink-local.sh demo-jar --version 2.3.0 && scripts/flink-local.sh demo-jar --version 1.20.5
) >target/flink-setup.log 2>&1 &
setup_pid=$!

cargo build --lib --bins --tests --locked
wait "$setup_pid" || { log "Flink set-up failed; its log:"; cat target/flink-setup.log >&2; }

cargo test --lib --bins --tests --locked --no-fail-fast "$@"
