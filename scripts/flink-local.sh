#!/usr/bin/env bash
# -----------------------------------------------------------------------------
# flink-local.sh - run real Apache Flink standalone clusters on loopback for
# flinkdeck development, demos, integration tests, CI and benchmarks.
#
# Flink distributions are taken from PyPI (package `apache-flink-libraries`,
# which ships the jars of a Flink distribution) and installed into a cache
# outside the repository:
#
#   cache root   ${FLINKDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkdeck}
#   downloads    <cache>/downloads/       (wheel / sdist as fetched by pip)
#   Flink homes  <cache>/flink/<version>/ (lib/ opt/ plugins/ bin/ conf/)
#   instances    <cache>/clusters/<version>-<port>/
#                  conf/         config.yaml (2.x) or flink-conf.yaml (1.x) + log4j
#                  log/          flink-{jobmanager,taskmanager}.{log,out}
#                  checkpoints/  savepoints/  jars/ (REST uploads)  tmp/
#                  jobmanager.pid  taskmanager.pid
#   demo jars    <cache>/demo/<version>-<source hash>/flinkdeck-demo-*.jar
#
# Usage:
#   scripts/flink-local.sh install     [--version V]
#       Download (if needed) and unpack Flink V. Prints the Flink home as the
#       last line of stdout. Idempotent; safe to interrupt.
#   scripts/flink-local.sh up          [--version V] [--port P] [--demo]
#       Install if needed, then start a JobManager + TaskManager (8 slots) with
#       REST on 127.0.0.1:P, and wait until a TaskManager is registered.
#       Idempotent: if the instance is already healthy it just says so. With
#       --demo also submits the demo jobs (demo-steady, demo-flaky) unless jobs
#       with those names are already running there. Prints the REST URL last.
#   scripts/flink-local.sh down        [--version V] [--port P] | --all
#       Stop one instance (SIGTERM, SIGKILL after a timeout) or all instances
#       of this cache. Only processes started for that instance are signalled.
#   scripts/flink-local.sh status      [--version V] [--port P]
#       One line per instance: version, port, up/degraded/down, pids, URL.
#       With --version/--port, only matching instances; exit 1 if none is up.
#   scripts/flink-local.sh demo-jar    [--version V]
#       Build (cached by version + source hash) the demo job jar from
#       scripts/demo/FlinkdeckDemo.java; prints its path as the last line.
#   scripts/flink-local.sh submit-demo [--version V] [--port P]
#       Upload the demo jar (reusing an identical upload) and always run both
#       demo jobs again (parallelism 1); prints "<job name> <job id>" per job.
#       (`up --demo` prints the same lines, for new or already running jobs.)
#
#   Demo jobs (scripts/demo/FlinkdeckDemo.java): demo-steady is an endless
#   keyed counter at 5 records/s with checkpoints every 5 s; demo-flaky also
#   throws every ~10 s, so it cycles RUNNING -> RESTARTING (3 s delay) and
#   builds up exception history. Both print ~1 line/s to TaskManager stdout.
#
#   Versions: any release of apache-flink-libraries from 1.18 to 2.3 (checked
#   by `scripts/test.sh --matrix` on 1.18.1, 1.19.3, 1.20.5, 2.0.2, 2.1.3,
#   2.2.1 and 2.3.0). Up to 2.1 PyPI has an sdist whose deps/ is the
#   distribution; from 2.2 a wheel whose pyflink/ is. 1.x gets flink-conf.yaml
#   (1.18 reads nothing else; 1.19/1.20 also read config.yaml), 2.x gets
#   config.yaml (the only file 2.x reads). Checkpoint/savepoint directory keys
#   are execution.checkpointing.* from 1.20 and state.* before.
#
#   Defaults: --version 2.3.0, --port 8081. FLINKDECK_SLOTS sets the TaskManager's slots
#   (default 8; the test suite uses 32 so that many small test jobs fit at once).
#
# Examples:
#   scripts/flink-local.sh up --demo                               # 2.3.0 on 8081
#   scripts/flink-local.sh up --version 1.20.5 --port 8082 --demo  # side by side
#   scripts/flink-local.sh status
#   scripts/flink-local.sh down --all
#
# Ports (everything binds to 127.0.0.1):
#   rest.port                 P
#   jobmanager.rpc.port       a free port picked by the OS at `up` (ephemeral
#                             range, recorded in <instance>/instance.env). The
#                             TaskManager must know it, so it cannot be 0; a
#                             fixed offset like P+10000 would collide with
#                             other instances' REST ports (e.g. tests use 18081).
#   blob server, TaskManager rpc/data, metrics query service: 0 (ephemeral)
#
# Environment:
#   FLINKDECK_CACHE         cache root (see above)
#   FLINKDECK_UP_TIMEOUT    seconds to wait for a cluster to be ready (90)
#   FLINKDECK_STOP_TIMEOUT  seconds between SIGTERM and SIGKILL on `down` (30)
#   FLINKDECK_PYTHON        python interpreter (python3)
#   JAVA_HOME               Java 11+ to use (otherwise `java` on PATH)
#   PIP_INDEX_URL etc.      honoured by pip when downloading
#
# Requirements: bash 4.4+, Linux (/proc), Java 11+ (17 recommended) with
# javac/jar for the demo jar, python3 with venv (downloads, zip, JSON), curl,
# tar, flock (util-linux; optional but recommended).
# -----------------------------------------------------------------------------
set -euo pipefail

