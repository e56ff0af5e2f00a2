#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need. Idempotent: when every package
# is already installed it returns at once without touching apt.
. "$(dirname "$0")/common.sh"

PACKAGES=(
  build-essential cmake pkg-config ninja-build
  libgrpc-dev                       # gRPC C core (transport)
  protobuf-c-compiler libprotobuf-c-dev   # protoc-c and the protobuf-c runtime
  protobuf-compiler libprotobuf-dev # protoc and the well-known types (google/protobuf/*.proto)
  libjansson-dev                    # JSON
  libuv1-dev                        # event loop for async activities
  python3-venv                      # `python3 -m venv` for the interop tests' virtual environment
  uuid-runtime                      # not needed by the library; handy in scripts
  valgrind
  clang-14 libclang-rt-14-dev       # the fuzz build (tests/fuzz): clang, and libFuzzer + the ASan/UBSan runtimes
  clang-format-14                   # make check-format: .clang-format is checked with Debian 12's clang-format
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
log "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
