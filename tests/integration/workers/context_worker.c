/* The C worker for the activity-context tests (test_context.py): activities that show what they
 * see of their own context -- info, cancellation details, worker shutdown, raw payloads of the
 * dynamic activity, rich application errors, and context-tagged log lines.
 *
 *   context_worker --target HOST:PORT --task-queue Q [--executor thread|process]
 *                  [--graceful-shutdown-ms N] [--kill-grace-ms N] [--processes N]
 *
 * Lines on stdout (each written and flushed whole, also from process-pool children), where MONO is
 * CLOCK_MONOTONIC in ms -- the clock Python's time.monotonic() reads on Linux, so the test can set
 * these against its own instants (e.g. when it sent SIGTERM):
 *   READY                                  polling
 *   STARTED <activity_id> <attempt> <MONO> an interruptible activity began
 *   DETAILS <activity_id> <json>           it was interrupted: temporal_activity_cancellation_details
 *                                          plus attempt, elapsed_ms (since it began) and mono_ms
 *   SAW_SHUTDOWN <activity_id> <MONO>      it learned that the worker is shutting down
 *
 * Exit codes: 0 after a clean shutdown (SIGTERM), 2 when the worker is refused at creation,
 * 3 when it cannot start, 64 for a usage error. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <temporal/temporal.h>

/* The worker process's pid, taken before the process pool forks: children inherit the value, so an
 * activity reports which worker ran it whether it ran in a thread or in a child. */
static pid_t worker_pid;

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One stdout line, formatted first and written under the stream lock, so lines from concurrent
 * activities never interleave; flushed at once because the test waits for it (and a process-pool
 * child may be killed right after). */
static void emit(const char *format, ...) TEMPORAL_PRINTF(1, 2);
static void emit(const char *format, ...) {
  char line[2048];
  va_list ap;
  va_start(ap, format);
  vsnprintf(line, sizeof line, format, ap);
  va_end(ap);
  flockfile(stdout);
  fputs(line, stdout);
  fputc('\n', stdout);
  fflush(stdout);
  funlockfile(stdout);
}

static const char *activity_id(const temporal_activity *activity) {
  return temporal_activity_get_info(activity)->activity_id;
}

static void emit_started(const temporal_activity *activity) {
  emit("STARTED %s %d %lld", activity_id(activity), (int)temporal_activity_get_info(activity)->attempt,
       (long long)mono_ms());
}

/* DETAILS: why the activity was interrupted, as the context tells it. */
static void emit_details(const temporal_activity *activity, int64_t began_ms) {
  temporal_cancellation_details d = temporal_activity_cancellation_details(activity);
  int64_t now = mono_ms();
  json_t *j = json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b,s:i,s:I,s:I}", "cancel_requested", d.cancel_requested,
                        "paused", d.paused, "reset", d.reset, "timed_out", d.timed_out, "not_found",
                        d.not_found, "worker_shutdown", d.worker_shutdown, "is_worker_shutdown",
                        temporal_activity_is_worker_shutdown(activity), "attempt",
                        (int)temporal_activity_get_info(activity)->attempt, "elapsed_ms",
                        (json_int_t)(now - began_ms), "mono_ms", (json_int_t)now);
  char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
  emit("DETAILS %s %s", activity_id(activity), text ? text : "{}");
  free(text);
  json_decref(j);
}

static json_int_t ns_to_ms(int64_t ns) {
  return (json_int_t)(ns / 1000000);
}

/* ---- info ------------------------------------------------------------------------------------ */

