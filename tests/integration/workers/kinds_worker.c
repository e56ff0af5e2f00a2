/* The C worker for the three-kinds tests: the same activities as async (libuv loop), sync on a
 * thread pool, sync on the process pool, or sync on a user-written executor (--executor custom,
 * below: the "other" case through <temporal/sys/executor.h>).
 *
 *   kinds_worker --target HOST:PORT --task-queue Q [--executor thread|process|custom|none]
 *                [--no-ssm] [--slots N] [--threads N] [--processes N] [--user-loop]
 *                [--graceful-shutdown-ms N] [--kill-grace-ms N (process pool; 2000)]
 * --threads sizes the thread pool, or the custom executor (1 by default).
 *
 * Prints READY once polling, and STOPPED <CLOCK_MONOTONIC ms> when temporal_worker_wait returned.
 * Exit codes: 0 after a clean shutdown (SIGTERM), 2 when the worker is refused at creation (the
 * message on stderr), 3 when it cannot start. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <temporal/sys/executor.h>
#include <temporal/temporal.h>
#include <uv.h>

/* ---- sync activities ------------------------------------------------------------------------- */

static temporal_result *say_hello_activity(temporal_activity *activity, const temporal_args *args) {
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc != 0) return temporal_result_from_code(rc);
  return temporal_result_json(json_sprintf("Hello, %s!", name));
}

static temporal_result *fail_activity(temporal_activity *activity, const temporal_args *args) {
  const char *message = "failed on purpose", *type = "PurposefulError";
  bool non_retryable = false;
  temporal_args_get_string(&message, args, 0);
  temporal_args_get_string(&type, args, 1);
  temporal_args_get_bool(&non_retryable, args, 2);
  temporal_application_error *err = NULL;
  if (temporal_application_error_new(&err, type, message) != 0)
    return temporal_result_from_code(TEMPORAL_ENOMEM);
  temporal_application_error_set_non_retryable(err, non_retryable);
  return temporal_result_error(err);
}

/* "CANCEL_SEEN <activity id> <unix ns>" on stdout: when the activity learned of its cancellation,
 * for bench/ to set against the server's cancel-request event. */
