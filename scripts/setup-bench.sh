#!/usr/bin/env bash
# Builds the Go side of the benchmark (bench/go: the Go SDK worker and the proxies) against the pinned
# Go SDK from the Go module proxy, into the cache. `make bench` runs it; `make test` never does.
# Prints the directory holding bench-go-worker and bench-proxy. Idempotent: the binaries are keyed by
# a hash of bench/go and the Go version, and a second run only checks that they are there.
. "$(dirname "$0")/common.sh"

root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/bench/go"
grep -q "^require go.temporal.io/sdk $GO_SDK_VERSION\$\|^	go.temporal.io/sdk $GO_SDK_VERSION\$" "$src/go.mod" || {
  log "bench/go/go.mod does not require go.temporal.io/sdk $GO_SDK_VERSION (scripts/common.sh): update one of them"
  exit 1
}
command -v go >/dev/null || { log "Go is required to build the benchmark's Go worker"; exit 1; }
key=$( (cd "$src" && cat go.mod go.sum $(find . -name '*.go' | sort); go version) | sha256sum | cut -c1-12)
dir="$TEMPORAL_C_CACHE/bench-go-$GO_SDK_VERSION/$key"
if [ -x "$dir/bench-go-worker" ] && [ -x "$dir/bench-proxy" ]; then
  echo "$dir"
  exit 0
fi
log "building the benchmark's Go worker and proxies (Go SDK $GO_SDK_VERSION; the first run downloads it)"
rm -rf "$(dirname "$dir")"  # older builds of bench/go for this SDK version
mkdir -p "$dir"
cp -r "$src" "$dir/src"
export GOFLAGS=-mod=mod
export GOPATH="${GOPATH:-$TEMPORAL_C_CACHE/gopath}"
export GOMODCACHE="$TEMPORAL_C_CACHE/gomodcache"
export GOCACHE="$TEMPORAL_C_CACHE/gobuildcache"
cd "$dir/src"
for prog in worker proxy; do
  out="$dir/bench-go-$prog"
  [ "$prog" = proxy ] && out="$dir/bench-proxy"
  if ! go build -o "$out.tmp" "./$prog" >>"$dir/build.log" 2>&1; then
    log "go build ./$prog failed, see $dir/build.log"
    tail -20 "$dir/build.log" >&2
    exit 1
  fi
  mv "$out.tmp" "$out"
done
echo "$dir"
