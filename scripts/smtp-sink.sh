#!/usr/bin/env bash
# smtp-sink.sh - a real SMTP server for flinkdeck's alert tests: aiosmtpd from PyPI, installed
# into a private virtualenv in the cache (outside the repository). Prints the venv's python as
# the last line of stdout; the tests run `<python> -m aiosmtpd -n -l 127.0.0.1:PORT
# [--tlscert C --tlskey K] -c aiosmtpd.handlers.Mailbox MAILDIR`.
#
#   cache root  ${FLINKDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkdeck}
#   venv        <cache>/smtp-venv
set -euo pipefail

CACHE="${FLINKDECK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flinkdeck}"
VENV="$CACHE/smtp-venv"
PYTHON="${PYTHON:-python3}"
AIOSMTPD_VERSION="1.4.6"

mkdir -p "$CACHE/locks"
exec 9>"$CACHE/locks/smtp-venv.lock"
flock 9
if ! "$VENV/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  echo "smtp-sink: installing aiosmtpd $AIOSMTPD_VERSION into $VENV" >&2
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV" >&2 ||
    { echo "smtp-sink: '$PYTHON -m venv' failed (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==$AIOSMTPD_VERSION" >&2 ||
    { echo "smtp-sink: could not install aiosmtpd from PyPI" >&2; exit 1; }
fi
echo "$VENV/bin/python"