static void print_cancel_seen(const temporal_activity *activity) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("CANCEL_SEEN %s %lld\n", temporal_activity_get_info(activity)->activity_id,
         (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  fflush(stdout);
}

/* Heartbeats every 100 ms until cancelled (then ends as cancelled) or 60 s pass. */
static temporal_result *wait_for_cancel_activity(temporal_activity *activity, const temporal_args *args) {
  for (int tick = 0; tick < 600; tick++) {
    json_t *detail = json_pack("{s:i}", "tick", tick);
    temporal_activity_heartbeat_json(activity, detail);
    json_decref(detail);
    if (temporal_activity_wait_for_cancelled(activity, 100 * TEMPORAL_MS) == 0) {
      print_cancel_seen(activity);
      return temporal_result_cancelled();
    }
  }
  return temporal_result_string("never cancelled");
}

/* Attempt 1 records {"progress": 42} and fails (retryable); attempt 2 returns what attempt 1
 * recorded, as its info shows it. */
static temporal_result *heartbeat_retry_activity(temporal_activity *activity, const temporal_args *args) {
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  if (info->attempt == 1) {
    json_t *detail = json_pack("{s:i}", "progress", 42);
    temporal_activity_heartbeat_json(activity, detail);
    json_decref(detail);
    return temporal_result_errorf("RetryMe", "attempt 1 fails after heartbeating");
  }
  json_t *recorded = NULL;
  if (temporal_args_get_json(&recorded, info->heartbeat_details, 0) != 0)
    return temporal_result_errorf("NoDetails", "attempt %d saw no heartbeat details", (int)info->attempt);
  return temporal_result_json(json_pack("{s:i,s:O}", "attempt", (int)info->attempt, "recorded", recorded));
}

/* Heartbeats {"n": 1..count} every `every_ms` (count 50, 0 ms by default), then: on attempt 1 fails
 * at once (the newest details must reach attempt 2: last value wins, pending details flushed with the
 * failure); on later attempts returns the details it was given. */
static temporal_result *heartbeat_burst_activity(temporal_activity *activity, const temporal_args *args) {
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  int64_t count = 50, every_ms = 0;
  temporal_args_get_int(&count, args, 0);
  temporal_args_get_int(&every_ms, args, 1);
  if (info->attempt > 1) {
    json_t *recorded = NULL;
    if (temporal_args_get_json(&recorded, info->heartbeat_details, 0) != 0)
      return temporal_result_errorf("NoDetails", "attempt %d saw no heartbeat details", (int)info->attempt);
    return temporal_result_json(json_incref(recorded));
  }
  for (int64_t n = 1; n <= count; n++) {
    json_t *detail = json_pack("{s:I}", "n", (json_int_t)n);
    temporal_activity_heartbeat_json(activity, detail);
    json_decref(detail);
    if (every_ms > 0) temporal_activity_wait_for_cancelled(activity, every_ms * TEMPORAL_MS);
  }
  return temporal_result_errorf("RetryMe", "attempt 1 fails after %lld heartbeats", (long long)count);
}

/* Crashes its process on attempt 1 ("segv", "abort" or "exit"); attempt 2 succeeds. */
static temporal_result *crash_once_activity(temporal_activity *activity, const temporal_args *args) {
  const char *how = "segv";
  temporal_args_get_string(&how, args, 0);
  if (temporal_activity_get_info(activity)->attempt == 1) {
    if (!strcmp(how, "abort")) abort();
    if (!strcmp(how, "exit")) exit(3);
    raise(SIGSEGV);
  }
  return temporal_result_json(json_pack(
      "{s:i,s:i}", "attempt", (int)temporal_activity_get_info(activity)->attempt, "pid", (int)getpid()));
}

static temporal_result *pid_activity(temporal_activity *activity, const temporal_args *args) {
  return temporal_result_json(json_integer(getpid()));
}

static temporal_result *noop_activity(temporal_activity *activity, const temporal_args *args) {
  return NULL;
}

/* Heartbeats {"n": 1, 2, ...} every `period_ms` for `total_ms`, then returns {"beats": n}. Stops early
 * (ends as cancelled) when asked to. */
static temporal_result *steady_heartbeat_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t period_ms = 500, total_ms = 5000;
  temporal_args_get_int(&period_ms, args, 0);
  temporal_args_get_int(&total_ms, args, 1);
  int64_t beats = 0;
  for (int64_t elapsed = 0; elapsed < total_ms; elapsed += period_ms) {
    json_t *detail = json_pack("{s:I}", "n", (json_int_t)++beats);
    int rc = temporal_activity_heartbeat_json(activity, detail);
    json_decref(detail);
    if (rc == TEMPORAL_ECANCELLED) return temporal_result_cancelled();
    if (temporal_activity_wait_for_cancelled(activity, period_ms * TEMPORAL_MS) == 0)
      return temporal_result_cancelled();
  }
  return temporal_result_json(json_pack("{s:I}", "beats", (json_int_t)beats));
}

/* Heartbeats once, then goes quiet for `quiet_ms` (the server must time it out if that is longer than
 * the heartbeat timeout), then returns "quiet". */
static temporal_result *heartbeat_once_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t quiet_ms = 5000;
  temporal_args_get_int(&quiet_ms, args, 0);
  temporal_activity_heartbeat_json(activity, NULL);
  if (temporal_activity_wait_for_cancelled(activity, quiet_ms * TEMPORAL_MS) == 0)
    return temporal_result_cancelled();
  return temporal_result_string("quiet");
}

/* CLOCK_MONOTONIC in ms: the clock Python's time.monotonic() reads, so tests can set these times
 * against the moment they sent SIGTERM. */
static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say_at(const char *tag, const temporal_activity *activity) {
  temporal_cancellation_details d = temporal_activity_cancellation_details(activity);
  printf("%s %s %lld cancel=%d shutdown=%d timed_out=%d\n", tag,
         temporal_activity_get_info(activity)->activity_id, mono_ms(), d.cancel_requested, d.worker_shutdown,
         d.timed_out);
  fflush(stdout);
}