static json_t *info_json(const temporal_activity *activity) {
  const temporal_activity_info *i = temporal_activity_get_info(activity);
  json_t *details = json_array();
  for (size_t k = 0; k < temporal_args_count(i->heartbeat_details); k++) {
    json_t *v = NULL;
    json_array_append(details, temporal_args_get_json(&v, i->heartbeat_details, k) == 0 ? v : json_null());
  }
  json_t *retry = json_null();
  if (i->has_retry_policy) {
    json_t *types = json_array();
    for (size_t k = 0; k < i->retry_policy.non_retryable_error_type_count; k++)
      json_array_append_new(types, json_string(i->retry_policy.non_retryable_error_types[k]));
    retry =
        json_pack("{s:I,s:f,s:I,s:i,s:o}", "initial_interval_ms", ns_to_ms(i->retry_policy.initial_interval),
                  "backoff_coefficient", i->retry_policy.backoff_coefficient, "maximum_interval_ms",
                  ns_to_ms(i->retry_policy.maximum_interval), "maximum_attempts",
                  (int)i->retry_policy.maximum_attempts, "non_retryable_error_types", types);
  }
  json_t *priority =
      json_pack("{s:i,s:s,s:f}", "priority_key", (int)i->priority.priority_key, "fairness_key",
                i->priority.fairness_key, "fairness_weight", (double)i->priority.fairness_weight);
  return json_pack(
      "{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:b,s:I}",
      "activity_id", i->activity_id, "activity_type", i->activity_type, "activity_run_id", i->activity_run_id,
      "namespace", i->namespace_, "task_queue", i->task_queue, "workflow_id", i->workflow_id,
      "workflow_run_id", i->workflow_run_id, "workflow_type", i->workflow_type, "task_token_len",
      (json_int_t)i->task_token_len, "attempt", (int)i->attempt, "scheduled_time_ms",
      ns_to_ms(i->scheduled_time), "current_attempt_scheduled_time_ms",
      ns_to_ms(i->current_attempt_scheduled_time), "started_time_ms", ns_to_ms(i->started_time),
      "schedule_to_close_timeout_ms", ns_to_ms(i->schedule_to_close_timeout), "start_to_close_timeout_ms",
      ns_to_ms(i->start_to_close_timeout), "heartbeat_timeout_ms", ns_to_ms(i->heartbeat_timeout),
      "heartbeat_details_count", (json_int_t)temporal_args_count(i->heartbeat_details), "heartbeat_details",
      details, "retry_policy", retry, "priority", priority, "is_local", i->is_local, "now_ms",
      (json_int_t)wall_ms());
}

/* Returns its whole info. With a first argument of true, attempt 1 records a heartbeat and fails
 * (retryable), so the second attempt's info shows attempt 2 and the details attempt 1 left. */
static temporal_result *info_activity(temporal_activity *activity, const temporal_args *args) {
  bool fail_first = false;
  temporal_args_get_bool(&fail_first, args, 0);
  if (fail_first && temporal_activity_get_info(activity)->attempt == 1) {
    json_t *detail = json_pack("{s:i}", "from_attempt", 1);
    temporal_activity_heartbeat_json(activity, detail);
    json_decref(detail);
    return temporal_result_errorf("RetryMe", "attempt 1 fails so that attempt 2 shows its info");
  }
  return temporal_result_json(info_json(activity));
}

/* ---- interruption ------------------------------------------------------------------------------ */

/* Runs until interrupted, then prints DETAILS and ends as cancelled (the worker turns that into the
 * report the final-result order says). The first argument picks how it heartbeats:
 *   "every"  every 100 ms (default): learns of cancel / pause / reset / NotFound from the server
 *   "silent" never: only a local timeout or worker shutdown can stop it
 *   "once"   one heartbeat at the start, then silent (for the local heartbeat timeout) */
static temporal_result *details_activity(temporal_activity *activity, const temporal_args *args) {
  const char *mode = "every";
  temporal_args_get_string(&mode, args, 0);
  int64_t began = mono_ms();
  emit_started(activity);
  bool every = !strcmp(mode, "every");
  if (!strcmp(mode, "once")) temporal_activity_heartbeat_json(activity, NULL);
  for (int tick = 0; tick < 1200; tick++) { /* 120 s: far beyond any case */
    if (every) {
      json_t *detail = json_pack("{s:i}", "tick", tick);
      temporal_activity_heartbeat_json(activity, detail);
      json_decref(detail);
    }
    if (temporal_activity_wait_for_cancelled(activity, 100 * TEMPORAL_MS) == 0) {
      emit_details(activity, began);
      return temporal_result_cancelled();
    }
  }
  return temporal_result_string("never interrupted");
}

