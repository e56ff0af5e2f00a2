# Shared by the set-up scripts: where things are cached and the pinned versions.
# Sourced, not run.
set -euo pipefail

TEMPORAL_C_CACHE="${TEMPORAL_C_CACHE:-$HOME/.cache/temporal-c}"
mkdir -p "$TEMPORAL_C_CACHE"

# Pinned versions (change here, nowhere else).
TEMPORAL_CLI_VERSION="v1.8.2"
TEMPORAL_CLI_CLIEXT_VERSION="v0.0.0-20260731000218-c579925f193f"
TEMPORALIO_PY_VERSION="1.35.0"
GO_SDK_VERSION="v1.51.0"  # the benchmark's Go worker (bench/go/go.mod says the same; scripts/setup-bench.sh)
PROTO_NPM_PACKAGE="@temporalio/core-bridge"
PROTO_NPM_VERSION="1.24.0"

log() { printf '[setup] %s\n' "$*" >&2; }
PROTO_NPM_SHA256="5f58de2e98bdc4711be3cbb06cc08bc39cb274cbbac41d02f0352bfe1630a8f7"
