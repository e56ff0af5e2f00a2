/* The activity environment (<temporal/testing.h>): sync and async activities run without a server,
 * with settable info, a heartbeat callback, and cancel and worker-shutdown triggers from any thread. */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <temporal/temporal.h>
#include <uv.h>

#include "converter/converter_internal.h"
#include "test.h"

/* ---- Helpers ----------------------------------------------------------------------------------- */

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static temporal_payload *json_payload(const char *text) {
  json_t *v = json_loads(text, JSON_DECODE_ANY, NULL);
  CHECK(v != NULL);
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_json(&p, v));
  json_decref(v);
  return p;
}

/* The result's value as compact JSON text (malloc'd). */
static char *value_text(const temporal_result *r) {
  json_t *v = NULL;
  int rc = temporal_result_value_json(&v, r);
  if (rc != 0) TEST_FAIL("expected a value: %s", temporal_error_last());
  char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
  json_decref(v);
  return text;
}

static void check_value(const char *expected_json, const temporal_result *r) {
  char *text = value_text(r);
  CHECK_STR_EQ(expected_json, text);
  free(text);
}

static temporal_activity_environment *new_env(void) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  CHECK(env != NULL);
  return env;
}

/* Runs `defn` with one argument given as JSON text ("" = no argument). */
static temporal_result *run1(temporal_activity_environment *env, const temporal_activity_definition *defn,
                             const char *arg_json) {
  temporal_payload *arg = arg_json[0] ? json_payload(arg_json) : NULL;
  const temporal_payload *args[1] = {arg};
  temporal_result *r = NULL;
  int rc = temporal_activity_environment_run(&r, env, defn, args, arg ? 1 : 0);
  if (rc != 0) TEST_FAIL("run: %s: %s", temporal_strerror(rc), temporal_error_last());
  CHECK(r != NULL);
  temporal_payload_free(arg);
  return r;
}

/* ---- Sync results and arguments ------------------------------------------------------------------ */

static temporal_result *greet(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) return temporal_result_from_code(rc);
  return temporal_result_json(json_sprintf("Hello, %s!", name));
}

static const temporal_activity_definition greet_defn = TEMPORAL_ACTIVITY_DEFN(greet);

TEST(environment_sync_result) {
  temporal_activity_environment *env = new_env();
  temporal_result *r = run1(env, &greet_defn, "\"Temporal\"");
  CHECK_EQ_INT(TEMPORAL_RESULT_VALUE, temporal_result_kind_of(r));
  CHECK(temporal_result_get_error(r) == NULL);
  CHECK_STR_EQ(TEMPORAL_ENCODING_JSON, temporal_payload_encoding(temporal_result_value(r)));
  check_value("\"Hello, Temporal!\"", r);
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

TEST(environment_wrong_args_fail_cleanly) {
  temporal_activity_environment *env = new_env();
  /* A wrong type: the activity's own clean failure, naming the argument and both types. */
  temporal_result *r = run1(env, &greet_defn, "42");
  CHECK_EQ_INT(TEMPORAL_RESULT_ERROR, temporal_result_kind_of(r));
  const temporal_application_error *e = temporal_result_get_error(r);
  CHECK(e != NULL);
  CHECK_STR_EQ("TemporalError", temporal_application_error_type(e));
  CHECK_CONTAINS(temporal_application_error_message(e), "argument 0");
  CHECK(temporal_result_value(r) == NULL);
  json_t *v = NULL;
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_result_value_json(&v, r));
  CHECK_CONTAINS(temporal_error_last(), "argument 0");
  temporal_result_free(r);

  /* A missing argument. */
  r = run1(env, &greet_defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_ERROR, temporal_result_kind_of(r));
  CHECK_CONTAINS(temporal_application_error_message(temporal_result_get_error(r)), "0");
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

static atomic_int calls;

static temporal_result *count_calls(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  (void)args;
  atomic_fetch_add(&calls, 1);
  return NULL; /* nothing: binary/null */
}

/* A payload in an encoding no converter reads. */
static temporal_payload *undecodable_payload(void) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&p, "x", 1));
  free(p->meta[0].value);
  p->meta[0].value = (uint8_t *)strdup("application/x-unknown");
  p->meta[0].len = strlen("application/x-unknown");
  return p;
}

