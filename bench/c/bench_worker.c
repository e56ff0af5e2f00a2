/* bench_worker: the C side of the benchmark (bench/bench.py). The same four activities as the Go and
 * Python bench workers, under the same names, written with the public API only:
 *
 *   noop                             returns nothing
 *   echo(s)                          returns its string argument
 *   sleep(ms)                        waits ms milliseconds (stops early when cancelled)
 *   heartbeat(total_ms, period_ms, details)
 *                                    heartbeats `details` every period_ms for total_ms, then returns
 *                                    how many heartbeats it recorded
 *
 * as one kind for the whole worker:
 *   --kind thread    sync functions on a thread pool of --threads threads (default: --slots)
 *   --kind async     async functions on the worker's libuv loop (sleep and heartbeat are uv timers)
 *   --kind process   sync functions in a process pool of --processes children (default: 16)
 *
 *   bench_worker --target HOST:PORT --task-queue Q [--kind thread|async|process] [--slots N]
 *                [--pollers P] [--threads T] [--processes C]
 *
 * Defaults: 100 slots, 5 pollers. Prints READY once temporal_worker_start returned (it polls from then
 * on); runs until SIGINT or SIGTERM, then shuts down with no grace period (running activities are
 * cancelled, as in the Go and Python workers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include <temporal/temporal.h>

/* ---- sync: the thread pool and the process pool ------------------------------------------------ */

static temporal_result *noop_sync(temporal_activity *activity, const temporal_args *args) {
  return temporal_result_none();
}

static temporal_result *echo_sync(temporal_activity *activity, const temporal_args *args) {
  const char *s;
  int rc = temporal_args_get_string(&s, args, 0);
  return rc < 0 ? temporal_result_from_code(rc) : temporal_result_string(s);
}

static temporal_result *sleep_sync(temporal_activity *activity, const temporal_args *args) {
  int64_t ms = 0;
  temporal_args_get_int(&ms, args, 0);
  if (temporal_activity_wait_for_cancelled(activity, ms * TEMPORAL_MS) == 0)
    return temporal_result_cancelled();
  return temporal_result_none();
}

static temporal_result *heartbeat_sync(temporal_activity *activity, const temporal_args *args) {
  int64_t total_ms = 0, period_ms = 100, beats = 0;
  const char *details = "";
  temporal_args_get_int(&total_ms, args, 0);
  temporal_args_get_int(&period_ms, args, 1);
  temporal_args_get_string(&details, args, 2);
  if (period_ms <= 0) period_ms = 1;
  json_t *detail = json_string(details);
  for (int64_t elapsed = 0; elapsed < total_ms; elapsed += period_ms) {
    temporal_activity_heartbeat_json(activity, detail);
    beats++;
    if (temporal_activity_wait_for_cancelled(activity, period_ms * TEMPORAL_MS) == 0) {
      json_decref(detail);
      return temporal_result_cancelled();
    }
  }
  json_decref(detail);
  return temporal_result_json(json_integer(beats));
}

static const temporal_activity_definition sync_activities[] = {
    TEMPORAL_ACTIVITY_DEFN_NAMED("noop", noop_sync),
    TEMPORAL_ACTIVITY_DEFN_NAMED("echo", echo_sync),
    TEMPORAL_ACTIVITY_DEFN_NAMED("sleep", sleep_sync),
    TEMPORAL_ACTIVITY_DEFN_NAMED("heartbeat", heartbeat_sync),
};

/* ---- async: on the worker's loop ---------------------------------------------------------------- */

typedef struct timer_state {
  uv_timer_t timer;
  temporal_activity *activity;
  json_t *detail; /* heartbeat: what it records */
  int64_t left;   /* heartbeat: ticks to go */
  int64_t beats;  /* heartbeat: recorded so far */
} timer_state;

static void free_timer(uv_handle_t *handle) {
  timer_state *s = handle->data;
  json_decref(s->detail);
  free(s);
}

static void finish_timer(timer_state *s, temporal_result *result) {
  uv_timer_stop(&s->timer);
  temporal_activity_complete(s->activity, result);
  uv_close((uv_handle_t *)&s->timer, free_timer);
}

static void on_timer_cancel(temporal_activity *activity, void *data) {
  finish_timer(data, temporal_result_cancelled());
}

static timer_state *start_timer(temporal_activity *activity, uv_timer_cb cb, uint64_t first_ms,
                                uint64_t repeat_ms) {
  timer_state *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->activity = activity;
  uv_timer_init(temporal_activity_loop(activity), &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, cb, first_ms, repeat_ms);
  temporal_activity_on_cancel(activity, on_timer_cancel, s);
  return s;
}

static void noop_async(temporal_activity *activity, const temporal_args *args) {
  temporal_activity_complete(activity, temporal_result_none());
}

static void echo_async(temporal_activity *activity, const temporal_args *args) {
  const char *s;
  int rc = temporal_args_get_string(&s, args, 0);
  temporal_activity_complete(activity, rc < 0 ? temporal_result_from_code(rc) : temporal_result_string(s));
}

static void on_sleep_done(uv_timer_t *timer) {
  finish_timer(timer->data, temporal_result_none());
}