/* Runs until interrupted (at most 120 s), saying "WATCHING <id> <mono ms> ..." when it starts,
 * "SHUTDOWN_SEEN <id> <mono ms> ..." when it learns
 * that the worker is shutting down and "INTERRUPTED <id> <mono ms> ..." when it is asked to stop;
 * then ignores that for `ignore_ms` (0 by default) and ends cancelled. */
static temporal_result *shutdown_watch_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t ignore_ms = 0;
  temporal_args_get_int(&ignore_ms, args, 0);
  say_at("WATCHING", activity);
  bool seen = false;
  for (int i = 0; i < 12000; i++) {
    if (!seen && temporal_activity_is_worker_shutdown(activity)) {
      seen = true;
      say_at("SHUTDOWN_SEEN", activity);
    }
    if (temporal_activity_wait_for_cancelled(activity, 10 * TEMPORAL_MS) == 0) {
      say_at("INTERRUPTED", activity);
      if (ignore_ms > 0) {
        struct timespec ts = {ignore_ms / 1000, (ignore_ms % 1000) * 1000000};
        nanosleep(&ts, NULL);
      }
      return temporal_result_cancelled();
    }
  }
  return temporal_result_string("never interrupted");
}

/* Returns a string of `size` bytes ("xxx..."): a result of about that size. */
static temporal_result *big_result_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t size = 0;
  if (temporal_args_get_int(&size, args, 0) != 0 || size < 0)
    return temporal_result_from_code(TEMPORAL_EINVAL);
  char *text = malloc((size_t)size + 1);
  memset(text, 'x', (size_t)size);
  text[size] = '\0';
  temporal_result *r = temporal_result_string(text);
  free(text);
  return r;
}

/* Heartbeats a string of `size` bytes, prints "BIG_HEARTBEAT <activity id> <rc>", then waits to be
 * told to stop (ends cancelled) for at most 10 s. */
static temporal_result *big_heartbeat_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t size = 0;
  if (temporal_args_get_int(&size, args, 0) != 0 || size < 0)
    return temporal_result_from_code(TEMPORAL_EINVAL);
  char *text = malloc((size_t)size + 1);
  memset(text, 'x', (size_t)size);
  text[size] = '\0';
  json_t *detail = json_string(text);
  free(text);
  int rc = temporal_activity_heartbeat_json(activity, detail);
  json_decref(detail);
  printf("BIG_HEARTBEAT %s %d\n", temporal_activity_get_info(activity)->activity_id, rc);
  fflush(stdout);
  if (temporal_activity_wait_for_cancelled(activity, 10 * TEMPORAL_SECOND) == 0)
    return temporal_result_cancelled();
  return temporal_result_string("not stopped");
}

/* A thread that outlives its activity: it holds a reference taken while the activity ran, and
 * heartbeats every 10 ms for `ms` whatever happens. Once done it prints
 *   STRAY <activity id> calls=<n> ok=<n> estate=<n> other=<n> then_ok=<n> cancelled=<0|1>
 *         wait=<rc> shutdown_wait=<rc> info=<activity id as read at the end>
 * where then_ok counts successes after the first TEMPORAL_ESTATE (must be 0), and drops its reference. */
typedef struct stray {
  temporal_activity *activity;
  int64_t ms;
} stray;

static void *stray_thread(void *arg) {
  stray *st = arg;
  temporal_activity *a = st->activity;
  int calls = 0, ok = 0, estate = 0, other = 0, then_ok = 0;
  for (int64_t t = 0; t < st->ms; t += 10, calls++) {
    int rc = temporal_activity_heartbeat_json(a, NULL);
    if (rc == 0 && estate) then_ok++;
    if (rc == 0)
      ok++;
    else if (rc == TEMPORAL_ESTATE)
      estate++;
    else
      other++;
    struct timespec ts = {0, 10 * 1000000};
    nanosleep(&ts, NULL);
  }
  int wait_rc = temporal_activity_wait_for_cancelled(a, TEMPORAL_SECOND);
  int shutdown_rc = temporal_activity_wait_for_worker_shutdown(a, TEMPORAL_SECOND);
  printf(
      "STRAY %s calls=%d ok=%d estate=%d other=%d then_ok=%d cancelled=%d wait=%d shutdown_wait=%d info=%s\n",
      temporal_activity_get_info(a)->activity_id, calls, ok, estate, other, then_ok,
      (int)temporal_activity_is_cancelled(a), wait_rc, shutdown_rc,
      temporal_activity_get_info(a)->activity_id);
  fflush(stdout);
  temporal_activity_unref(a);
  free(st);
  return NULL;
}