TEST(environment_input_that_does_not_decode) {
  temporal_activity_environment *env = new_env();
  temporal_payload *bad = undecodable_payload();
  const temporal_payload *args[1] = {bad};
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(count_calls);
  temporal_result *r = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&r, env, &defn, args, 1));
  /* What the worker reports, and the function never ran. */
  CHECK_EQ_INT(TEMPORAL_RESULT_ERROR, temporal_result_kind_of(r));
  const temporal_application_error *e = temporal_result_get_error(r);
  CHECK_STR_EQ("Failed decoding arguments", temporal_application_error_message(e));
  CHECK_STR_EQ("DecodeError", temporal_application_error_type(temporal_application_error_cause(e)));
  CHECK_EQ_INT(0, atomic_load(&calls));
  temporal_result_free(r);

  /* No arguments at all: the function runs and "nothing" is JSON null. */
  CHECK_EQ_INT(0, temporal_activity_environment_run(&r, env, &defn, NULL, 0));
  CHECK_EQ_INT(1, atomic_load(&calls));
  CHECK_STR_EQ(TEMPORAL_ENCODING_NULL, temporal_payload_encoding(temporal_result_value(r)));
  check_value("null", r);
  temporal_result_free(r);

  /* Bad calls fail without running anything. */
  temporal_activity_definition broken = defn;
  broken.sync_fn = NULL;
  r = (temporal_result *)&r;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_activity_environment_run(&r, env, &broken, NULL, 0));
  CHECK(r == NULL);
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_activity_environment_run(&r, env, &defn, NULL, 2));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_activity_environment_run(&r, NULL, &defn, NULL, 0));
  CHECK_EQ_INT(1, atomic_load(&calls));
  temporal_payload_free(bad);
  temporal_activity_environment_free(env);
}

/* ---- Info ---------------------------------------------------------------------------------------- */

/* Copies of what the activity saw. */
typedef struct seen_info {
  char activity_id[64], activity_type[64], activity_run_id[64], namespace_[64], task_queue[64];
  char workflow_id[64], workflow_run_id[64], workflow_type[64], token[64], fairness_key[64];
  char non_retryable[2][64];
  size_t non_retryable_count;
  int32_t attempt, max_attempts, priority_key;
  temporal_time_ns scheduled, current_attempt_scheduled, started;
  temporal_duration_ns schedule_to_close, start_to_close, heartbeat_timeout;
  bool has_retry_policy, is_local;
  int64_t previous_detail;
  size_t detail_count;
  bool same_info_pointer;
  void *data;
} seen_info;

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src))

static temporal_result *record_info(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  seen_info *s = temporal_activity_data(activity);
  const temporal_activity_info *i = temporal_activity_get_info(activity);
  s->data = temporal_activity_data(activity);
  COPY(s->activity_id, i->activity_id);
  COPY(s->activity_type, i->activity_type);
  COPY(s->activity_run_id, i->activity_run_id);
  COPY(s->namespace_, i->namespace_);
  COPY(s->task_queue, i->task_queue);
  COPY(s->workflow_id, i->workflow_id);
  COPY(s->workflow_run_id, i->workflow_run_id);
  COPY(s->workflow_type, i->workflow_type);
  snprintf(s->token, sizeof s->token, "%.*s", (int)i->task_token_len, (const char *)i->task_token);
  COPY(s->fairness_key, i->priority.fairness_key);
  s->non_retryable_count = i->retry_policy.non_retryable_error_type_count;
  for (size_t k = 0; k < s->non_retryable_count && k < 2; k++)
    COPY(s->non_retryable[k], i->retry_policy.non_retryable_error_types[k]);
  s->attempt = i->attempt;
  s->max_attempts = i->retry_policy.maximum_attempts;
  s->priority_key = i->priority.priority_key;
  s->scheduled = i->scheduled_time;
  s->current_attempt_scheduled = i->current_attempt_scheduled_time;
  s->started = i->started_time;
  s->schedule_to_close = i->schedule_to_close_timeout;
  s->start_to_close = i->start_to_close_timeout;
  s->heartbeat_timeout = i->heartbeat_timeout;
  s->has_retry_policy = i->has_retry_policy;
  s->is_local = i->is_local;
  s->detail_count = temporal_args_count(i->heartbeat_details);
  s->previous_detail = -1;
  if (s->detail_count) temporal_args_get_int(&s->previous_detail, i->heartbeat_details, 0);
  s->same_info_pointer = temporal_activity_get_info(activity) == i;
  return temporal_result_none();
}

static temporal_time_ns wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (temporal_time_ns)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

TEST(environment_info_defaults) {
  temporal_activity_environment *env = new_env();
  seen_info s;
  memset(&s, 0, sizeof s);
  temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(record_info);
  defn.data = &s;
  temporal_time_ns before = wall_now();
  temporal_result *r = run1(env, &defn, "");
  temporal_time_ns after = wall_now();
  temporal_result_free(r);
  CHECK(s.data == &s);
  CHECK(s.same_info_pointer);
  /* The Python SDK's ActivityEnvironment.default_info(). */
  CHECK_STR_EQ("test", s.activity_id);
  CHECK_STR_EQ("unknown", s.activity_type);
  CHECK_STR_EQ("", s.activity_run_id);
  CHECK_STR_EQ("default", s.namespace_);
  CHECK_STR_EQ("test", s.task_queue);
  CHECK_STR_EQ("test", s.workflow_id);
  CHECK_STR_EQ("test-run", s.workflow_run_id);
  CHECK_STR_EQ("test", s.workflow_type);
  CHECK_STR_EQ("test", s.token);
  CHECK_STR_EQ("", s.fairness_key);
  CHECK_EQ_INT(1, s.attempt);
  CHECK_EQ_INT(TEMPORAL_SECOND, s.schedule_to_close);
  CHECK_EQ_INT(TEMPORAL_SECOND, s.start_to_close);
  CHECK_EQ_INT(0, s.heartbeat_timeout);
  CHECK(!s.has_retry_policy);
  CHECK(!s.is_local);
  CHECK_EQ_INT(0, s.detail_count);
  /* Unset times are the moment the run started. */
  CHECK(s.scheduled >= before && s.scheduled <= after);
  CHECK(s.started >= before && s.started <= after);
  CHECK_EQ_INT(s.scheduled, s.current_attempt_scheduled);
  /* The environment's own view keeps them unset. */
  const temporal_activity_info *i = temporal_activity_environment_get_info(env);
  CHECK_EQ_INT(0, i->scheduled_time);
  CHECK_STR_EQ("test", i->activity_id);
  CHECK(i->heartbeat_details != NULL);
  CHECK_EQ_INT(0, temporal_args_count(i->heartbeat_details));
  temporal_activity_environment_free(env);
}