readonly DEFAULT_VERSION="2.3.0"
readonly DEFAULT_PORT="8081"
readonly PYPI_PACKAGE="apache-flink-libraries"
readonly DEMO_CLASS="flinkdeck.demo.FlinkdeckDemo"
readonly DEMO_JOBS=("demo-steady" "demo-flaky")
# Bump when the install layout / demo build recipe changes to invalidate caches.
readonly INSTALL_LAYOUT="1"
readonly DEMO_RECIPE="1"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly DEMO_SOURCE="$SCRIPT_DIR/demo/FlinkdeckDemo.java"

CACHE="${FLINKDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkdeck}"
UP_TIMEOUT="${FLINKDECK_UP_TIMEOUT:-90}"
STOP_TIMEOUT="${FLINKDECK_STOP_TIMEOUT:-30}"
PYTHON="${FLINKDECK_PYTHON:-python3}"

# Runtime classes.
readonly JM_CLASS="org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint"
readonly TM_CLASS="org.apache.flink.runtime.taskexecutor.TaskManagerRunner"
readonly BASH_UTILS_CLASS="org.apache.flink.runtime.util.bash.BashJavaUtils"

# Module opens needed by Flink on Java 17 (same spirit as env.java.opts.all in
# Flink's default config.yaml). Harmless on Java 11.
readonly JAVA_MODULE_OPTS=(
  -XX:+IgnoreUnrecognizedVMOptions
  --add-exports=java.base/sun.net.util=ALL-UNNAMED
  --add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED
  --add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED
  --add-opens=java.base/java.lang=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED
  --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED
  --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED
  --add-opens=java.base/java.time=ALL-UNNAMED
  --add-opens=java.base/java.text=ALL-UNNAMED
  --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  --add-opens=java.sql/java.sql=ALL-UNNAMED
)

# ----------------------------------------------------------------------------
# Small helpers
# ----------------------------------------------------------------------------

log() { printf 'flink-local: %s\n' "$*" >&2; }
die() {
  printf 'flink-local: ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  # Print the comment block at the top of this file.
  sed -n '2,/^# ---*$/{/^# ---*$/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not found on PATH${2:+ ($2)}"
}

# Tool lookup: prefer $JAVA_HOME/bin/<tool>, else PATH.
java_tool() {
  local tool="$1"
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/$tool" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/$tool"
  elif command -v "$tool" >/dev/null 2>&1; then
    command -v "$tool"
  else
    die "'$tool' not found (set JAVA_HOME to a JDK 11+ or put it on PATH)"
  fi
}