static void start_stray(temporal_activity *activity, int64_t ms) {
  stray *st = malloc(sizeof *st);
  st->activity = temporal_activity_ref(activity);
  st->ms = ms;
  pthread_t th;
  pthread_create(&th, NULL, stray_thread, st);
  pthread_detach(th);
}

/* Starts a stray thread (heartbeating for `ms`, 1000 by default) and returns at once. */
static temporal_result *stray_thread_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t ms = 1000;
  temporal_args_get_int(&ms, args, 0);
  start_stray(activity, ms);
  return temporal_result_string("returned");
}

/* ---- async activities ------------------------------------------------------------------------- */

typedef struct async_state {
  uv_timer_t timer;
  temporal_activity *activity;
  int ticks;
  temporal_result *result; /* what to complete with when the timer fires */
} async_state;

static void free_state(uv_handle_t *h) {
  free(h->data);
}

static void finish(async_state *s, temporal_result *r) {
  uv_timer_stop(&s->timer);
  temporal_activity_complete(s->activity, r);
  uv_close((uv_handle_t *)&s->timer, free_state);
}

static void on_timer_complete(uv_timer_t *t) {
  async_state *s = t->data;
  temporal_result *r = s->result;
  s->result = NULL;
  finish(s, r);
}

static async_state *start_timer(temporal_activity *activity, uint64_t ms, uint64_t repeat, uv_timer_cb cb,
                                temporal_result *result) {
  async_state *s = calloc(1, sizeof *s);
  s->activity = activity;
  s->result = result;
  uv_timer_init(temporal_activity_loop(activity), &s->timer);
  s->timer.data = s;
  uv_timer_start(&s->timer, cb, ms, repeat);
  return s;
}

static void say_hello_async(temporal_activity *activity, const temporal_args *args) {
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc != 0) {
    temporal_activity_complete(activity, temporal_result_from_code(rc));
    return;
  }
  start_timer(activity, 10, 0, on_timer_complete, temporal_result_json(json_sprintf("Hello, %s!", name)));
}

static void fail_async(temporal_activity *activity, const temporal_args *args) {
  const char *message = "failed on purpose", *type = "PurposefulError";
  bool non_retryable = false;
  temporal_args_get_string(&message, args, 0);
  temporal_args_get_string(&type, args, 1);
  temporal_args_get_bool(&non_retryable, args, 2);
  temporal_application_error *err = NULL;
  temporal_application_error_new(&err, type, message);
  temporal_application_error_set_non_retryable(err, non_retryable);
  temporal_activity_complete(activity, temporal_result_error(err));
}

/* Waits `ms` on the loop (no thread held). */
static void sleep_async(temporal_activity *activity, const temporal_args *args) {
  int64_t ms = 1000;
  temporal_args_get_int(&ms, args, 0);
  start_timer(activity, (uint64_t)ms, 0, on_timer_complete, temporal_result_none());
}

static void on_heartbeat_tick(uv_timer_t *t) {
  async_state *s = t->data;
  json_t *detail = json_pack("{s:i}", "tick", s->ticks++);
  temporal_activity_heartbeat_json(s->activity, detail);
  json_decref(detail);
  if (s->ticks >= 600) finish(s, temporal_result_string("never cancelled"));
}

static void on_cancel(temporal_activity *activity, void *data) {
  print_cancel_seen(activity);
  finish(data, temporal_result_cancelled());
}

static void wait_for_cancel_async(temporal_activity *activity, const temporal_args *args) {
  async_state *s = start_timer(activity, 0, 100, on_heartbeat_tick, NULL);
  temporal_activity_on_cancel(activity, on_cancel, s);
}

