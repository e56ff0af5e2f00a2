#!/usr/bin/env bash
# Fetches the Temporal API .proto files from a pinned npm package (@temporalio/core-bridge ships the
# upstream API protos), verifies the tarball's SHA-256, and keeps only the proto tree in the cache.
# Prints the proto root (the directory holding temporal/ and google/). Idempotent.
. "$(dirname "$0")/common.sh"

root="$TEMPORAL_C_CACHE/protos-$PROTO_NPM_VERSION"
if [ -f "$root/.complete" ]; then
  echo "$root"
  exit 0
fi
command -v npm >/dev/null || { log "npm is required to fetch the Temporal API protos"; exit 1; }
log "fetching Temporal API protos from $PROTO_NPM_PACKAGE@$PROTO_NPM_VERSION"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$PROTO_NPM_PACKAGE@$PROTO_NPM_VERSION" >/dev/null 2>&1)
tgz=$(ls "$tmp"/*.tgz)
echo "$PROTO_NPM_SHA256  $tgz" | sha256sum -c --quiet - \
  || { log "checksum mismatch for $tgz"; exit 1; }
tar -xzf "$tgz" -C "$tmp" package/sdk-core/crates/protos/protos
rm -rf "$root"
mkdir -p "$root"
src="$tmp/package/sdk-core/crates/protos/protos"
# The upstream API tree, plus google/rpc/status.proto for gRPC error details.
cp -r "$src/api_upstream/." "$root/"
# The well-known types come from Debian's libprotobuf-dev (/usr/include), not from the package.
rm -rf "$root/google/protobuf"
mkdir -p "$root/google/rpc"
cp "$src/google/rpc/status.proto" "$root/google/rpc/"
touch "$root/.complete"
echo "$root"
