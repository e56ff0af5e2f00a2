#!/usr/bin/env bash
# Builds the pinned Temporal CLI (its dev server is our real Temporal server for tests and the demo)
# from the Go module proxy. CLI v1.8.2's go.mod replaces a nested module, so `go install` refuses it;
# a tiny wrapper module that requires the CLI and repeats the replace builds it instead.
# Prints the binary's path. Idempotent: a binary already built for this version is reused.
. "$(dirname "$0")/common.sh"

dir="$TEMPORAL_C_CACHE/temporal-cli-$TEMPORAL_CLI_VERSION"
bin="$dir/temporal"
if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { log "Go is required to build the Temporal dev server"; exit 1; }
log "building Temporal CLI $TEMPORAL_CLI_VERSION (first run only, takes a few minutes)"
work="$dir/wrapper"
rm -rf "$work"
mkdir -p "$work"
cat > "$work/go.mod" <<MOD
module temporal-c/devserver

go 1.24

require github.com/temporalio/cli $TEMPORAL_CLI_VERSION

replace github.com/temporalio/cli/cliext => github.com/temporalio/cli/cliext $TEMPORAL_CLI_CLIEXT_VERSION
MOD
cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/temporalio/cli/cmd/temporal"
GO
export GOFLAGS=-mod=mod
export GOPATH="${GOPATH:-$TEMPORAL_C_CACHE/gopath}"
export GOMODCACHE="$TEMPORAL_C_CACHE/gomodcache"
export GOCACHE="$TEMPORAL_C_CACHE/gobuildcache"
cd "$work"
if ! go mod tidy >"$dir/build.log" 2>&1; then
  log "go mod tidy failed, retrying without the checksum database"; GOSUMDB=off go mod tidy >>"$dir/build.log" 2>&1
fi
CGO_ENABLED=0 go build -o "$bin.tmp" github.com/temporalio/cli/cmd/temporal >>"$dir/build.log" 2>&1 \
  || { log "build failed, see $dir/build.log"; tail -20 "$dir/build.log" >&2; exit 1; }
mv "$bin.tmp" "$bin"
echo "$bin"