/* Starts a stray thread, completes at once, then heartbeats: prints "AFTER_COMPLETE <rc>". */
static void stray_thread_async(temporal_activity *activity, const temporal_args *args) {
  int64_t ms = 1000;
  temporal_args_get_int(&ms, args, 0);
  start_stray(activity, ms);
  temporal_activity_ref(activity); /* this function's own use after complete */
  temporal_activity_complete(activity, temporal_result_string("returned"));
  int rc = temporal_activity_heartbeat_json(activity, NULL);
  printf("AFTER_COMPLETE %s %d\n", temporal_activity_get_info(activity)->activity_id, rc);
  fflush(stdout);
  temporal_activity_unref(activity);
}

/* The async form of shutdown_watch_activity: the worker-shutdown and cancel callbacks on the loop. */
static void on_watch_shutdown(temporal_activity *activity, void *data) {
  say_at("SHUTDOWN_SEEN", activity);
}

static void on_watch_cancel(temporal_activity *activity, void *data) {
  say_at("INTERRUPTED", activity);
  temporal_activity_complete(activity, temporal_result_cancelled());
}

static void shutdown_watch_async(temporal_activity *activity, const temporal_args *args) {
  say_at("WATCHING", activity);
  temporal_activity_on_worker_shutdown(activity, on_watch_shutdown, NULL);
  temporal_activity_on_cancel(activity, on_watch_cancel, NULL);
}

typedef struct steady_state {
  async_state base; /* first: the timer callbacks cast */
  int64_t beats, left;
} steady_state;

static void on_steady_tick(uv_timer_t *t) {
  steady_state *s = t->data;
  if (s->left-- <= 0) {
    finish(&s->base, temporal_result_json(json_pack("{s:I}", "beats", (json_int_t)s->beats)));
    return;
  }
  json_t *detail = json_pack("{s:I}", "n", (json_int_t)++s->beats);
  temporal_activity_heartbeat_json(s->base.activity, detail);
  json_decref(detail);
}

static void on_steady_cancel(temporal_activity *activity, void *data) {
  finish(data, temporal_result_cancelled());
}

/* The async form of steady_heartbeat_activity: a repeating timer on the loop. */
static void steady_heartbeat_async(temporal_activity *activity, const temporal_args *args) {
  int64_t period_ms = 500, total_ms = 5000;
  temporal_args_get_int(&period_ms, args, 0);
  temporal_args_get_int(&total_ms, args, 1);
  steady_state *s = calloc(1, sizeof *s);
  s->base.activity = activity;
  s->left = total_ms / period_ms;
  uv_timer_init(temporal_activity_loop(activity), &s->base.timer);
  s->base.timer.data = s;
  uv_timer_start(&s->base.timer, on_steady_tick, 0, (uint64_t)period_ms);
  temporal_activity_on_cancel(activity, on_steady_cancel, s);
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),
    TEMPORAL_ACTIVITY_DEFN(fail_activity),
    TEMPORAL_ACTIVITY_DEFN(wait_for_cancel_activity),
    TEMPORAL_ACTIVITY_DEFN(heartbeat_retry_activity),
    TEMPORAL_ACTIVITY_DEFN(heartbeat_burst_activity),
    TEMPORAL_ACTIVITY_DEFN(crash_once_activity),
    TEMPORAL_ACTIVITY_DEFN(pid_activity),
    TEMPORAL_ACTIVITY_DEFN(noop_activity),
    TEMPORAL_ACTIVITY_DEFN(steady_heartbeat_activity),
    TEMPORAL_ACTIVITY_DEFN(heartbeat_once_activity),
    TEMPORAL_ACTIVITY_DEFN(steady_heartbeat_async),
    TEMPORAL_ACTIVITY_DEFN(stray_thread_activity),
    TEMPORAL_ACTIVITY_DEFN(big_result_activity),
    TEMPORAL_ACTIVITY_DEFN(shutdown_watch_activity),
    TEMPORAL_ACTIVITY_DEFN(shutdown_watch_async),
    TEMPORAL_ACTIVITY_DEFN(big_heartbeat_activity),
    TEMPORAL_ACTIVITY_DEFN(stray_thread_async),
    TEMPORAL_ACTIVITY_DEFN(say_hello_async),
    TEMPORAL_ACTIVITY_DEFN(fail_async),
    TEMPORAL_ACTIVITY_DEFN(sleep_async),
    TEMPORAL_ACTIVITY_DEFN(wait_for_cancel_async),
};