/* ---- worker shutdown --------------------------------------------------------------------------- */

/* Waits for the worker to begin shutting down ("wait": wait_for_worker_shutdown; "poll":
 * is_worker_shutdown every 20 ms), says so, then finishes its work -- within the grace period --
 * and completes. */
static temporal_result *shutdown_finisher(temporal_activity *activity, const temporal_args *args) {
  const char *how = "wait";
  int64_t work_ms = 1000;
  temporal_args_get_string(&how, args, 0);
  temporal_args_get_int(&work_ms, args, 1);
  emit_started(activity);
  bool down = false;
  if (!strcmp(how, "poll")) {
    for (int i = 0; i < 6000 && !down; i++) { /* 120 s */
      down = temporal_activity_is_worker_shutdown(activity);
      if (!down) usleep(20 * 1000);
    }
  } else {
    down = temporal_activity_wait_for_worker_shutdown(activity, 120 * TEMPORAL_SECOND) == 0;
  }
  if (!down) return temporal_result_errorf("NoShutdown", "the worker never began shutting down");
  emit("SAW_SHUTDOWN %s %lld", activity_id(activity), (long long)mono_ms());
  usleep((useconds_t)work_ms * 1000);
  return temporal_result_json(json_pack("{s:s,s:b,s:i}", "finished", "after shutdown began", "was_cancelled",
                                        temporal_activity_is_cancelled(activity), "worker_pid",
                                        (int)worker_pid));
}

/* Attempt 1 ignores the worker's shutdown: "cooperative" waits for cancellation (so it is stopped
 * when the grace period ends: DETAILS, then cancelled); "stubborn" ignores cancellation as well and
 * just sleeps (only the process pool's kill grace ends it); "stubborn_hb" is stubborn but heartbeats
 * every 100 ms, so that a cancellation request reaches it (and is ignored). Later attempts complete
 * at once and say which worker ran them. */
static temporal_result *shutdown_ignorer(temporal_activity *activity, const temporal_args *args) {
  const char *how = "cooperative";
  temporal_args_get_string(&how, args, 0);
  int attempt = (int)temporal_activity_get_info(activity)->attempt;
  if (attempt > 1)
    return temporal_result_json(json_pack("{s:i,s:i}", "attempt", attempt, "worker_pid", (int)worker_pid));
  int64_t began = mono_ms();
  emit_started(activity);
  if (!strncmp(how, "stubborn", 8)) {
    bool heartbeat = !strcmp(how, "stubborn_hb");
    for (int i = 0; i < 1200; i++) { /* 120 s */
      if (heartbeat) temporal_activity_heartbeat_json(activity, NULL);
      usleep(100 * 1000);
    }
    return temporal_result_string("outlived the kill grace");
  }
  if (temporal_activity_wait_for_cancelled(activity, 120 * TEMPORAL_SECOND) != 0)
    return temporal_result_string("never cancelled");
  emit_details(activity, began);
  return temporal_result_cancelled();
}

/* ---- dynamic ------------------------------------------------------------------------------------ */

/* Receives every type with no registered function: returns the type it was asked for and each
 * argument's raw payload (encoding and data; data as text, or hex when it is not UTF-8). */
static temporal_result *dynamic_activity(temporal_activity *activity, const temporal_args *args) {
  json_t *list = json_array();
  for (size_t k = 0; k < temporal_args_count(args); k++) {
    const temporal_payload *p = NULL;
    int rc = temporal_args_get_payload(&p, args, k);
    if (rc != 0) {
      json_decref(list);
      return temporal_result_from_code(rc);
    }
    size_t len = 0;
    const uint8_t *data = temporal_payload_data(p, &len);
    json_t *text = json_stringn((const char *)data, len);
    if (!text) {
      char *hex = malloc(2 * len + 1);
      for (size_t b = 0; hex && b < len; b++) snprintf(hex + 2 * b, 3, "%02x", data[b]);
      if (hex) hex[2 * len] = '\0';
      text = json_pack("{s:s}", "hex", hex ? hex : "");
      free(hex);
    }
    json_array_append_new(list,
                          json_pack("{s:s,s:o}", "encoding", temporal_payload_encoding(p), "data", text));
  }
  return temporal_result_json(json_pack("{s:s,s:I,s:o}", "activity_type",
                                        temporal_activity_get_info(activity)->activity_type, "count",
                                        (json_int_t)temporal_args_count(args), "payloads", list));
}