/* NULL info means the defaults, as NULL options do everywhere (common.h). */
TEST(environment_info_set_null_restores_the_defaults) {
  temporal_activity_environment *env = new_env();
  temporal_activity_info info = *temporal_activity_environment_get_info(env);
  info.activity_id = "changed";
  info.attempt = 9;
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));
  CHECK_STR_EQ("changed", temporal_activity_environment_get_info(env)->activity_id);
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, NULL));
  const temporal_activity_info *i = temporal_activity_environment_get_info(env);
  CHECK_STR_EQ("test", i->activity_id);
  CHECK_STR_EQ("test", i->task_queue);
  CHECK_EQ_INT(1, i->attempt);
  CHECK(i->heartbeat_details != NULL);
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_activity_environment_set_info(NULL, NULL));
  temporal_activity_environment_free(env);
}

TEST(environment_info_set) {
  temporal_activity_environment *env = new_env();
  /* Every string from a buffer that is overwritten before the run: the environment copies. */
  char buf[10][32];
  const char *values[10] = {"act-7", "charge_card",   "",      "payments", "card-q", "order-1",
                            "run-1", "OrderWorkflow", "Fatal", "tenant-a"};
  for (int k = 0; k < 10; k++) snprintf(buf[k], sizeof buf[k], "%s", values[k]);
  const char *types[1] = {buf[8]};
  temporal_activity_info info = *temporal_activity_environment_get_info(env);
  info.activity_id = buf[0];
  info.activity_type = buf[1];
  info.activity_run_id = NULL; /* NULL is "" */
  info.namespace_ = buf[3];
  info.task_queue = buf[4];
  info.workflow_id = buf[5];
  info.workflow_run_id = buf[6];
  info.workflow_type = buf[7];
  info.task_token = (const uint8_t *)"tok-123";
  info.task_token_len = 7;
  info.attempt = 3;
  info.scheduled_time = 1000 * TEMPORAL_SECOND;
  info.current_attempt_scheduled_time = 1010 * TEMPORAL_SECOND;
  info.started_time = 1011 * TEMPORAL_SECOND;
  info.schedule_to_close_timeout = 60 * TEMPORAL_SECOND;
  info.start_to_close_timeout = 10 * TEMPORAL_SECOND;
  info.heartbeat_timeout = 2 * TEMPORAL_SECOND;
  info.has_retry_policy = true;
  info.retry_policy.maximum_attempts = 5;
  info.retry_policy.non_retryable_error_types = types;
  info.retry_policy.non_retryable_error_type_count = 1;
  info.priority.priority_key = 2;
  info.priority.fairness_key = buf[9];
  info.is_local = true;
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));
  memset(buf, 'X', sizeof buf);

  /* The previous attempt's heartbeat details. */
  temporal_payload *detail = json_payload("7");
  const temporal_payload *details[1] = {detail};
  CHECK_EQ_INT(0, temporal_activity_environment_set_heartbeat_details(env, details, 1));
  temporal_payload_free(detail);
  /* A detail no worker could decode is refused, and the earlier ones stay. */
  temporal_payload *bad = undecodable_payload();
  const temporal_payload *bad_list[1] = {bad};
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal_activity_environment_set_heartbeat_details(env, bad_list, 1));
  temporal_payload_free(bad);

  /* Setting from the environment's own info (aliasing its strings) is fine. */
  info = *temporal_activity_environment_get_info(env);
  info.attempt = 4;
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));

  seen_info s;
  memset(&s, 0, sizeof s);
  temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(record_info);
  defn.data = &s;
  temporal_result *r = run1(env, &defn, "");
  temporal_result_free(r);
  CHECK_STR_EQ("act-7", s.activity_id);
  CHECK_STR_EQ("charge_card", s.activity_type);
  CHECK_STR_EQ("", s.activity_run_id);
  CHECK_STR_EQ("payments", s.namespace_);
  CHECK_STR_EQ("card-q", s.task_queue);
  CHECK_STR_EQ("order-1", s.workflow_id);
  CHECK_STR_EQ("run-1", s.workflow_run_id);
  CHECK_STR_EQ("OrderWorkflow", s.workflow_type);
  CHECK_STR_EQ("tok-123", s.token);
  CHECK_EQ_INT(4, s.attempt);
  CHECK_EQ_INT(1000 * TEMPORAL_SECOND, s.scheduled);
  CHECK_EQ_INT(1010 * TEMPORAL_SECOND, s.current_attempt_scheduled);
  CHECK_EQ_INT(1011 * TEMPORAL_SECOND, s.started);
  CHECK_EQ_INT(60 * TEMPORAL_SECOND, s.schedule_to_close);
  CHECK_EQ_INT(10 * TEMPORAL_SECOND, s.start_to_close);
  CHECK_EQ_INT(2 * TEMPORAL_SECOND, s.heartbeat_timeout);
  CHECK(s.has_retry_policy);
  CHECK_EQ_INT(5, s.max_attempts);
  CHECK_EQ_INT(1, s.non_retryable_count);
  CHECK_STR_EQ("Fatal", s.non_retryable[0]);
  CHECK_EQ_INT(2, s.priority_key);
  CHECK_STR_EQ("tenant-a", s.fairness_key);
  CHECK(s.is_local);
  CHECK_EQ_INT(1, s.detail_count);
  CHECK_EQ_INT(7, s.previous_detail);
  temporal_activity_environment_free(env);
}

