/* The C worker of the fault-injection suite (tests/faults/): activities that leave a trace the tests
 * can count after the server, the network or a process-pool child was made to fail under them.
 *
 *   faults_worker --target HOST:PORT --task-queue Q [--executor thread|process] [--threads N]
 *                 [--processes N] [--slots N] [--record FILE]
 *
 * Activities (all sync, on the chosen executor):
 *   record_activity(n, sleep_ms)     waits sleep_ms, appends "<key> <attempt> <mono ms>" to --record
 *                                    (key: workflow id/activity id, or the standalone activity's id),
 *                                    returns {"n", "attempt"}. One line per attempt that finished, so
 *                                    the file shows every run, re-runs included.
 *   storm_activity(n, how)           how "segv" or "abort": on attempt 1 the process dies that way
 *                                    (meant for the process pool); "none": no crash. Returns {"n",
 *                                    "attempt", "pid"}.
 *   inspect_args_activity(...)       what the activity sees of its arguments: {"count", "last" (the
 *                                    last argument as JSON, or null), "first": {"encoding", "data",
 *                                    and for each typed getter {"rc", "message"}}}.
 *   deep_failure_activity(depth)     fails (non-retryable) with an application error whose cause
 *                                    chain is `depth` errors long ("level 0" outermost).
 *   ping_activity()                  returns "pong": the worker still serves.
 *
 * Prints READY once polling. Exit codes: 0 after SIGTERM, 1 set-up error, 2 refused, 3 cannot start. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <temporal/temporal.h>

static const char *record_path;

/* CLOCK_MONOTONIC in ms: what Python's time.monotonic() reads, so a test can set these times against
 * its own (the server restart, the end of a blackhole). */
static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One write(2) of one short line on an O_APPEND descriptor: lines from concurrent activities never
 * interleave, and a line is whole once written (the test reads the file while the worker runs). */
static int append_line(const char *line) {
  int fd = open(record_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  size_t len = strlen(line);
  ssize_t n = write(fd, line, len);
  close(fd);
  return n == (ssize_t)len ? 0 : -1;
}

static temporal_result *record_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t n = 0, sleep_ms = 0;
  int rc = temporal_args_get_int(&n, args, 0);
  if (rc == 0) rc = temporal_args_get_int(&sleep_ms, args, 1);
  if (rc != 0) return temporal_result_from_code(rc);
  /* Interruptible: a local timeout or shutdown ends the wait early, and the attempt then records
   * nothing (its outcome is not reported either). */
  if (sleep_ms > 0 && temporal_activity_wait_for_cancelled(activity, sleep_ms * TEMPORAL_MS) == 0)
    return temporal_result_cancelled();
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  if (record_path) {
    char line[512];
    if (info->workflow_id[0])
      snprintf(line, sizeof line, "%s/%s %d %lld\n", info->workflow_id, info->activity_id, (int)info->attempt,
               mono_ms());
    else
      snprintf(line, sizeof line, "%s %d %lld\n", info->activity_id, (int)info->attempt, mono_ms());
    if (append_line(line) != 0)
      return temporal_result_errorf("RecordError", "cannot append to %s", record_path);
  }
  return temporal_result_json(json_pack("{s:I,s:i}", "n", (json_int_t)n, "attempt", (int)info->attempt));
}

static temporal_result *storm_activity(temporal_activity *activity, const temporal_args *args) {
  int64_t n = 0;
  const char *how = NULL;
  int rc = temporal_args_get_int(&n, args, 0);
  if (rc == 0) rc = temporal_args_get_string(&how, args, 1);
  if (rc != 0) return temporal_result_from_code(rc);
  int attempt = (int)temporal_activity_get_info(activity)->attempt;
  /* The two ways a child dies of a bug: a signal from the kernel, and abort() from an assertion. */
  if (attempt == 1 && !strcmp(how, "segv")) raise(SIGSEGV);
  if (attempt == 1 && !strcmp(how, "abort")) abort();
  return temporal_result_json(
      json_pack("{s:I,s:i,s:i}", "n", (json_int_t)n, "attempt", attempt, "pid", (int)getpid()));
}

/* {"rc", "message"} of one getter call: the message only when it failed (the thread's last error). */
static json_t *getter_outcome(int rc) {
  return json_pack("{s:i,s:s}", "rc", rc, "message", rc == 0 ? "" : temporal_error_last());
}