/* ---- application errors ------------------------------------------------------------------------ */

static temporal_application_error *new_error(const char *type, const char *message) {
  temporal_application_error *err = NULL;
  return temporal_application_error_new(&err, type, message) == 0 ? err : NULL;
}

/* Attempt 1 records the wall time and fails with next_retry_delay = argument 0 (ms; 0 = none), so
 * the backoff before attempt 2 is the activity's choice. Attempt 2 fails with everything an
 * application error carries: next_retry_delay, category BENIGN, details (the observed delay as
 * JSON, a string, raw bytes) and a two-level cause chain. */
static temporal_result *app_error_activity(temporal_activity *activity, const temporal_args *args) {
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  int64_t delay_ms = 0;
  temporal_args_get_int(&delay_ms, args, 0);
  if (info->attempt == 1) {
    json_t *detail = json_pack("{s:I}", "failed_at_ms", (json_int_t)wall_ms());
    temporal_activity_heartbeat_json(activity, detail);
    json_decref(detail);
    temporal_application_error *err = new_error("Delayed", "attempt 1 asks for its own retry delay");
    if (!err) return temporal_result_from_code(TEMPORAL_ENOMEM);
    temporal_application_error_set_next_retry_delay(err, delay_ms * TEMPORAL_MS);
    return temporal_result_error(err);
  }
  /* From attempt 1's failure (its heartbeat) to this attempt's start, both on this host's clock. */
  json_t *recorded = NULL;
  json_int_t failed_at = 0;
  if (temporal_args_get_json(&recorded, info->heartbeat_details, 0) == 0)
    failed_at = json_integer_value(json_object_get(recorded, "failed_at_ms"));
  json_int_t observed = failed_at ? ns_to_ms(info->started_time) - failed_at : -1;

  temporal_application_error *err = new_error("Final", "attempt 2 fails with everything");
  temporal_application_error *cause = new_error("CauseOne", "the first cause");
  temporal_application_error *root = new_error("CauseTwo", "the root cause");
  if (!err || !cause || !root) {
    temporal_application_error_free(err);
    temporal_application_error_free(cause);
    temporal_application_error_free(root);
    return temporal_result_from_code(TEMPORAL_ENOMEM);
  }
  temporal_application_error_set_next_retry_delay(err, 1500 * TEMPORAL_MS);
  temporal_application_error_set_category(err, TEMPORAL_ERROR_CATEGORY_BENIGN);
  temporal_payload *d0 = NULL, *d1 = NULL, *d2 = NULL;
  json_t *first = json_pack("{s:I,s:i}", "observed_delay_ms", observed, "attempt", (int)info->attempt);
  temporal_payload_new_json(&d0, first);
  json_decref(first);
  temporal_payload_new_string(&d1, "second detail");
  temporal_payload_new_bytes(&d2, "\x00\x01raw", 5);
  if (d0) temporal_application_error_add_detail(err, d0);
  if (d1) temporal_application_error_add_detail(err, d1);
  if (d2) temporal_application_error_add_detail(err, d2);
  temporal_payload_free(d0);
  temporal_payload_free(d1);
  temporal_payload_free(d2);
  temporal_application_error_set_non_retryable(cause, true);
  temporal_application_error_set_cause(cause, root);
  temporal_application_error_set_cause(err, cause);
  return temporal_result_error(err);
}

/* ---- logging ------------------------------------------------------------------------------------ */