static void sleep_async(temporal_activity *activity, const temporal_args *args) {
  int64_t ms = 0;
  temporal_args_get_int(&ms, args, 0);
  if (!start_timer(activity, on_sleep_done, ms > 0 ? (uint64_t)ms : 0, 0))
    temporal_activity_complete(activity, temporal_result_from_code(TEMPORAL_ENOMEM));
}

static void on_heartbeat_tick(uv_timer_t *timer) {
  timer_state *s = timer->data;
  if (s->left-- <= 0) {
    finish_timer(s, temporal_result_json(json_integer(s->beats)));
    return;
  }
  temporal_activity_heartbeat_json(s->activity, s->detail);
  s->beats++;
}

static void heartbeat_async(temporal_activity *activity, const temporal_args *args) {
  int64_t total_ms = 0, period_ms = 100;
  const char *details = "";
  temporal_args_get_int(&total_ms, args, 0);
  temporal_args_get_int(&period_ms, args, 1);
  temporal_args_get_string(&details, args, 2);
  if (period_ms <= 0) period_ms = 1;
  timer_state *s = start_timer(activity, on_heartbeat_tick, 0, (uint64_t)period_ms);
  if (!s) {
    temporal_activity_complete(activity, temporal_result_from_code(TEMPORAL_ENOMEM));
    return;
  }
  s->detail = json_string(details);
  s->left = (total_ms + period_ms - 1) / period_ms;
}

static const temporal_activity_definition async_activities[] = {
    TEMPORAL_ACTIVITY_DEFN_NAMED("noop", noop_async),
    TEMPORAL_ACTIVITY_DEFN_NAMED("echo", echo_async),
    TEMPORAL_ACTIVITY_DEFN_NAMED("sleep", sleep_async),
    TEMPORAL_ACTIVITY_DEFN_NAMED("heartbeat", heartbeat_async),
};

/* ---- main --------------------------------------------------------------------------------------- */

typedef struct bench_args {
  const char *target, *task_queue, *kind;
  unsigned int slots, pollers, threads, processes;
} bench_args;

static int usage(const char *argv0) {
  fprintf(stderr,
          "usage: %s --target HOST:PORT --task-queue Q [--kind thread|async|process] [--slots N] "
          "[--pollers P] [--threads T] [--processes C]\n",
          argv0);
  return 64;
}

static bool parse_args(bench_args *a, int argc, char **argv) {
  *a = (bench_args){"127.0.0.1:7233", NULL, "thread", 100, 5, 0, 16};
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *key = argv[i], *value = argv[i + 1];
    if (!strcmp(key, "--target"))
      a->target = value;
    else if (!strcmp(key, "--task-queue"))
      a->task_queue = value;
    else if (!strcmp(key, "--kind"))
      a->kind = value;
    else if (!strcmp(key, "--slots"))
      a->slots = (unsigned)atoi(value);
    else if (!strcmp(key, "--pollers"))
      a->pollers = (unsigned)atoi(value);
    else if (!strcmp(key, "--threads"))
      a->threads = (unsigned)atoi(value);
    else if (!strcmp(key, "--processes"))
      a->processes = (unsigned)atoi(value);
    else
      return false;
  }
  if (argc % 2 == 0 || !a->task_queue) return false;
  if (strcmp(a->kind, "thread") && strcmp(a->kind, "async") && strcmp(a->kind, "process")) return false;
  if (a->threads == 0) a->threads = a->slots;
  return true;
}

static int fail(const char *what) {
  fprintf(stderr, "bench_worker: %s: %s\n", what, temporal_error_last());
  return 1;
}

int main(int argc, char **argv) {
  bench_args a;
  if (!parse_args(&a, argc, argv)) return usage(argv[0]);

  /* The process pool forks its zygote first, while this program has one thread. */
  temporal_shared_state_manager *manager = NULL;
  temporal_executor *executor = NULL;
  int rc = 0;
  if (!strcmp(a.kind, "process")) {
    temporal_process_pool_options po = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
    po.processes = a.processes;
    if ((rc = temporal_shared_state_manager_new(&manager, NULL)) == 0)
      rc = temporal_process_pool_executor_new(&executor, manager, &po);
  } else if (!strcmp(a.kind, "thread")) {
    temporal_thread_pool_options to = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
    to.threads = a.threads;
    rc = temporal_thread_pool_executor_new(&executor, &to);
  }
  if (rc < 0) return fail("executor");

  temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
  co.target = a.target;
  temporal_client *client = NULL;
  if (temporal_client_connect(&client, &co) < 0) return fail("connect");

  temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
  wo.task_queue = a.task_queue;
  bool async = !strcmp(a.kind, "async");
  wo.activities = async ? async_activities : sync_activities;
  wo.activity_count = 4;
  wo.activity_executor = executor;
  wo.shared_state_manager = manager;
  wo.max_concurrent_activities = a.slots;
  wo.max_concurrent_activity_polls = a.pollers;
  temporal_worker *worker = NULL;
  int exit_code = 0;
  if (temporal_worker_new(&worker, client, &wo) < 0 || temporal_worker_start(worker) < 0) {
    exit_code = fail("worker");
  } else {
    temporal_worker_shutdown_on_signals(worker);
    printf("READY\n");
    fflush(stdout);
    temporal_worker_wait(worker);
  }
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(executor);
  temporal_shared_state_manager_free(manager);
  return exit_code;
}
