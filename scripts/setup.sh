#!/usr/bin/env bash
# Everything the build, the tests and the demo need, on a fresh Debian 12 machine that has Go, Python,
# Node, gcc and cmake: Debian packages, the Temporal API protos, the pinned dev server and the Python
# venv. Each step caches under ~/.cache/temporal-c (or $TEMPORAL_C_CACHE) and does nothing when its
# result is already there, so a second run takes seconds.
#
# Prints nothing on stdout when all is in place; progress goes to stderr.
. "$(dirname "$0")/common.sh"

here="$(cd "$(dirname "$0")" && pwd)"
start=$(date +%s)
"$here/setup-system.sh"
protos=$("$here/setup-protos.sh")
server=$("$here/setup-server.sh")
python=$("$here/setup-python.sh")
if [ "${VERBOSE:-0}" != 0 ] || [ $(( $(date +%s) - start )) -gt 5 ]; then
  log "protos:     $protos"
  log "dev server: $server"
  log "python:     $python"
  log "done in $(( $(date +%s) - start )) s"
fi