static temporal_result *log_activity(temporal_activity *activity, const temporal_args *args) {
  const char *marker = "";
  temporal_args_get_string(&marker, args, 0);
  temporal_activity_log(activity, TEMPORAL_LOG_INFO, "LOGMARK %s", marker);
  return temporal_result_string("logged");
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(info_activity),
    TEMPORAL_ACTIVITY_DEFN(details_activity),
    TEMPORAL_ACTIVITY_DEFN(shutdown_finisher),
    TEMPORAL_ACTIVITY_DEFN(shutdown_ignorer),
    TEMPORAL_ACTIVITY_DEFN(app_error_activity),
    TEMPORAL_ACTIVITY_DEFN(log_activity),
    TEMPORAL_ACTIVITY_DEFN_DYNAMIC(dynamic_activity),
};

/* ---- main ------------------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  const char *target = "127.0.0.1:7233", *task_queue = NULL, *executor_kind = "thread";
  long grace_ms = 0, kill_grace_ms = 0;
  unsigned int processes = 3;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(a, "--target"))
      target = v, i++;
    else if (!strcmp(a, "--task-queue"))
      task_queue = v, i++;
    else if (!strcmp(a, "--executor"))
      executor_kind = v, i++;
    else if (!strcmp(a, "--graceful-shutdown-ms"))
      grace_ms = atol(v), i++;
    else if (!strcmp(a, "--kill-grace-ms"))
      kill_grace_ms = atol(v), i++;
    else if (!strcmp(a, "--processes"))
      processes = (unsigned)atoi(v), i++;
    else {
      fprintf(stderr, "unknown option %s\n", a);
      return 64;
    }
  }
  bool process = !strcmp(executor_kind, "process");
  if (!task_queue || (!process && strcmp(executor_kind, "thread"))) {
    fprintf(stderr,
            "usage: context_worker --target HOST:PORT --task-queue Q [--executor thread|process] "
            "[--graceful-shutdown-ms N] [--kill-grace-ms N] [--processes N]\n");
    return 64;
  }
  worker_pid = getpid();

  /* The process pool forks its zygote now, before the client starts gRPC's threads. */
  temporal_shared_state_manager *ssm = NULL;
  temporal_executor *executor = NULL;
  int rc;
  if (process) {
    rc = temporal_shared_state_manager_new(&ssm, NULL);
    if (rc == 0) {
      temporal_process_pool_options po = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
      po.processes = processes;
      po.kill_grace = kill_grace_ms * TEMPORAL_MS;
      rc = temporal_process_pool_executor_new(&executor, ssm, &po);
    }
  } else {
    /* As many threads as slots: no activity waits for a thread while holding a slot. */
    temporal_thread_pool_options to = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
    to.threads = 16;
    rc = temporal_thread_pool_executor_new(&executor, &to);
  }
  if (rc != 0) {
    fprintf(stderr, "executor: %s\n", temporal_error_last());
    temporal_shared_state_manager_free(ssm);
    return 1;
  }

  temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
  co.target = target;
  temporal_client *client = NULL;
  if (temporal_client_connect(&client, &co) != 0) {
    fprintf(stderr, "connect: %s\n", temporal_error_last());
    temporal_executor_free(executor);
    temporal_shared_state_manager_free(ssm);
    return 1;
  }
  temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
  wo.task_queue = task_queue;
  wo.activities = activities;
  wo.activity_count = sizeof activities / sizeof activities[0];
  wo.activity_executor = executor;
  wo.shared_state_manager = ssm;
  wo.max_concurrent_activities = process ? processes : 16;
  wo.graceful_shutdown_timeout = grace_ms * TEMPORAL_MS;
  temporal_worker *worker = NULL;
  int exit_code = 0;
  if (temporal_worker_new(&worker, client, &wo) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    exit_code = 2;
  } else if (temporal_worker_start(worker) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    exit_code = 3;
  } else {
    temporal_worker_shutdown_on_signals(worker);
    emit("READY");
    temporal_worker_wait(worker);
  }
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(executor);
  temporal_shared_state_manager_free(ssm);
  return exit_code;
}