/* ---- a user-written executor: threads of its own running serialized jobs ---------------------- */

typedef struct custom_job {
  temporal_executor_job *job;
  struct custom_job *next;
} custom_job;

typedef struct custom_executor {
  temporal_shared_state_manager *manager;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  custom_job *head, *tail;
  bool stop;
  unsigned int thread_count;
  pthread_t threads[16];
} custom_executor;

static void *custom_thread(void *arg) {
  custom_executor *ce = arg;
  pthread_mutex_lock(&ce->mu);
  for (;;) {
    while (!ce->head && !ce->stop) pthread_cond_wait(&ce->cond, &ce->mu);
    if (!ce->head) break;
    custom_job *cj = ce->head;
    ce->head = cj->next;
    if (!ce->head) ce->tail = NULL;
    pthread_mutex_unlock(&ce->mu);
    size_t len = 0, out_len = 0;
    const uint8_t *bytes = temporal_executor_job_bytes(cj->job, &len);
    uint8_t *result = NULL;
    if (temporal_executor_run(&result, &out_len, ce->manager, bytes, len) == 0)
      temporal_executor_job_finish(cj->job, result, out_len);
    else
      temporal_executor_job_abandon(cj->job, temporal_error_last());
    free(result);
    free(cj);
    pthread_mutex_lock(&ce->mu);
  }
  pthread_mutex_unlock(&ce->mu);
  return NULL;
}

static int custom_submit(void *self, temporal_executor_job *job) {
  custom_executor *ce = self;
  custom_job *cj = calloc(1, sizeof *cj);
  if (!cj) return TEMPORAL_ENOMEM;
  cj->job = job;
  pthread_mutex_lock(&ce->mu);
  if (ce->tail)
    ce->tail->next = cj;
  else
    ce->head = cj;
  ce->tail = cj;
  pthread_cond_signal(&ce->cond);
  pthread_mutex_unlock(&ce->mu);
  return 0;
}

static void custom_shutdown(void *self) {
  custom_executor *ce = self;
  pthread_mutex_lock(&ce->mu);
  ce->stop = true;
  pthread_cond_broadcast(&ce->cond);
  pthread_mutex_unlock(&ce->mu);
  for (unsigned int i = 0; i < ce->thread_count; i++) pthread_join(ce->threads[i], NULL);
  pthread_mutex_destroy(&ce->mu);
  pthread_cond_destroy(&ce->cond);
  free(ce);
}

static const temporal_executor_vtable custom_vtable = {TEMPORAL_EXECUTOR_VTABLE_VERSION, custom_submit,
                                                       custom_shutdown};

/* `threads` (1..16) threads of its own take jobs from one queue. */
static int custom_executor_new(temporal_executor **out, temporal_shared_state_manager *manager,
                               unsigned int threads) {
  custom_executor *ce = calloc(1, sizeof *ce);
  ce->manager = manager;
  pthread_mutex_init(&ce->mu, NULL);
  pthread_cond_init(&ce->cond, NULL);
  ce->thread_count = threads < 1 ? 1 : threads > 16 ? 16 : threads;
  for (unsigned int i = 0; i < ce->thread_count; i++)
    pthread_create(&ce->threads[i], NULL, custom_thread, ce);
  return temporal_executor_new_custom(out, &custom_vtable, ce);
}

/* ---- main ------------------------------------------------------------------------------------- */

static void *run_loop(void *arg) {
  uv_run(arg, UV_RUN_DEFAULT);
  return NULL;
}