/* A dynamic activity receives the requested type through info, as from a worker. */
static temporal_result *dynamic_echo(temporal_activity *activity, const temporal_args *args) {
  return temporal_result_json(json_pack("{s:s, s:i}", "type",
                                        temporal_activity_get_info(activity)->activity_type, "argc",
                                        (int)temporal_args_count(args)));
}

TEST(environment_dynamic_activity) {
  temporal_activity_environment *env = new_env();
  temporal_activity_info info = *temporal_activity_environment_get_info(env);
  info.activity_type = "anything-at-all";
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN_DYNAMIC(dynamic_echo);
  temporal_result *r = run1(env, &defn, "[1,2]");
  check_value("{\"type\":\"anything-at-all\",\"argc\":1}", r);
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

/* temporal_activity_log lines carry the environment's info, through the same sink as a worker's. */
static char logged[2048];

static void capture_sink(temporal_log_level level, const char *line, void *data) {
  (void)level;
  (void)data;
  snprintf(logged, sizeof logged, "%s", line);
}

static temporal_result *log_something(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  temporal_activity_log(activity, TEMPORAL_LOG_INFO, "charging %d", 42);
  return NULL;
}

TEST(environment_activity_log) {
  temporal_log_set_sink(capture_sink, NULL);
  temporal_log_set_level(TEMPORAL_LOG_INFO);
  temporal_activity_environment *env = new_env();
  temporal_activity_info info = *temporal_activity_environment_get_info(env);
  info.activity_id = "log-act";
  info.attempt = 2;
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(log_something);
  temporal_result_free(run1(env, &defn, ""));
  CHECK_CONTAINS(logged, "charging 42");
  CHECK_CONTAINS(logged, "activity_id=log-act");
  CHECK_CONTAINS(logged, "attempt=2");
  CHECK_CONTAINS(logged, "namespace=default");
  CHECK_CONTAINS(logged, "workflow_run_id=test-run");
  temporal_activity_environment_free(env);
  temporal_log_set_sink(NULL, NULL);
}

/* ---- Heartbeats ------------------------------------------------------------------------------------ */

typedef struct beats {
  int calls;
  size_t counts[8];
  int64_t values[8];
  temporal_activity_environment *env;
  int cancel_on; /* cancel from inside the callback on this call (0 = never) */
} beats;

static void on_beat(const temporal_payload *const *details, size_t count, void *data) {
  beats *b = data;
  if (b->calls < 8) {
    b->counts[b->calls] = count;
    b->values[b->calls] = -1;
    json_t *v = NULL;
    if (count && temporal_payload_to_json(&v, details[0]) == 0) {
      b->values[b->calls] = json_integer_value(v);
      json_decref(v);
    }
  }
  b->calls++;
  if (b->cancel_on && b->calls == b->cancel_on) temporal_activity_environment_cancel(b->env, NULL);
}

static temporal_result *beat_four_times(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  for (int k = 1; k <= 3; k++) {
    json_t *v = json_integer(k * 10);
    if (temporal_activity_heartbeat_json(activity, v) != 0) return temporal_result_from_code(-1);
    json_decref(v);
  }
  int rc = temporal_activity_heartbeat(activity, NULL, 0);
  return rc ? temporal_result_from_code(rc) : temporal_result_none();
}

TEST(environment_heartbeat_callback) {
  temporal_activity_environment *env = new_env();
  beats b = {0};
  CHECK_EQ_INT(0, temporal_activity_environment_on_heartbeat(env, on_beat, &b));
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(beat_four_times);
  temporal_result *r = run1(env, &defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_VALUE, temporal_result_kind_of(r));
  temporal_result_free(r);
  /* Every heartbeat delivered at once, in order: no throttling in the environment. */
  CHECK_EQ_INT(4, b.calls);
  CHECK_EQ_INT(1, b.counts[0]);
  CHECK_EQ_INT(10, b.values[0]);
  CHECK_EQ_INT(20, b.values[1]);
  CHECK_EQ_INT(30, b.values[2]);
  CHECK_EQ_INT(0, b.counts[3]);
  /* Without a callback, heartbeats are accepted and dropped. */
  CHECK_EQ_INT(0, temporal_activity_environment_on_heartbeat(env, NULL, NULL));
  r = run1(env, &defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_VALUE, temporal_result_kind_of(r));
  temporal_result_free(r);
  CHECK_EQ_INT(4, b.calls);
  temporal_activity_environment_free(env);
}

/* ---- Cancellation ------------------------------------------------------------------------------------ */

/* Set by an activity once its "not yet" checks are done, so a slow machine cannot make the trigger
 * fire before them. */
static atomic_bool armed;

typedef struct wait_state {
  int early_wait_rc; /* a short wait before anyone cancels */
  int wait_rc;
  bool cancelled_after;
  temporal_cancellation_details details_before, details_after;
} wait_state;

static temporal_result *wait_for_cancel(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  wait_state *w = temporal_activity_data(activity);
  w->details_before = temporal_activity_cancellation_details(activity);
  w->early_wait_rc = temporal_activity_wait_for_cancelled(activity, 10 * TEMPORAL_MS);
  atomic_store(&armed, true);
  temporal_activity_heartbeat(activity, NULL, 0);
  w->wait_rc = temporal_activity_wait_for_cancelled(activity, 10 * TEMPORAL_SECOND);
  w->cancelled_after = temporal_activity_is_cancelled(activity);
  w->details_after = temporal_activity_cancellation_details(activity);
  return w->cancelled_after ? temporal_result_cancelled() : temporal_result_none();
}

typedef struct trigger {
  temporal_activity_environment *env;
  long delay_ms;
  temporal_cancellation_details reason;
  bool use_reason, shutdown;
  bool wait_armed; /* first wait until the activity says it is ready (after its short waits) */
} trigger;

static void *trigger_thread(void *arg) {
  trigger *t = arg;
  while (t->wait_armed && !atomic_load(&armed)) sleep_ms(1);
  sleep_ms(t->delay_ms);
  if (t->shutdown)
    temporal_activity_environment_shutdown_worker(t->env);
  else
    temporal_activity_environment_cancel(t->env, t->use_reason ? &t->reason : NULL);
  return NULL;
}

TEST(environment_cancel_from_another_thread) {
  temporal_activity_environment *env = new_env();
  wait_state w;
  memset(&w, 0, sizeof w);
  temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(wait_for_cancel);
  defn.data = &w;
  trigger t = {.env = env, .delay_ms = 50, .wait_armed = true};
  pthread_t th;
  CHECK_EQ_INT(0, pthread_create(&th, NULL, trigger_thread, &t));
  temporal_result *r = run1(env, &defn, "");
  pthread_join(th, NULL);
  CHECK_EQ_INT(TEMPORAL_ETIMEDOUT, w.early_wait_rc);
  CHECK(!w.details_before.cancel_requested);
  CHECK_EQ_INT(0, w.wait_rc);
  CHECK(w.cancelled_after);
  CHECK(w.details_after.cancel_requested);
  CHECK(!w.details_after.paused && !w.details_after.worker_shutdown && !w.details_after.timed_out);
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(r));
  json_t *v = NULL;
  CHECK_EQ_INT(TEMPORAL_ETYPE, temporal_result_value_json(&v, r));
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

static temporal_result *beat_until_cancelled(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  for (int k = 0; k < 100 && !temporal_activity_is_cancelled(activity); k++)
    temporal_activity_heartbeat(activity, NULL, 0);
  return temporal_activity_is_cancelled(activity) ? temporal_result_cancelled() : temporal_result_none();
}

TEST(environment_cancel_from_heartbeat_callback) {
  temporal_activity_environment *env = new_env();
  beats b = {.env = env, .cancel_on = 2};
  CHECK_EQ_INT(0, temporal_activity_environment_on_heartbeat(env, on_beat, &b));
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(beat_until_cancelled);
  temporal_result *r = run1(env, &defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(r));
  CHECK_EQ_INT(2, b.calls);
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

static temporal_result *report_details(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  temporal_cancellation_details d = temporal_activity_cancellation_details(activity);
  return temporal_result_json(
      json_pack("{s:b,s:b,s:b,s:b,s:b,s:b,s:b}", "is_cancelled", temporal_activity_is_cancelled(activity),
                "cancel_requested", d.cancel_requested, "paused", d.paused, "reset", d.reset, "timed_out",
                d.timed_out, "not_found", d.not_found, "worker_shutdown", d.worker_shutdown));
}

TEST(environment_cancellation_details_reasons) {
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(report_details);
  temporal_activity_environment *env = new_env();
  temporal_result *r = run1(env, &defn, "");
  check_value(
      "{\"is_cancelled\":false,\"cancel_requested\":false,\"paused\":false,\"reset\":false,"
      "\"timed_out\":false,\"not_found\":false,\"worker_shutdown\":false}",
      r);
  temporal_result_free(r);
  /* Cancelled before the run: the run starts cancelled, with the reason given. Only the first
   * cancel counts. */
  temporal_cancellation_details reason = {.paused = true, .reset = true};
  CHECK_EQ_INT(0, temporal_activity_environment_cancel(env, &reason));
  temporal_cancellation_details other = {.timed_out = true};
  CHECK_EQ_INT(0, temporal_activity_environment_cancel(env, &other));
  r = run1(env, &defn, "");
  check_value(
      "{\"is_cancelled\":true,\"cancel_requested\":false,\"paused\":true,\"reset\":true,"
      "\"timed_out\":false,\"not_found\":false,\"worker_shutdown\":false}",
      r);
  temporal_result_free(r);
  temporal_activity_environment_free(env);

  /* Each reason the worker knows comes through. */
  temporal_cancellation_details reasons[] = {
      {.cancel_requested = true}, {.timed_out = true}, {.not_found = true}, {.worker_shutdown = true}};
  const char *keys[] = {"cancel_requested", "timed_out", "not_found", "worker_shutdown"};
  for (size_t k = 0; k < 4; k++) {
    env = new_env();
    CHECK_EQ_INT(0, temporal_activity_environment_cancel(env, &reasons[k]));
    r = run1(env, &defn, "");
    json_t *v = NULL;
    CHECK_EQ_INT(0, temporal_result_value_json(&v, r));
    CHECK(json_is_true(json_object_get(v, keys[k])));
    CHECK(json_is_true(json_object_get(v, "is_cancelled")));
    CHECK(json_is_false(json_object_get(v, "paused")));
    json_decref(v);
    temporal_result_free(r);
    temporal_activity_environment_free(env);
  }
}

/* ---- Worker shutdown --------------------------------------------------------------------------------- */

typedef struct shutdown_state {
  int early_rc, rc;
  bool before, after, cancelled;
} shutdown_state;

static temporal_result *wait_for_shutdown(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  shutdown_state *s = temporal_activity_data(activity);
  s->before = temporal_activity_is_worker_shutdown(activity);
  s->early_rc = temporal_activity_wait_for_worker_shutdown(activity, 10 * TEMPORAL_MS);
  atomic_store(&armed, true);
  s->rc = temporal_activity_wait_for_worker_shutdown(activity, 10 * TEMPORAL_SECOND);
  s->after = temporal_activity_is_worker_shutdown(activity);
  s->cancelled = temporal_activity_is_cancelled(activity);
  return temporal_result_string("stopped early");
}

TEST(environment_worker_shutdown) {
  temporal_activity_environment *env = new_env();
  shutdown_state s;
  memset(&s, 0, sizeof s);
  temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(wait_for_shutdown);
  defn.data = &s;
  trigger t = {.env = env, .delay_ms = 50, .shutdown = true, .wait_armed = true};
  pthread_t th;
  CHECK_EQ_INT(0, pthread_create(&th, NULL, trigger_thread, &t));
  temporal_result *r = run1(env, &defn, "");
  pthread_join(th, NULL);
  CHECK(!s.before);
  CHECK_EQ_INT(TEMPORAL_ETIMEDOUT, s.early_rc);
  CHECK_EQ_INT(0, s.rc);
  CHECK(s.after);
  CHECK(!s.cancelled); /* shutdown alone does not cancel */
  check_value("\"stopped early\"", r);
  temporal_result_free(r);
  /* Sticky, as in Python: the next run starts with the worker shutting down. */
  memset(&s, 0, sizeof s);
  r = run1(env, &defn, "");
  CHECK(s.before);
  CHECK_EQ_INT(0, s.early_rc);
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

/* ---- Async activities --------------------------------------------------------------------------------- */

/* An async activity's state on the heap, freed by its timer's close callback. */
typedef struct async_op {
  temporal_activity *activity;
  uv_timer_t timer;
  char name[64];
} async_op;

static atomic_int async_ops_freed;
static pthread_t run_thread;
static atomic_bool cancel_cb_on_run_thread;

static void async_op_closed(uv_handle_t *h) {
  free(h->data);
  atomic_fetch_add(&async_ops_freed, 1);
}

static void greet_later_fire(uv_timer_t *timer) {
  async_op *op = timer->data;
  temporal_activity_complete(op->activity, temporal_result_json(json_sprintf("Hello later, %s!", op->name)));
  uv_close((uv_handle_t *)&op->timer, async_op_closed);
}

static void greet_later(temporal_activity *activity, const temporal_args *args) {
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) {
    temporal_activity_complete(activity, temporal_result_from_code(rc));
    return;
  }
  async_op *op = calloc(1, sizeof *op);
  op->activity = activity;
  snprintf(op->name, sizeof op->name, "%s", name);
  uv_loop_t *loop = temporal_activity_loop(activity);
  uv_timer_init(loop, &op->timer);
  op->timer.data = op;
  uv_timer_start(&op->timer, greet_later_fire, 20, 0);
}

TEST(environment_async_timer) {
  temporal_activity_environment *env = new_env();
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(greet_later);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_ASYNC, defn.kind);
  temporal_result *r = run1(env, &defn, "\"loop\"");
  check_value("\"Hello later, loop!\"", r);
  /* The handle it closed on the way out finished closing before run returned. */
  CHECK_EQ_INT(1, atomic_load(&async_ops_freed));
  temporal_result_free(r);
  /* Completing synchronously inside the function works too (a wrong argument). */
  r = run1(env, &defn, "5");
  CHECK_EQ_INT(TEMPORAL_RESULT_ERROR, temporal_result_kind_of(r));
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

static void long_op_cancelled(temporal_activity *activity, void *data) {
  async_op *op = data;
  atomic_store(&cancel_cb_on_run_thread, pthread_equal(pthread_self(), run_thread) != 0);
  uv_timer_stop(&op->timer);
  uv_close((uv_handle_t *)&op->timer, async_op_closed);
  temporal_activity_complete(activity, temporal_result_cancelled());
}

static void long_op_fire(uv_timer_t *timer) {
  async_op *op = timer->data;
  temporal_activity_complete(op->activity, temporal_result_string("finished, not cancelled"));
  uv_close((uv_handle_t *)&op->timer, async_op_closed);
}

/* Waits 10 s unless cancelled; registers its cancel callback first. */
static void long_op(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  async_op *op = calloc(1, sizeof *op);
  op->activity = activity;
  uv_timer_init(temporal_activity_loop(activity), &op->timer);
  op->timer.data = op;
  uv_timer_start(&op->timer, long_op_fire, 10000, 0);
  /* Blocking waits are refused on the loop thread. */
  if (temporal_activity_wait_for_cancelled(activity, 1) != TEMPORAL_ESTATE) abort();
  temporal_activity_on_cancel(activity, long_op_cancelled, op);
}

TEST(environment_async_cancel_from_another_thread) {
  temporal_activity_environment *env = new_env();
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(long_op);
  run_thread = pthread_self();
  trigger t = {.env = env, .delay_ms = 50};
  pthread_t th;
  CHECK_EQ_INT(0, pthread_create(&th, NULL, trigger_thread, &t));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  temporal_result *r = run1(env, &defn, "");
  clock_gettime(CLOCK_MONOTONIC, &t1);
  pthread_join(th, NULL);
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(r));
  CHECK(atomic_load(&cancel_cb_on_run_thread));
  CHECK_EQ_INT(1, atomic_load(&async_ops_freed));
  CHECK(t1.tv_sec - t0.tv_sec < 5); /* the cancel, not the 10 s timer, ended it */
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

static void cancel_timer_fire(uv_timer_t *timer) {
  temporal_activity_environment_cancel(timer->data, NULL);
  uv_close((uv_handle_t *)timer, NULL);
}

TEST(environment_async_cancel_from_test_timer_and_before_run) {
  temporal_activity_environment *env = new_env();
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(long_op);
  run_thread = pthread_self();
  /* The test's own timer on the environment's loop cancels 30 ms into the run. */
  uv_timer_t cancel_timer;
  uv_timer_init(temporal_activity_environment_loop(env), &cancel_timer);
  cancel_timer.data = env;
  uv_timer_start(&cancel_timer, cancel_timer_fire, 30, 0);
  temporal_result *r = run1(env, &defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(r));
  CHECK(atomic_load(&cancel_cb_on_run_thread));
  temporal_result_free(r);
  /* Already cancelled: the next run's callback is called as soon as it is registered. */
  r = run1(env, &defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(r));
  CHECK_EQ_INT(2, atomic_load(&async_ops_freed));
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

/* Heartbeats from an async activity reach the callback, and a cancel from there reaches the
 * activity's cancel callback on the loop. */
static void beat_then_wait(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  async_op *op = calloc(1, sizeof *op);
  op->activity = activity;
  uv_timer_init(temporal_activity_loop(activity), &op->timer);
  op->timer.data = op;
  uv_timer_start(&op->timer, long_op_fire, 10000, 0);
  temporal_activity_on_cancel(activity, long_op_cancelled, op);
  json_t *v = json_integer(5);
  temporal_activity_heartbeat_json(activity, v);
  json_decref(v);
}

TEST(environment_async_heartbeat_cancel) {
  temporal_activity_environment *env = new_env();
  beats b = {.env = env, .cancel_on = 1};
  CHECK_EQ_INT(0, temporal_activity_environment_on_heartbeat(env, on_beat, &b));
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(beat_then_wait);
  run_thread = pthread_self();
  temporal_result *r = run1(env, &defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(r));
  CHECK_EQ_INT(1, b.calls);
  CHECK_EQ_INT(5, b.values[0]);
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

/* Forgets to complete and leaves nothing on the loop: run says so instead of hanging. */
static void forgets_to_complete(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  (void)args;
}

static void completes_twice(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  int *second_rc = temporal_activity_data(activity);
  temporal_activity_complete(activity, temporal_result_string("first"));
  *second_rc = temporal_activity_complete(activity, temporal_result_string("second"));
}

static temporal_result *sync_calls_complete(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  int rc = temporal_activity_complete(activity, temporal_result_none());
  return temporal_result_json(json_integer(rc));
}

TEST(environment_async_misuse) {
  temporal_activity_environment *env = new_env();
  const temporal_activity_definition stuck = TEMPORAL_ACTIVITY_DEFN(forgets_to_complete);
  temporal_result *r = (temporal_result *)&r;
  CHECK_EQ_INT(TEMPORAL_ESTATE, temporal_activity_environment_run(&r, env, &stuck, NULL, 0));
  CHECK(r == NULL);
  CHECK_CONTAINS(temporal_error_last(), "never complete");

  int second_rc = 0;
  temporal_activity_definition twice = TEMPORAL_ACTIVITY_DEFN(completes_twice);
  twice.data = &second_rc;
  r = run1(env, &twice, "");
  check_value("\"first\"", r);
  CHECK_EQ_INT(TEMPORAL_ESTATE, second_rc);
  temporal_result_free(r);

  const temporal_activity_definition sync_defn = TEMPORAL_ACTIVITY_DEFN(sync_calls_complete);
  r = run1(env, &sync_defn, "");
  check_value("-11", r); /* TEMPORAL_ESTATE: sync activities return their result */
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

/* ---- Reuse, setters during a run, result kinds ------------------------------------------------------- */

static temporal_result *try_setters(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  temporal_activity_environment *env = temporal_activity_data(activity);
  const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(greet);
  temporal_result *inner = NULL;
  int codes[4] = {
      temporal_activity_environment_set_info(env, temporal_activity_environment_get_info(env)),
      temporal_activity_environment_set_heartbeat_details(env, NULL, 0),
      temporal_activity_environment_on_heartbeat(env, NULL, NULL),
      temporal_activity_environment_run(&inner, env, &defn, NULL, 0),
  };
  return temporal_result_json(json_pack("[i,i,i,i]", codes[0], codes[1], codes[2], codes[3]));
}

TEST(environment_run_twice_and_setters_during_run) {
  temporal_activity_environment *env = new_env();
  for (int k = 0; k < 2; k++) {
    temporal_result *r = run1(env, &greet_defn, k ? "\"again\"" : "\"once\"");
    check_value(k ? "\"Hello, again!\"" : "\"Hello, once!\"", r);
    temporal_result_free(r);
  }
  const temporal_activity_definition async_defn = TEMPORAL_ACTIVITY_DEFN(greet_later);
  for (int k = 0; k < 2; k++) {
    temporal_result *r = run1(env, &async_defn, "\"twice\"");
    check_value("\"Hello later, twice!\"", r);
    temporal_result_free(r);
  }
  CHECK_EQ_INT(2, atomic_load(&async_ops_freed));
  temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(try_setters);
  defn.data = env;
  temporal_result *r = run1(env, &defn, "");
  check_value("[-11,-11,-11,-11]", r);
  temporal_result_free(r);
  temporal_activity_environment_free(env);
}

static temporal_result *returns_bytes(temporal_activity *a, const temporal_args *args) {
  (void)a;
  (void)args;
  return temporal_result_bytes("\x01\x02", 2);
}

static temporal_result *returns_async(temporal_activity *a, const temporal_args *args) {
  (void)a;
  (void)args;
  return temporal_result_async();
}

TEST(environment_result_kinds) {
  temporal_activity_environment *env = new_env();
  const temporal_activity_definition bytes_defn = TEMPORAL_ACTIVITY_DEFN(returns_bytes);
  temporal_result *r = run1(env, &bytes_defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_VALUE, temporal_result_kind_of(r));
  size_t len = 0;
  const uint8_t *data = temporal_payload_data(temporal_result_value(r), &len);
  CHECK_EQ_INT(2, len);
  CHECK_EQ_INT(2, data[1]);
  json_t *v = NULL;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal_result_value_json(&v, r));
  temporal_result_free(r);

  const temporal_activity_definition async_defn = TEMPORAL_ACTIVITY_DEFN(returns_async);
  r = run1(env, &async_defn, "");
  CHECK_EQ_INT(TEMPORAL_RESULT_ASYNC, temporal_result_kind_of(r));
  CHECK(temporal_result_value(r) == NULL && temporal_result_get_error(r) == NULL);
  temporal_result_free(r);

  CHECK_EQ_INT(0, temporal_result_kind_of(NULL));
  CHECK(temporal_result_value(NULL) == NULL);
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_result_value_json(&v, NULL));
  temporal_activity_environment_free(env);
  temporal_activity_environment_free(NULL);
}
