#!/usr/bin/env bash
# Creates the Python virtual environment for the interop tests and the demo driver: the official
# Temporal Python SDK, pytest, and grpcio for the tests' gRPC proxy (tests/integration/grpc_proxy.py),
# all pinned. Prints the venv's python. Idempotent: a venv whose stamp matches the pinned versions is
# reused without touching PyPI.
. "$(dirname "$0")/common.sh"

PYTEST_VERSION="8.3.4"
PYTEST_TIMEOUT_VERSION="2.3.1"
GRPCIO_VERSION="1.68.1"
venv="$TEMPORAL_C_CACHE/venv"
want="temporalio==$TEMPORALIO_PY_VERSION pytest==$PYTEST_VERSION pytest-timeout==$PYTEST_TIMEOUT_VERSION grpcio==$GRPCIO_VERSION"
if [ -x "$venv/bin/python" ] && [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin/python"
  exit 0
fi
log "creating Python venv with $want"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check $want >&2
echo "$want" > "$venv/.stamp"
echo "$venv/bin/python"
