#!/usr/bin/env bash
# Configures (first time) and builds one build directory.
#   scripts/build.sh DIR [-DVAR=VALUE ...] [-- TARGET ...]
# Uses Ninja when it is installed (scripts/setup-system.sh installs it), else Unix Makefiles; a directory
# configured before keeps its generator. The Temporal API protos come from scripts/setup-protos.sh.
. "$(dirname "$0")/common.sh"

root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR [-DVAR=VALUE ...] [-- TARGET ...]" >&2; exit 1; }
dir="$1"; shift
defs=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --) shift; targets=("$@"); break ;;
    *) defs+=("$1"); shift ;;
  esac
done

gen=()
if [ ! -f "$dir/CMakeCache.txt" ]; then
  if command -v ninja >/dev/null; then gen=(-G Ninja); else gen=(-G "Unix Makefiles"); fi
fi
protos=$("$root/scripts/setup-protos.sh")
cmake -S "$root" -B "$dir" "${gen[@]}" -DTEMPORAL_PROTO_ROOT="$protos" "${defs[@]}" >/dev/null
jobs=$(nproc 2>/dev/null || echo 2)
if [ ${#targets[@]} -gt 0 ]; then
  cmake --build "$dir" --parallel "$jobs" --target "${targets[@]}"
else
  cmake --build "$dir" --parallel "$jobs"
fi
