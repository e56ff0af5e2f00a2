#!/usr/bin/env bash
# Starts and stops the pinned Temporal dev server (a real server, in memory) on free local ports.
#
#   scripts/devserver.sh start [--dir DIR] [--port P] [--http-port H] [--owner PID] [--db-filename F]
#                              [--polls-outlive-shutdown] [--dynamic-config KEY=VALUE]...
#       Starts a server, waits until it answers (DescribeNamespace of "default", which also needs
#       GetSystemInfo to succeed), and prints its target ("127.0.0.1:PORT") on stdout.
#       --polls-outlive-shutdown leaves frontend.enableCancelWorkerPollsOnShutdown at its default
#       (off), as on many servers: polls run to their deadline after ShutdownWorker.
#       --dynamic-config passes one more --dynamic-config-value to the server (e.g.
#       limit.blobSize.error=16777216).
#       DIR holds the pidfile, the target and the server's log (default: a fresh temporary directory;
#       its path is on stderr). --owner PID stops the server when that process ends, so a killed
#       test run or demo does not leave a server behind. --db-filename F keeps the server's state in
#       SQLite file F, so a server started again with the same F (and --port) resumes it.
#   scripts/devserver.sh stop [--dir DIR]      stops the server started with that DIR
#   scripts/devserver.sh status [--dir DIR]    prints the target and exits 0 when it is running
#
# Dynamic config for snappy tests: pollers are answered after 5 s with no task, and (unless
# --polls-outlive-shutdown) polls are ended when a worker calls ShutdownWorker.
. "$(dirname "$0")/common.sh"

here="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:-}"
[ $# -gt 0 ] && shift
dir="" port="" http_port="" owner="" db=()
poll_shutdown=(--dynamic-config-value frontend.enableCancelWorkerPollsOnShutdown=true)
extra_config=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --http-port) http_port="$2"; shift 2 ;;
    --owner) owner="$2"; shift 2 ;;
    --db-filename) db=(--db-filename "$2"); shift 2 ;;
    --polls-outlive-shutdown) poll_shutdown=(); shift ;;
    --dynamic-config) extra_config+=(--dynamic-config-value "$2"); shift 2 ;;
    *) echo "devserver.sh: unknown option $1" >&2; exit 1 ;;
  esac
done

free_port() {
  python3 "$here/free_port.py"
}

# True when PID is a running dev server (guards against a stale pidfile naming a reused pid).
is_server() {
  [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q 'server start-dev'
}

ready() {
  "$bin" operator namespace describe --namespace default --address "$1" >/dev/null 2>&1
}

stop_pid() {
  local pid="$1" i
  is_server "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 100); do
    is_server "$pid" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

case "$cmd" in
  start)
    bin=$("$here/setup-server.sh")
    if [ -z "$dir" ]; then
      dir=$(mktemp -d "${TMPDIR:-/tmp}/temporal-devserver.XXXXXX")
      log "dev server state in $dir"
    fi
    mkdir -p "$dir"
    if is_server "$(cat "$dir/pid" 2>/dev/null)"; then
      echo "devserver.sh: a server is already running for $dir ($(cat "$dir/target"))" >&2
      exit 1
    fi
    # Free ports are picked, released and then bound by the server: another process may take one
    # in between, so a server that dies at once is retried on new ports (unless ports were given).
    for try in 1 2 3; do
      p="${port:-$(free_port)}"
      h="${http_port:-$(free_port)}"
      m="$(free_port)"
      target="127.0.0.1:$p"
      setsid "$bin" server start-dev --headless --ip 127.0.0.1 --port "$p" --http-port "$h" \
        --metrics-port "$m" --log-level error "${db[@]}" \
        "${poll_shutdown[@]}" "${extra_config[@]}" \
        --dynamic-config-value 'matching.longPollExpirationInterval="5s"' \
        </dev/null >"$dir/server.log" 2>&1 &
      pid=$!
      echo "$pid" >"$dir/pid"
      echo "$target" >"$dir/target"
      ok=0
      for i in $(seq 1 300); do  # up to 30 s
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        if ready "$target"; then ok=1; break; fi
        sleep 0.1
      done
      if [ "$ok" = 1 ]; then
        if [ -n "$owner" ]; then
          # Watchdog: stop the server once the owner is gone (unless it was stopped before).
          (
            trap '' INT
            while kill -0 "$owner" 2>/dev/null && is_server "$pid"; do sleep 1; done
            stop_pid "$pid"
          ) </dev/null >/dev/null 2>&1 &
          disown $! 2>/dev/null || true
        fi
        echo "$target"
        exit 0
      fi
      stop_pid "$pid"
      wait "$pid" 2>/dev/null || true
      log "dev server did not come up on $target (try $try); log:"
      tail -5 "$dir/server.log" >&2 || true
      [ -z "$port" ] || break
    done
    rm -f "$dir/pid"
    exit 1
    ;;
  stop)
    [ -n "$dir" ] || { echo "devserver.sh stop: --dir DIR is required" >&2; exit 1; }
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    stop_pid "$pid"
    rm -f "$dir/pid"
    ;;
  status)
    [ -n "$dir" ] || { echo "devserver.sh status: --dir DIR is required" >&2; exit 1; }
    pid=$(cat "$dir/pid" 2>/dev/null || true)
    is_server "$pid" || { echo "not running" >&2; exit 1; }
    cat "$dir/target"
    ;;
  *)
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 1
    ;;
esac
