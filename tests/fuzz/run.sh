#!/usr/bin/env bash
# Runs the fuzz targets of a fuzz build directory (make build-fuzz) for a set time each, every one on
# a copy of its seed corpus, so the repository's corpora are never rewritten; what a run adds stays in
# BUILD_DIR/fuzz-run/<target>/corpus. Runs as many targets at once as there are CPUs (FUZZ_JOBS).
# Prints each target's executions; fails if any target crashed, leaked, timed out or broke a
# property, and then shows the end of its log and where the input that did it was saved.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [TARGET...]     (TARGET: args, job_child, ...; default all)
#   FUZZ_ARGS="-max_len=8192" ...                        (more libFuzzer flags for every target)
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 BUILD_DIR SECONDS [TARGET...]" >&2; exit 2; }
build="$(cd "$1" && pwd)"
seconds="$2"
shift 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in "$root"/tests/fuzz/fuzz_*.c; do
    name="$(basename "$src" .c)"
    targets+=("${name#fuzz_}")
  done
fi
jobs="${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}"
work="$build/fuzz-run"

# Leaks fail the run as in the other sanitizer builds; UBSan aborts (the build makes every check
# fatal), which libFuzzer reports as a crash with the input.
export ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"

run_one() {
  local t="$1" dir="$work/$1" rc=0
  # -timeout: one input taking longer than 10 s is a hang, and fails the run like a crash.
  # shellcheck disable=SC2086
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/artifacts/" ${FUZZ_ARGS:-} "$dir/corpus" >"$dir/log" 2>&1 || rc=$?
  echo "$rc" >"$dir/status"
}

for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/fuzz_$t" ] || { echo "no fuzz target $t in $build (make build-fuzz)" >&2; exit 2; }
  [ -d "$root/tests/fuzz/corpus/$t" ] || { echo "no seed corpus tests/fuzz/corpus/$t" >&2; exit 2; }
  rm -rf "${work:?}/$t"
  mkdir -p "$work/$t/artifacts"
  cp -r "$root/tests/fuzz/corpus/$t" "$work/$t/corpus"
done

echo "fuzzing ${targets[*]} for ${seconds} s each, ${jobs} at a time (logs in $work/<target>/log)"
start=$(date +%s)
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_one "$t" &
done
wait

failed=0
printf '%-16s %12s %10s %8s %6s  %s\n' target executions exec/s corpus cov result
for t in "${targets[@]}"; do
  dir="$work/$t"
  rc="$(cat "$dir/status")"
  stat() { sed -n "s/^stat::$1: *//p" "$dir/log" | tail -1; }
  # None when the target failed on a seed, before libFuzzer printed any coverage.
  cov="$(grep -o 'cov: [0-9]*' "$dir/log" | tail -1 | cut -d' ' -f2 || true)"
  result=ok
  [ "$rc" = 0 ] || { result="FAILED (exit $rc)"; failed=1; }
  printf '%-16s %12s %10s %8s %6s  %s\n' "$t" "$(stat number_of_executed_units)" \
    "$(stat average_exec_per_sec)" "$(find "$dir/corpus" -type f | wc -l)" "${cov:-?}" "$result"
done
echo "took $(($(date +%s) - start)) s"

for t in "${targets[@]}"; do
  dir="$work/$t"
  [ "$(cat "$dir/status")" = 0 ] && continue
  echo
  echo "==== $t: end of $dir/log"
  tail -n 60 "$dir/log"
  echo "==== $t: saved inputs (add one to tests/fuzz/corpus/$t/ as a regression seed, see tests/fuzz/README.md):"
  ls -1 "$dir/artifacts" | sed "s|^|  $dir/artifacts/|"
done
exit "$failed"