check_java() {
  local java ver major
  java="$(java_tool java)"
  ver="$("$java" -version 2>&1 | sed -n 's/.* version "\([^"]*\)".*/\1/p' | head -n1)"
  [[ -n "$ver" ]] || die "could not determine the Java version of $java"
  major="${ver%%.*}"
  [[ "$major" == "1" ]] && major="$(cut -d. -f2 <<<"$ver")"
  if ! [[ "$major" =~ ^[0-9]+$ ]] || ((major < 11)); then
    die "Java 11+ is required (17 recommended), but $java is version $ver"
  fi
  JAVA="$java"
}

validate_version() {
  [[ "$1" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
    die "invalid Flink version '$1' (expected e.g. 2.3.0 or 1.20.5)"
}

validate_port() {
  if ! [[ "$1" =~ ^[0-9]+$ ]] || (($1 < 1024 || $1 > 65535)); then
    die "invalid port '$1' (expected 1024..65535)"
  fi
}

major_of() { printf '%s\n' "${1%%.*}"; }

# A currently free TCP port on 127.0.0.1, chosen by the OS (ephemeral range),
# for jobmanager.rpc.port (see header).
free_port() {
  "$PYTHON" -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# True if something accepts TCP connections on 127.0.0.1:$1.
port_in_use() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" >/dev/null 2>&1
}

# Run python3 on a JSON document read from stdin. $1 is a Python snippet that
# can use `d` (the parsed document) and sys.argv[2:] (= the remaining
# arguments); errors -> non-zero exit.
json() {
  "$PYTHON" -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(3)
exec(sys.argv[1])
' "$@"
}

# curl wrapper for the REST API: prints the body, fails on HTTP errors.
rest_get() {
  curl -fsS --max-time "${2:-5}" "http://127.0.0.1:$PORT$1"
}

# Exclusive lock on <cache>/locks/$1, held until the shell exits. The lock fd
# is closed for the background Flink processes (see start_process), otherwise
# they would hold the lock forever. Falls back to no locking without flock.
LOCK_FD=""
take_lock() {
  local name="$1" fd
  command -v flock >/dev/null 2>&1 || return 0
  mkdir -p "$CACHE/locks"
  exec {fd}>"$CACHE/locks/$name.lock"
  if ! flock -n "$fd"; then
    log "waiting for lock $name (another flink-local.sh is working on it)..."
    flock -w 600 "$fd" || die "timed out waiting for lock $CACHE/locks/$name.lock"
  fi
  LOCK_FD="${LOCK_FD:+$LOCK_FD }$fd"
}

# ----------------------------------------------------------------------------
# install: download + unpack
# ----------------------------------------------------------------------------

flink_home() { printf '%s\n' "$CACHE/flink/$1"; }

# Prints the path of an already downloaded archive for version $1, if any.
find_download() {
  local v="$1" f
  for f in "$CACHE/downloads/apache_flink_libraries-$v-"*.whl \
    "$CACHE/downloads/apache_flink_libraries-$v.tar.gz" \
    "$CACHE/downloads/apache-flink-libraries-$v.tar.gz"; do
    if [[ -f "$f" && -s "$f" ]]; then
      printf '%s\n' "$f"
      return 0
    fi
  done
  return 1
}

# A private venv with wheel + setuptools: `pip download` of the sdists (up to 2.1)
# runs setup.py to read metadata and fails with "invalid command bdist_wheel"
# when `wheel` is missing.
ensure_venv() {
  local venv="$CACHE/venv"
  if [[ -x "$venv/bin/pip" ]] && "$venv/bin/python" -c 'import wheel, setuptools' 2>/dev/null; then
    return 0
  fi
  need "$PYTHON"
  log "creating helper virtualenv $venv (pip + wheel + setuptools)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv" >&2 ||
    die "'$PYTHON -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet wheel setuptools >&2 ||
    die "could not install wheel/setuptools into $venv (is PyPI reachable?)"
}

download_dist() {
  local v="$1" existing tmp f dl_log
  if existing="$(find_download "$v")"; then
    printf '%s\n' "$existing"
    return 0
  fi
  ensure_venv
  mkdir -p "$CACHE/downloads"
  # Leftovers of interrupted downloads (the caller holds the install lock).
  rm -rf "$CACHE/downloads/.tmp-$v-"*
  tmp="$(mktemp -d "$CACHE/downloads/.tmp-$v-XXXXXX")"
  dl_log="$CACHE/downloads/dl-$v.log"
  log "downloading $PYPI_PACKAGE==$v from PyPI (~250-350 MB; log: $dl_log)"
  if ! "$CACHE/venv/bin/pip" download --no-deps --disable-pip-version-check \
    -d "$tmp" "$PYPI_PACKAGE==$v" >"$dl_log" 2>&1; then
    tail -n 25 "$dl_log" >&2 || true
    rm -rf "$tmp"
    die "pip download of $PYPI_PACKAGE==$v failed (see $dl_log). Does that Flink version exist on PyPI?"
  fi
  for f in "$tmp"/*; do
    case "$f" in
      */apache_flink_libraries-"$v"-*.whl | */apache[-_]flink[-_]libraries-"$v".tar.gz)
        mv -f "$f" "$CACHE/downloads/"
        ;;
    esac
  done
  rm -rf "$tmp"
  find_download "$v" || die "pip reported success but no archive for $v was found in $CACHE/downloads"
}

# Default log4j configuration: rolling file at ${sys:log.file}, like Flink's
# conf/log4j.properties. The REST log endpoints serve the directory of log.file
# and the .out file next to it, so these names matter.
write_log4j_properties() {
  cat >"$1" <<'EOF'
# Written by flinkdeck scripts/flink-local.sh (modelled on Flink's conf/log4j.properties)
monitorInterval = 30
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = MainAppender

logger.pekko.name = org.apache.pekko
logger.pekko.level = INFO
logger.akka.name = akka
logger.akka.level = INFO
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = INFO
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF

appender.main.name = MainAppender
appender.main.type = RollingFile
appender.main.append = true
appender.main.fileName = ${sys:log.file}
appender.main.filePattern = ${sys:log.file}.%i
appender.main.layout.type = PatternLayout
appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
appender.main.policies.type = Policies
appender.main.policies.size.type = SizeBasedTriggeringPolicy
appender.main.policies.size.size = 20MB
appender.main.policies.startup.type = OnStartupTriggeringPolicy
appender.main.strategy.type = DefaultRolloverStrategy
appender.main.strategy.max = 5
EOF
}

# Console-only log4j config (used for BashJavaUtils and handy for clients).
write_log4j_console_properties() {
  cat >"$1" <<'EOF'
# Written by flinkdeck scripts/flink-local.sh
rootLogger.level = WARN
rootLogger.appenderRef.console.ref = ConsoleAppender
appender.console.name = ConsoleAppender
appender.console.type = CONSOLE
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
EOF
}

# Installs version $1 (if needed) and sets FLINK_HOME.
install_flink() {
  local v="$1" home archive tmp src marker
  home="$(flink_home "$v")"
  marker="$home/.flinkdeck-install"
  if [[ -f "$marker" ]] && grep -qx "layout=$INSTALL_LAYOUT" "$marker"; then
    FLINK_HOME="$home"
    return 0
  fi
  take_lock "install-$v"
  if [[ -f "$marker" ]] && grep -qx "layout=$INSTALL_LAYOUT" "$marker"; then
    FLINK_HOME="$home"
    return 0
  fi
  need tar
  need "$PYTHON"
  archive="$(download_dist "$v")"
  mkdir -p "$CACHE/flink"
  # Leftovers of interrupted runs (we hold the install lock for $v).
  rm -rf "$CACHE/flink/.unpack-$v-"*
  tmp="$(mktemp -d "$CACHE/flink/.unpack-$v-XXXXXX")"
  log "unpacking $(basename "$archive") ..."
  case "$archive" in
    *.whl)
      # 2.2 and later: a wheel whose pyflink/ directory is the distribution.
      "$PYTHON" -m zipfile -e "$archive" "$tmp/x" || die "could not unzip $archive (corrupt? delete it and retry)"
      src="$tmp/x/pyflink"
      ;;
    *.tar.gz)
      # Up to 2.1: an sdist whose <name>-<version>/deps/ directory is the distribution.
      mkdir -p "$tmp/x"
      tar -xzf "$archive" -C "$tmp/x" || die "could not untar $archive (corrupt? delete it and retry)"
      src="$(find "$tmp/x" -mindepth 2 -maxdepth 2 -type d -name deps | head -n1)"
      ;;
    *) die "unexpected archive $archive" ;;
  esac
  [[ -n "$src" && -d "$src/lib" ]] || die "no Flink distribution (lib/) found in $archive"
  compgen -G "$src/lib/flink-dist*.jar" >/dev/null || die "flink-dist jar missing in $archive"
  [[ -f "$src/bin/bash-java-utils.jar" ]] || die "bin/bash-java-utils.jar missing in $archive"
  # The PyPI packages have no conf/ and no shell scripts; add a log4j config so
  # the home is usable on its own. Per-instance configs live in the instance dir.
  mkdir -p "$src/conf" "$src/log"
  write_log4j_properties "$src/conf/log4j.properties"
  write_log4j_console_properties "$src/conf/log4j-console.properties"
  printf 'version=%s\nlayout=%s\narchive=%s\n' "$v" "$INSTALL_LAYOUT" "$(basename "$archive")" >"$src/.flinkdeck-install"
  # Atomic-ish swap: a home without marker is incomplete and is replaced.
  rm -rf "$home"
  mv "$src" "$home"
  rm -rf "$tmp"
  log "installed Flink $v into $home"
  FLINK_HOME="$home"
}