static temporal_result *inspect_args_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  size_t count = temporal_args_count(args);
  json_t *out = json_pack("{s:I}", "count", (json_int_t)count);
  json_t *last = NULL;
  if (count > 0 && temporal_args_get_json(&last, args, count - 1) == 0)
    json_object_set(out, "last", last);
  else
    json_object_set_new(out, "last", json_null());
  if (count == 0) return temporal_result_json(out);

  json_t *first = json_object();
  const temporal_payload *payload = NULL;
  json_object_set_new(first, "get_payload", getter_outcome(temporal_args_get_payload(&payload, args, 0)));
  if (payload) {
    size_t len = 0;
    const uint8_t *data = temporal_payload_data(payload, &len);
    json_object_set_new(first, "encoding", json_string(temporal_payload_encoding(payload)));
    /* The exact text (json_stringn refuses invalid UTF-8: then the length only). */
    json_t *text = json_stringn((const char *)data, len);
    json_object_set_new(first, "data", text ? text : json_null());
    json_object_set_new(first, "data_len", json_integer((json_int_t)len));
  }
  int64_t i = 0;
  double d = 0;
  bool b = false;
  const char *s = NULL;
  json_t *j = NULL;
  json_object_set_new(first, "get_int", getter_outcome(temporal_args_get_int(&i, args, 0)));
  json_object_set_new(first, "get_real", getter_outcome(temporal_args_get_real(&d, args, 0)));
  json_object_set_new(first, "get_bool", getter_outcome(temporal_args_get_bool(&b, args, 0)));
  json_object_set_new(first, "get_string", getter_outcome(temporal_args_get_string(&s, args, 0)));
  json_object_set_new(first, "get_json", getter_outcome(temporal_args_get_json(&j, args, 0)));
  json_object_set_new(out, "first", first);
  return temporal_result_json(out);
}

static temporal_result *deep_failure_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  int64_t depth = 0;
  int rc = temporal_args_get_int(&depth, args, 0);
  if (rc != 0) return temporal_result_from_code(rc);
  if (depth < 1)
    return temporal_result_errorf("BadDepth", "depth must be at least 1, not %lld", (long long)depth);
  /* Built innermost first: each new error takes the chain so far as its cause. */
  temporal_application_error *chain = NULL;
  for (int64_t level = depth - 1; level >= 0; level--) {
    char message[64];
    snprintf(message, sizeof message, "level %lld", (long long)level);
    temporal_application_error *e = NULL;
    if (temporal_application_error_new(&e, "DeepError", message) != 0) {
      temporal_application_error_free(chain);
      return temporal_result_from_code(TEMPORAL_ENOMEM);
    }
    if (chain) temporal_application_error_set_cause(e, chain);
    chain = e;
  }
  temporal_application_error_set_non_retryable(chain, true);
  return temporal_result_error(chain);
}

static temporal_result *ping_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  (void)args;
  return temporal_result_string("pong");
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(record_activity),       TEMPORAL_ACTIVITY_DEFN(storm_activity),
    TEMPORAL_ACTIVITY_DEFN(inspect_args_activity), TEMPORAL_ACTIVITY_DEFN(deep_failure_activity),
    TEMPORAL_ACTIVITY_DEFN(ping_activity),
};

int main(int argc, char **argv) {
  const char *target = "127.0.0.1:7233", *task_queue = NULL, *executor_kind = "thread";
  unsigned int slots = 0, threads = 0, processes = 2;
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
    else if (!strcmp(a, "--record"))
      record_path = v, i++;
    else {
      fprintf(stderr, "unknown option %s\n", a);
      return 1;
    }
  }
  if (!task_queue) {
    fprintf(stderr, "--task-queue is required\n");
    return 1;
  }

  /* The process pool forks its zygote now, before the client starts gRPC's threads. */
  temporal_shared_state_manager *ssm = NULL;
  temporal_executor *executor = NULL;
  int rc;
  if (!strcmp(executor_kind, "process")) {
    rc = temporal_shared_state_manager_new(&ssm, NULL);
    if (rc == 0) {
      temporal_process_pool_options po = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
      po.processes = processes;
      rc = temporal_process_pool_executor_new(&executor, ssm, &po);
    }
  } else if (!strcmp(executor_kind, "thread")) {
    temporal_thread_pool_options to = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
    to.threads = threads;
    rc = temporal_thread_pool_executor_new(&executor, &to);
  } else {
    fprintf(stderr, "unknown executor %s\n", executor_kind);
    return 1;
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
    temporal_executor_free(executor);
    temporal_shared_state_manager_free(ssm);
    return 3;
  }
  temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
  wo.task_queue = task_queue;
  wo.activities = activities;
  wo.activity_count = sizeof activities / sizeof activities[0];
  wo.activity_executor = executor;
  wo.shared_state_manager = ssm;
  wo.max_concurrent_activities = slots;
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
    printf("READY\n");
    fflush(stdout);
    temporal_worker_wait(worker);
  }
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(executor);
  temporal_shared_state_manager_free(ssm);
  return exit_code;
}