int main(int argc, char **argv) {
  const char *target = "127.0.0.1:7233", *task_queue = NULL, *executor_kind = "thread";
  bool no_ssm = false, user_loop = false;
  unsigned int slots = 0, threads = 0, processes = 2;
  long long grace_ms = 0, kill_grace_ms = 2000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(a, "--target"))
      target = v, i++;
    else if (!strcmp(a, "--task-queue"))
      task_queue = v, i++;
    else if (!strcmp(a, "--executor"))
      executor_kind = v, i++;
    else if (!strcmp(a, "--slots"))
      slots = (unsigned)atoi(v), i++;
    else if (!strcmp(a, "--threads"))
      threads = (unsigned)atoi(v), i++;
    else if (!strcmp(a, "--processes"))
      processes = (unsigned)atoi(v), i++;
    else if (!strcmp(a, "--graceful-shutdown-ms"))
      grace_ms = atoll(v), i++;
    else if (!strcmp(a, "--kill-grace-ms"))
      kill_grace_ms = atoll(v), i++;
    else if (!strcmp(a, "--no-ssm"))
      no_ssm = true;
    else if (!strcmp(a, "--user-loop"))
      user_loop = true;
    else {
      fprintf(stderr, "unknown option %s\n", a);
      return 64;
    }
  }
  if (!task_queue) {
    fprintf(stderr, "--task-queue is required\n");
    return 64;
  }

  /* The process pool forks its zygote now, before the client starts gRPC's threads. */
  temporal_shared_state_manager *ssm = NULL;
  temporal_executor *executor = NULL;
  int rc = 0;
  if (strcmp(executor_kind, "thread") && strcmp(executor_kind, "none"))
    rc = temporal_shared_state_manager_new(&ssm, NULL);
  if (rc == 0 && !strcmp(executor_kind, "process")) {
    temporal_process_pool_options po = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
    po.processes = processes;
    po.kill_grace = kill_grace_ms * TEMPORAL_MS;
    rc = temporal_process_pool_executor_new(&executor, ssm, &po);
  } else if (rc == 0 && !strcmp(executor_kind, "thread")) {
    temporal_thread_pool_options to = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
    to.threads = threads;
    rc = temporal_thread_pool_executor_new(&executor, &to);
  } else if (rc == 0 && !strcmp(executor_kind, "custom")) {
    rc = custom_executor_new(&executor, ssm, threads ? threads : 1);
  }
  if (rc != 0) {
    fprintf(stderr, "executor: %s\n", temporal_error_last());
    return 1;
  }

  temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
  co.target = target;
  temporal_client *client = NULL;
  if (temporal_client_connect(&client, &co) != 0) {
    fprintf(stderr, "connect: %s\n", temporal_error_last());
    return 1;
  }
  temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
  wo.task_queue = task_queue;
  wo.activities = activities;
  wo.activity_count = sizeof activities / sizeof activities[0];
  wo.activity_executor = executor;
  wo.shared_state_manager = no_ssm ? NULL : ssm;
  wo.max_concurrent_activities = slots;
  wo.graceful_shutdown_timeout = grace_ms * TEMPORAL_MS;
  /* --user-loop: async activities run on a loop this program owns and runs (on a thread of its own
   * here); the worker only adds its handle to it. */
  uv_loop_t loop;
  pthread_t loop_thread;
  if (user_loop) {
    uv_loop_init(&loop);
    wo.loop = &loop;
  }
  temporal_worker *worker = NULL;
  int exit_code = 0;
  if (temporal_worker_new(&worker, client, &wo) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    exit_code = 2;
  } else if (temporal_worker_start(worker) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    exit_code = 3;
  } else {
    if (user_loop) pthread_create(&loop_thread, NULL, run_loop, &loop);
    temporal_worker_shutdown_on_signals(worker);
    printf("READY\n");
    fflush(stdout);
    temporal_worker_wait(worker); /* not on the loop's thread: it waits for activities on the loop */
    printf("STOPPED %lld\n", mono_ms());
    fflush(stdout);
  }
  temporal_worker_free(worker);
  if (user_loop) {
    if (exit_code == 0) pthread_join(loop_thread, NULL); /* returns once the worker's handle closed */
    uv_loop_close(&loop);
  }
  temporal_client_free(client);
  temporal_executor_free(executor);
  temporal_shared_state_manager_free(ssm);
  return exit_code;
}
