#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what it needs (Java 17 if missing; Flink
# 2.3.0 and 1.20.5 from PyPI into the cache via scripts/flink-local.sh), starts the shared test
# clusters while the tests compile, runs every test, and stops the test clusters afterwards.
#
#   scripts/test.sh            # all tests (unit, config, snapshots, architecture, real Flink, pty)
#   scripts/test.sh flink_live # extra args go to `cargo test` (e.g. a test binary filter)
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