# ----------------------------------------------------------------------------
# Instance processes
# ----------------------------------------------------------------------------

instance_dir() { printf '%s\n' "$CACHE/clusters/$1-$2"; }

# Prints the pids of processes of role $2 (jm|tm) for instance dir $1, found by
# their command line: the entrypoint class AND "--configDir <instance>/conf".
# This never matches unrelated processes and survives stale/missing pid files.
instance_pids() {
  local inst="$1" role="$2" cls f pid
  local -a argv
  case "$role" in
    jm) cls="$JM_CLASS" ;;
    tm) cls="$TM_CLASS" ;;
  esac
  # Pre-filter: command lines having "<instance>/conf" as one whole argument
  # (grep -z treats NUL-separated argv entries as lines); then exact check.
  for f in $(grep -lzxF -- "$inst/conf" /proc/[0-9]*/cmdline 2>/dev/null || true); do
    pid="${f#/proc/}"
    pid="${pid%/cmdline}"
    mapfile -d '' -t argv <"$f" 2>/dev/null || continue
    ((${#argv[@]} > 2)) || continue
    local i has_cls=0 has_conf=0
    for ((i = 0; i < ${#argv[@]}; i++)); do
      [[ "${argv[i]}" == "$cls" ]] && has_cls=1
      if [[ "${argv[i]}" == "--configDir" && "${argv[i + 1]:-}" == "$inst/conf" ]]; then
        has_conf=1
      fi
    done
    ((has_cls && has_conf)) && printf '%s\n' "$pid"
  done
  return 0
}

pid_alive() { kill -0 "$1" 2>/dev/null; }

# Keeps the last few .out files, like Flink's scripts do.
rotate_out_file() {
  local f="$1" i
  [[ -s "$f" ]] || return 0
  for i in 4 3 2 1; do
    [[ -f "$f.$i" ]] && mv -f "$f.$i" "$f.$((i + 1))"
  done
  mv -f "$f" "$f.1"
}

# Runs BashJavaUtils and prints its two result lines (JVM args, dynamic -D).
bash_java_utils() {
  local cmd="$1" conf="$2" out
  if ! out="$("$JAVA" -Dlog4j.configurationFile="file:$conf/log4j-console.properties" \
    -cp "$FLINK_HOME/bin/bash-java-utils.jar:$FLINK_HOME/lib/*" \
    "$BASH_UTILS_CLASS" "$cmd" --configDir "$conf" 2>&1)"; then
    printf '%s\n' "$out" | tail -n 30 >&2
    die "BashJavaUtils $cmd failed (invalid memory configuration in $conf?)"
  fi
  out="$(printf '%s\n' "$out" | sed -n 's/^BASH_JAVA_UTILS_EXEC_RESULT://p')"
  [[ "$(printf '%s\n' "$out" | wc -l)" -ge 2 ]] || die "unexpected BashJavaUtils $cmd output"
  printf '%s\n' "$out" | tail -n 2
}

# start_process <role> <instance dir>: launches the JM or TM in its own session,
# detached from our stdio (so callers capturing our output do not hang), and
# records the pid.
start_process() {
  local role="$1" inst="$2" name cls params jvm_line dyn_line
  local -a jvm_params dyn_params
  case "$role" in
    jm) name="jobmanager" cls="$JM_CLASS" params="GET_JM_RESOURCE_PARAMS" ;;
    tm) name="taskmanager" cls="$TM_CLASS" params="GET_TM_RESOURCE_PARAMS" ;;
  esac
  local conf="$inst/conf" logdir="$inst/log"
  local out
  out="$(bash_java_utils "$params" "$conf")"
  jvm_line="$(sed -n 1p <<<"$out")"
  dyn_line="$(sed -n 2p <<<"$out")"
  # Both lines are space separated tokens without embedded spaces
  # ("-Xmx.. -Xms.." and "-D key=value -D key=value").
  read -r -a jvm_params <<<"$jvm_line"
  read -r -a dyn_params <<<"$dyn_line"

  rotate_out_file "$logdir/flink-$name.out"
  local -a java_cmd=(
    "$JAVA" "${jvm_params[@]}" "${JAVA_MODULE_OPTS[@]}"
    # Flink's planner loader copies the table planner (~45 MB) to java.io.tmpdir for every SQL
    # job's classloader and deletes it only on a clean JVM exit; keep those copies in the
    # instance (cleared on up and down) instead of /tmp.
    "-Djava.io.tmpdir=$inst/tmp"
    "-Dlog.file=$logdir/flink-$name.log"
    "-Dlog4j.configuration=file:$conf/log4j.properties"
    "-Dlog4j.configurationFile=file:$conf/log4j.properties"
    "-Dlogback.configurationFile=file:$conf/logback.xml"
    -classpath "$FLINK_HOME/lib/*"
    "$cls" --configDir "$conf" "${dyn_params[@]}"
  )
  # setsid: own session, immune to the caller's Ctrl-C / process-group kills.
  # The inner bash writes its own pid and then execs java (so pid == java).
  # Lock fds are closed so the daemons do not inherit our flocks.
  rm -f "$inst/$name.pid"
  local fd closefds=""
  for fd in $LOCK_FD; do closefds+=" $fd>&-"; done
  (
    cd "$inst"
    export FLINK_HOME FLINK_CONF_DIR="$conf" FLINK_LIB_DIR="$FLINK_HOME/lib" \
      FLINK_OPT_DIR="$FLINK_HOME/opt" FLINK_PLUGINS_DIR="$FLINK_HOME/plugins" \
      FLINK_BIN_DIR="$FLINK_HOME/bin" FLINK_LOG_DIR="$logdir"
    eval "exec $closefds" # close inherited lock fds in this subshell
    # shellcheck disable=SC2016 # $$/$1/$@ are for the inner bash
    setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' flink-local \
      "$inst/$name.pid" "${java_cmd[@]}" \
      >>"$logdir/flink-$name.out" 2>&1 </dev/null &
  )
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$inst/$name.pid" ]] && break
    sleep 0.1
  done
  log "started $name (pid $(cat "$inst/$name.pid" 2>/dev/null || echo '?'))"
}

# Prints "<taskmanagers> <flink-version>" from /overview, or fails.
overview_summary() {
  rest_get /overview 3 2>/dev/null |
    json 'print(int(d.get("taskmanagers", 0)), d.get("flink-version", "?"))'
}

print_log_tails() {
  local inst="$1" f
  for f in "$inst"/log/flink-jobmanager.log "$inst"/log/flink-jobmanager.out \
    "$inst"/log/flink-taskmanager.log "$inst"/log/flink-taskmanager.out; do
    [[ -s "$f" ]] || continue
    printf '\n===== tail -n 40 %s =====\n' "$f" >&2
    tail -n 40 "$f" >&2 || true
  done
}

# Stops every process of the instance: TaskManager first, then JobManager.
stop_instance() {
  local inst="$1" role pid deadline any=0
  local -a pids
  for role in tm jm; do
    mapfile -t pids < <(instance_pids "$inst" "$role")
    ((${#pids[@]})) || continue
    any=1
    log "stopping $role of $(basename "$inst") (pid ${pids[*]})"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    deadline=$((SECONDS + STOP_TIMEOUT))
    while ((SECONDS < deadline)); do
      local alive=0
      for pid in "${pids[@]}"; do pid_alive "$pid" && alive=1; done
      ((alive)) || break
      sleep 0.3
    done
    for pid in "${pids[@]}"; do
      if pid_alive "$pid"; then
        log "pid $pid did not exit within ${STOP_TIMEOUT}s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
  done
  rm -f "$inst/jobmanager.pid" "$inst/taskmanager.pid"
  # Blob store, web uploads' tmp and planner copies: nothing survives a restart of the instance.
  ((any)) && rm -rf "${inst:?}/tmp" && mkdir -p "$inst/tmp"
  return $((any ? 0 : 1))
}

# ----------------------------------------------------------------------------
# Instance configuration
# ----------------------------------------------------------------------------

write_instance_config() {
  local inst="$1" v="$2" p="$3" rpc="$4" conf file major
  conf="$inst/conf"
  major="$(major_of "$v")"
  mkdir -p "$conf" "$inst/log" "$inst/checkpoints" "$inst/savepoints" "$inst/tmp" "$inst/jars"
  rm -f "$conf/config.yaml" "$conf/flink-conf.yaml"
  write_log4j_properties "$conf/log4j.properties"
  write_log4j_console_properties "$conf/log4j-console.properties"

  # 2.x only reads config.yaml (standard YAML); 1.x gets the legacy
  # flink-conf.yaml. The flat "key: value" lines below are valid for both.
  # Checkpoint keys: 1.20 and 2.x both accept execution.checkpointing.{dir,
  # savepoint-dir,num-retained}; the older state.checkpoints.dir,
  # state.savepoints.dir and state.checkpoints.num-retained still work there
  # as deprecated fallbacks, but 1.20 logs a deprecation WARN for them on
  # every task deployment. Versions before 1.20 only know the old names.
  local ckpt_keys minor
  minor="$(cut -d. -f2 <<<"$v")"
  if ((major >= 2)); then
    file="$conf/config.yaml"
  else
    file="$conf/flink-conf.yaml"
  fi
  if ((major >= 2 || minor >= 20)); then
    ckpt_keys="execution.checkpointing.dir: file://$inst/checkpoints
execution.checkpointing.savepoint-dir: file://$inst/savepoints
execution.checkpointing.num-retained: 3"
  else
    ckpt_keys="state.checkpoints.dir: file://$inst/checkpoints
state.savepoints.dir: file://$inst/savepoints
state.checkpoints.num-retained: 3"
  fi
  cat >"$file" <<EOF
# Written by flinkdeck scripts/flink-local.sh for Flink $v on port $p.
# Regenerated on every \`up\`; edit the script, not this file.

# --- addresses and ports (everything on loopback; see script header) ---
jobmanager.rpc.address: 127.0.0.1
jobmanager.bind-host: 127.0.0.1
jobmanager.rpc.port: $rpc
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.rpc.port: 0
taskmanager.data.port: 0
blob.server.port: 0
metrics.internal.query-service.port: 0
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $p

# --- resources ---
jobmanager.memory.process.size: 1024m
taskmanager.memory.process.size: 1536m
taskmanager.numberOfTaskSlots: ${FLINKDECK_SLOTS:-8}
parallelism.default: 1

# --- checkpoints / savepoints / state ---
state.backend.type: hashmap
execution.checkpointing.interval: 5 s
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
$ckpt_keys

# --- failure handling ---
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: 2147483647
restart-strategy.fixed-delay.delay: 3 s

# --- web / REST ---
web.exception-history-size: 16
rest.flamegraph.enabled: false
web.submit.enable: true
web.cancel.enable: true
web.tmpdir: $inst/tmp
web.upload.dir: $inst/jars

# --- local directories ---
io.tmp.dirs: $inst/tmp
EOF
  printf 'version=%s\nport=%s\nrpc_port=%s\nflink_home=%s\n' "$v" "$p" "$rpc" "$FLINK_HOME" >"$inst/instance.env"
}

# ----------------------------------------------------------------------------
# Commands
# ----------------------------------------------------------------------------

cmd_install() {
  install_flink "$VERSION"
  printf '%s\n' "$FLINK_HOME"
}

# Waits until /overview reports >= 1 TaskManager and the right version.
# Fails early if one of the instance's processes dies.
wait_ready() {
  local inst="$1" deadline summary tms ver
  deadline=$((SECONDS + UP_TIMEOUT))
  while ((SECONDS < deadline)); do
    if summary="$(overview_summary)"; then
      read -r tms ver <<<"$summary"
      if [[ "$ver" != "$VERSION" ]]; then
        print_log_tails "$inst"
        die "port $PORT answers as Flink $ver, expected $VERSION"
      fi
      ((tms >= 1)) && return 0
    fi
    if [[ -z "$(instance_pids "$inst" jm)" ]]; then
      print_log_tails "$inst"
      die "the JobManager of $(basename "$inst") exited during startup (logs above, in $inst/log)"
    fi
    if [[ -z "$(instance_pids "$inst" tm)" ]]; then
      print_log_tails "$inst"
      die "the TaskManager of $(basename "$inst") exited during startup (logs above, in $inst/log)"
    fi
    sleep 0.5
  done
  print_log_tails "$inst"
  die "Flink $VERSION on port $PORT was not ready after ${UP_TIMEOUT}s (logs above, in $inst/log)"
}

cmd_up() {
  local inst t0 jm tm summary tms ver rpc
  t0=$SECONDS
  need curl
  need "$PYTHON"
  check_java
  install_flink "$VERSION"
  inst="$(instance_dir "$VERSION" "$PORT")"
  take_lock "cluster-$VERSION-$PORT"

  jm="$(instance_pids "$inst" jm | tr '\n' ' ')"
  tm="$(instance_pids "$inst" tm | tr '\n' ' ')"
  if [[ -n "$jm" && -n "$tm" ]]; then
    # Our processes are running: wait for (or confirm) readiness.
    wait_ready "$inst"
    log "Flink $VERSION is already up on port $PORT (jobmanager pid ${jm% }, taskmanager pid ${tm% })"
  else
    if [[ -n "$jm$tm" ]]; then
      log "instance $(basename "$inst") is only partially running; restarting it"
      stop_instance "$inst" || true
    fi
    if port_in_use "$PORT"; then
      if summary="$(overview_summary)"; then
        read -r tms ver <<<"$summary"
        if [[ "$ver" == "$VERSION" ]] && ((tms >= 1)); then
          log "WARNING: a healthy Flink $VERSION already serves port $PORT, but it was not started from $CACHE; using it as is (down/status cannot manage it)"
          [[ "$DEMO" == 1 ]] && submit_demo 1
          printf 'http://127.0.0.1:%s\n' "$PORT"
          return 0
        fi
        die "port $PORT is already used by Flink $ver (not $VERSION); stop it (e.g. '$0 down --version $ver --port $PORT') or pick another --port"
      fi
      die "port $PORT (127.0.0.1) is already in use by another process; pick another --port"
    fi
    rpc="$(free_port)" || die "could not find a free port for jobmanager.rpc.port"

    write_instance_config "$inst" "$VERSION" "$PORT" "$rpc"
    # Leftovers (blob store, web tmp) of a previous run; no process uses them now.
    rm -rf "${inst:?}/tmp" && mkdir -p "$inst/tmp"
    log "starting Flink $VERSION: REST http://127.0.0.1:$PORT, rpc $rpc, instance $inst"
    start_process jm "$inst"
    start_process tm "$inst"
    wait_ready "$inst"
    log "Flink $VERSION is up on port $PORT after $((SECONDS - t0))s (logs: $inst/log)"
  fi
  [[ "$DEMO" == 1 ]] && submit_demo 1
  printf 'http://127.0.0.1:%s\n' "$PORT"
}

cmd_down() {
  local inst found=0
  if [[ "$ALL" == 1 ]]; then
    for inst in "$CACHE"/clusters/*/; do
      [[ -d "$inst" ]] || continue
      inst="${inst%/}"
      found=1
      take_lock "cluster-$(basename "$inst")"
      stop_instance "$inst" || log "$(basename "$inst") was not running"
    done
    ((found)) || log "no instances in $CACHE/clusters"
    return 0
  fi
  inst="$(instance_dir "$VERSION" "$PORT")"
  if [[ ! -d "$inst" ]]; then
    log "no instance $VERSION-$PORT in $CACHE/clusters (nothing to stop)"
    return 0
  fi
  take_lock "cluster-$VERSION-$PORT"
  if stop_instance "$inst"; then
    log "stopped Flink $VERSION on port $PORT"
  else
    log "Flink $VERSION on port $PORT was not running"
  fi
}

cmd_status() {
  local inst name v p jm tm state summary tms ver any_up=0 shown=0
  printf '%-10s %-6s %-9s %-10s %-10s %s\n' VERSION PORT STATE JM_PID TM_PID URL
  for inst in "$CACHE"/clusters/*/; do
    [[ -d "$inst" ]] || continue
    inst="${inst%/}"
    name="$(basename "$inst")"
    v="${name%-*}"
    p="${name##*-}"
    [[ "$VERSION_SET" == 1 && "$v" != "$VERSION" ]] && continue
    [[ "$PORT_SET" == 1 && "$p" != "$PORT" ]] && continue
    shown=1
    jm="$(instance_pids "$inst" jm | paste -sd, -)"
    tm="$(instance_pids "$inst" tm | paste -sd, -)"
    state=down
    if [[ -n "$jm" || -n "$tm" ]]; then
      state=degraded
      if [[ -n "$jm" && -n "$tm" ]] && summary="$(PORT="$p" overview_summary)"; then
        read -r tms ver <<<"$summary"
        if ((tms >= 1)) && [[ "$ver" == "$v" ]]; then
          state=up
          any_up=1
        fi
      fi
    fi
    printf '%-10s %-6s %-9s %-10s %-10s %s\n' "$v" "$p" "$state" "${jm:--}" "${tm:--}" "http://127.0.0.1:$p"
  done
  if [[ "$VERSION_SET" == 1 || "$PORT_SET" == 1 ]]; then
    ((shown)) || log "no matching instance in $CACHE/clusters"
    ((any_up)) || return 1
  fi
  return 0
}

# Builds the demo jar for $VERSION (cached) and sets DEMO_JAR.
build_demo_jar() {
  local hash dir jar tmp javac jartool
  [[ -f "$DEMO_SOURCE" ]] || die "demo source not found: $DEMO_SOURCE"
  install_flink "$VERSION"
  hash="$({
    printf 'recipe=%s version=%s\n' "$DEMO_RECIPE" "$VERSION"
    cat "$DEMO_SOURCE"
  } | sha256sum | cut -c1-12)"
  dir="$CACHE/demo/$VERSION-$hash"
  jar="$dir/flinkdeck-demo-$VERSION-$hash.jar"
  if [[ -s "$jar" ]]; then
    DEMO_JAR="$jar"
    return 0
  fi
  javac="$(java_tool javac)"
  jartool="$(java_tool jar)"
  mkdir -p "$CACHE/demo"
  tmp="$(mktemp -d "$CACHE/demo/.build-XXXXXX")"
  log "compiling demo job against Flink $VERSION ..."
  if ! "$javac" --release 11 -nowarn -encoding UTF-8 -d "$tmp/classes" \
    -cp "$FLINK_HOME/lib/*" "$DEMO_SOURCE" >&2; then
    rm -rf "$tmp"
    die "compiling $DEMO_SOURCE against Flink $VERSION failed"
  fi
  "$jartool" --create --file "$tmp/demo.jar" --main-class "$DEMO_CLASS" -C "$tmp/classes" . ||
    die "jar creation failed"
  mkdir -p "$dir"
  mv -f "$tmp/demo.jar" "$jar"
  rm -rf "$tmp"
  DEMO_JAR="$jar"
}

cmd_demo_jar() {
  build_demo_jar
  printf '%s\n' "$DEMO_JAR"
}

# Prints "<state> <job id>" of a job named $1: a non-terminal one if there is
# any, else the newest one; nothing if there is no such job.
job_state_by_name() {
  rest_get /jobs/overview | json '
jobs = [j for j in d.get("jobs", []) if j.get("name") == sys.argv[2]]
terminal = ("FINISHED", "CANCELED", "FAILED", "SUSPENDED")
jobs.sort(key=lambda j: (j.get("state") not in terminal, j.get("start-time", 0)), reverse=True)
if jobs: print(jobs[0]["state"], jobs[0]["jid"])
' "$1" 2>/dev/null || true
}

# submit_demo <only_missing>: uploads the demo jar (or reuses an uploaded jar
# with the same name) and runs the demo jobs. With only_missing=1, jobs whose
# name is already RUNNING/RESTARTING (or starting) are skipped.
submit_demo() {
  local only_missing="${1:-0}" jar_name jar_id resp name mode jid state i
  local -a pending=() submitted=()
  need curl
  overview_summary >/dev/null || die "no Flink REST API on http://127.0.0.1:$PORT (run: $0 up --version $VERSION --port $PORT)"
  for name in "${DEMO_JOBS[@]}"; do
    if [[ "$only_missing" == 1 ]]; then
      read -r state jid <<<"$(job_state_by_name "$name")"
      case "${state:-}" in
        RUNNING | RESTARTING | CREATED | INITIALIZING | RECONCILING)
          log "demo job $name is already $state ($jid); not submitting it again"
          printf '%s %s\n' "$name" "$jid"
          continue
          ;;
      esac
    fi
    pending+=("$name")
  done
  ((${#pending[@]})) || return 0

  build_demo_jar
  jar_name="$(basename "$DEMO_JAR")"
  # Reuse a previous upload of the very same jar (same version + source hash);
  # delete uploads of older demo jars so /jars stays tidy.
  local jars old
  jars="$(rest_get /jars)" || die "GET /jars on port $PORT failed"
  jar_id="$(json '
for f in d.get("files", []):
    if f.get("name") == sys.argv[2]:
        print(f["id"]); break
' "$jar_name" <<<"$jars" || true)"
  for old in $(json '
import re
pat = re.compile(r"flinkdeck-demo-.*\.jar$")
for f in d.get("files", []):
    if pat.match(f.get("name", "")) and f.get("name") != sys.argv[2]:
        print(f["id"])
' "$jar_name" <<<"$jars" || true); do
    curl -fsS --max-time 10 -X DELETE "http://127.0.0.1:$PORT/jars/$old" >/dev/null &&
      log "deleted outdated demo jar upload $old"
  done
  if [[ -z "$jar_id" ]]; then
    resp="$(curl -sS --max-time 60 -X POST -H 'Expect:' -F "jarfile=@$DEMO_JAR" \
      "http://127.0.0.1:$PORT/jars/upload")" || die "jar upload to port $PORT failed"
    jar_id="$(json '
if d.get("status") != "success": sys.exit(1)
print(d["filename"].replace("\\", "/").rsplit("/", 1)[-1])' <<<"$resp")" ||
      die "jar upload failed: $resp"
    log "uploaded $jar_name as $jar_id"
  fi

  for name in "${pending[@]}"; do
    mode="${name#demo-}"
    resp="$(curl -sS --max-time 120 -X POST -H 'Content-Type: application/json' \
      -d "{\"entryClass\":\"$DEMO_CLASS\",\"programArgsList\":[\"--mode\",\"$mode\",\"--name\",\"$name\"],\"parallelism\":1}" \
      "http://127.0.0.1:$PORT/jars/$jar_id/run")" || die "running $name failed"
    jid="$(json 'print(d["jobid"])' <<<"$resp")" || die "running $name failed: $resp"
    log "submitted $name as job $jid"
    printf '%s %s\n' "$name" "$jid"
    submitted+=("$jid")
  done

  # Wait (briefly) until the new jobs are scheduled.
  for ((i = 0; i < 60; i++)); do
    local all=1
    for jid in "${submitted[@]}"; do
      state="$(rest_get "/jobs/$jid" | json 'print(d["state"])' 2>/dev/null || true)"
      case "$state" in
        RUNNING | RESTARTING) ;;
        FAILED | CANCELED | FINISHED) die "demo job $jid ended in state $state (see GET /jobs/$jid/exceptions)" ;;
        *) all=0 ;;
      esac
    done
    ((all)) && return 0
    sleep 0.5
  done
  log "WARNING: demo jobs were submitted but are not RUNNING yet"
}

cmd_submit_demo() {
  need "$PYTHON"
  check_java
  submit_demo 0
}

# ----------------------------------------------------------------------------
# Argument parsing
# ----------------------------------------------------------------------------

main() {
  local cmd="${1:-}"
  [[ -n "$cmd" ]] || {
    usage
    exit 2
  }
  shift
  VERSION="$DEFAULT_VERSION"
  PORT="$DEFAULT_PORT"
  VERSION_SET=0
  PORT_SET=0
  DEMO=0
  ALL=0
  while (($#)); do
    case "$1" in
      --version | -v)
        [[ $# -ge 2 ]] || die "--version needs a value"
        VERSION="$2" VERSION_SET=1
        shift 2
        ;;
      --version=*) VERSION="${1#*=}" VERSION_SET=1 && shift ;;
      --port | -p)
        [[ $# -ge 2 ]] || die "--port needs a value"
        PORT="$2" PORT_SET=1
        shift 2
        ;;
      --port=*) PORT="${1#*=}" PORT_SET=1 && shift ;;
      --demo) DEMO=1 && shift ;;
      --all) ALL=1 && shift ;;
      -h | --help)
        usage
        exit 0
        ;;
      *) die "unknown argument '$1' (see '$0 --help')" ;;
    esac
  done
  validate_version "$VERSION"
  validate_port "$PORT"
  [[ "$CACHE" != *[[:space:]#]* ]] ||
    die "the cache path '$CACHE' must not contain whitespace or '#' (set FLINKDECK_CACHE)"
  mkdir -p "$CACHE"
  CACHE="$(cd "$CACHE" && pwd)"

  case "$cmd" in
    install) cmd_install ;;
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    demo-jar) cmd_demo_jar ;;
    submit-demo) cmd_submit_demo ;;
    help | -h | --help) usage ;;
    *) die "unknown command '$cmd' (expected install, up, down, status, demo-jar, submit-demo)" ;;
  esac
}

main "$@"
