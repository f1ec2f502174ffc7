#!/usr/bin/env bash
# The main job on a fresh machine: builds flinkdeck, brings up real local Flink 2.3.0 (port 8081)
# and 1.20.5 (port 8082) with the demo jobs (a steady stateful job and one that fails and
# restarts), and opens the console on both clusters. `scripts/flink-local.sh down --all` stops
# the clusters afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v java >/dev/null || ! command -v javac >/dev/null; then
  echo "demo.sh: installing a Java 17 JDK" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null
fi
cargo build --release --locked
scripts/flink-local.sh up --version 2.3.0 --port 8081 --demo
scripts/flink-local.sh up --version 1.20.5 --port 8082 --demo
exec target/release/flinkdeck --config config/demo.toml "$@"
