#!/usr/bin/env bash
# `make demo`: the hello example end to end. Builds hello_worker and hello_client, starts a dev server
# on free ports, runs the C worker (say_hello as each kind of activity: sync on a thread pool, async on
# the event loop, sync on a process pool), runs every activity through the server with the C client,
# shows where the worker ran each one (from its log), and stops everything it started: on success,
# on failure and on Ctrl-C.
. "$(dirname "$0")/common.sh"

root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

state=$(mktemp -d "${TMPDIR:-/tmp}/temporal-c-demo.XXXXXX")
worker_pid=""

stop_worker() {
  [ -n "$worker_pid" ] || return 0
  local pid="$worker_pid" i
  worker_pid=""
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "demo: hello_worker did not stop within 15 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null
}

cleanup() {
  trap - EXIT INT TERM
  stop_worker || true
  "$root/scripts/devserver.sh" stop --dir "$state/server" 2>/dev/null || true
  rm -rf "$state"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted, stopping what it started" >&2; cleanup; exit 130' INT TERM

echo "== set-up and build (examples/hello)"
"$root/scripts/setup.sh"
if ! "$root/scripts/build.sh" "$build" -- hello_worker hello_client >"$state/build.log" 2>&1; then
  cat "$state/build.log" >&2
  exit 1
fi

echo "== starting a Temporal dev server"
target=$("$root/scripts/devserver.sh" start --dir "$state/server" --owner $$)
echo "   $target"

echo "== starting the C worker (examples/hello/hello_worker.c)"
queue="hello-demo-$$"
# Its own session: a Ctrl-C reaches the script, whose trap stops the worker with one SIGTERM.
# At info level its log says where each activity ran (see below), whatever $TEMPORAL_LOG_LEVEL says.
TEMPORAL_LOG_LEVEL=info setsid "$build/examples/hello_worker" --target "$target" --task-queue "$queue" >"$state/worker.out" 2>"$state/worker.err" &
worker_pid=$!
for i in $(seq 1 300); do
  grep -qx READY "$state/worker.out" 2>/dev/null && break
  if ! kill -0 "$worker_pid" 2>/dev/null; then
    echo "demo: hello_worker exited before it was ready:" >&2
    cat "$state/worker.err" >&2
    exit 1
  fi
  sleep 0.1
done
grep -qx READY "$state/worker.out" || { echo "demo: hello_worker not ready after 30 s" >&2; exit 1; }
{ grep -v '^READY$' "$state/worker.out" || true; } | sed 's/^/   /'

echo "== running each kind through the server (examples/hello/hello_client.c)"
if ! "$build/examples/hello_client" --target "$target" --task-queue "$queue" | sed -u 's/^/   /'; then
  echo "demo: hello_client failed; the worker said:" >&2
  cat "$state/worker.err" >&2
  exit 1
fi

# Each activity logs "greeting NAME from pid N" (temporal_activity_log, with its context in [...]):
# the process-pool child's pid is not the worker's.
echo "== where the worker ran them (its log: the activity type and the pid)"
sed -n 's/^temporal-c INFO \(greeting .*\) \[activity_id=[^ ]* activity_type=\([^ ]*\) .*/   \2: \1/p' \
  "$state/worker.err"

echo "== stopping the worker and the server"
if ! stop_worker; then
  echo "demo: hello_worker did not exit cleanly:" >&2
  cat "$state/worker.err" >&2
  exit 1
fi
echo "   done"
