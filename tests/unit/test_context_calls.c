/* The public context calls as an activity sees them, driven through the testing environment. */
#include <pthread.h>

#include <temporal/temporal.h>
#include <uv.h>

#include "core/core.h"
#include "test.h"

static int heartbeat_rc_before, heartbeat_rc_after;

static temporal_result *heartbeat_then_check(temporal_activity *activity, const temporal_args *args) {
  heartbeat_rc_before = temporal_activity_heartbeat_json(activity, NULL);
  /* The test cancels from the callback of this second heartbeat, as if its response said so. */
  json_t *detail = json_string("after");
  heartbeat_rc_after = temporal_activity_heartbeat_json(activity, detail);
  json_decref(detail);
  return temporal_result_cancelled();
}

static void cancel_on_first(const temporal_payload *const *details, size_t count, void *data) {
  temporal_activity_environment *env = data;
  static int calls;
  if (++calls == 2) temporal_activity_environment_cancel(env, NULL);
}

TEST(context_heartbeat_reports_cancellation_like_python_raises) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  temporal_activity_environment_on_heartbeat(env, cancel_on_first, env);
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(heartbeat_then_check);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  CHECK_EQ_INT(0, heartbeat_rc_before);
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, heartbeat_rc_after);
  CHECK_CONTAINS(temporal_error_last(), "asked to stop");
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(result));
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}

/* ---- bad arguments ----------------------------------------------------------------------------- */

static int null_detail_rc, null_array_rc;

static temporal_result *heartbeat_with_null_detail(temporal_activity *activity, const temporal_args *args) {
  temporal_payload *ok = NULL;
  temporal_payload_new_string(&ok, "fine");
  const temporal_payload *details[2] = {ok, NULL};
  null_detail_rc = temporal_activity_heartbeat(activity, details, 2);
  null_array_rc = temporal_activity_heartbeat(activity, NULL, 1);
  temporal_payload_free(ok);
  return NULL;
}

static int heartbeats_seen;
static void count_heartbeats(const temporal_payload *const *details, size_t count, void *data) {
  heartbeats_seen++;
}

TEST(context_heartbeat_refuses_a_null_detail) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  temporal_activity_environment_on_heartbeat(env, count_heartbeats, NULL);
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(heartbeat_with_null_detail);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  CHECK_EQ_INT(TEMPORAL_EINVAL, null_detail_rc);
  CHECK_EQ_INT(TEMPORAL_EINVAL, null_array_rc);
  CHECK_EQ_INT(0, heartbeats_seen); /* neither was recorded */
  temporal_result_free(result);
  temporal_activity_environment_free(env);
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_activity_heartbeat(NULL, NULL, 0));
}

/* ---- a thread that outlives the activity ----------------------------------------------------------- */

typedef struct outliver {
  temporal_activity *activity;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool returned; /* the activity function returned */
  bool beat;     /* the thread heartbeated once */
  int during_rc, after_rc, wait_rc, shutdown_wait_rc, on_cancel_rc;
  bool cancelled_after;
  char id_after[64];
  pthread_t thread;
} outliver;

static outliver out;

static void *outliver_main(void *arg) {
  outliver *o = arg;
  int rc = temporal_activity_heartbeat_json(o->activity, NULL);
  pthread_mutex_lock(&o->mu);
  o->during_rc = rc;
  o->beat = true;
  pthread_cond_broadcast(&o->cond);
  while (!o->returned) pthread_cond_wait(&o->cond, &o->mu);
  pthread_mutex_unlock(&o->mu);
  o->after_rc = temporal_activity_heartbeat_json(o->activity, NULL);
  o->wait_rc = temporal_activity_wait_for_cancelled(o->activity, 10 * TEMPORAL_MS);
  o->shutdown_wait_rc = temporal_activity_wait_for_worker_shutdown(o->activity, 10 * TEMPORAL_MS);
  o->cancelled_after = temporal_activity_is_cancelled(o->activity);
  snprintf(o->id_after, sizeof o->id_after, "%s", temporal_activity_get_info(o->activity)->activity_id);
  temporal_activity_unref(o->activity);
  return NULL;
}

static temporal_result *hand_off(temporal_activity *activity, const temporal_args *args) {
  out.activity = temporal_activity_ref(activity);
  pthread_create(&out.thread, NULL, outliver_main, &out);
  /* Make sure the thread heartbeated while the activity was running. */
  pthread_mutex_lock(&out.mu);
  while (!out.beat) pthread_cond_wait(&out.cond, &out.mu);
  pthread_mutex_unlock(&out.mu);
  return temporal_result_string("handed off");
}

TEST(context_a_referenced_activity_outlives_its_run) {
  out = (outliver){.during_rc = 1};
  pthread_mutex_init(&out.mu, NULL);
  pthread_cond_init(&out.cond, NULL);
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  temporal_activity_info info = *temporal_activity_environment_get_info(env);
  info.activity_id = "outlived";
  CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(hand_off);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  temporal_result_free(result);
  /* The environment is gone before the thread uses the activity again: its reference keeps the
   * activity, and nothing it calls reaches the freed environment. */
  temporal_activity_environment_free(env);
  pthread_mutex_lock(&out.mu);
  out.returned = true;
  pthread_cond_broadcast(&out.cond);
  pthread_mutex_unlock(&out.mu);
  pthread_join(out.thread, NULL);
  CHECK_EQ_INT(0, out.during_rc);
  CHECK_EQ_INT(TEMPORAL_ESTATE, out.after_rc);
  CHECK_EQ_INT(TEMPORAL_ESTATE, out.wait_rc);
  CHECK_EQ_INT(TEMPORAL_ESTATE, out.shutdown_wait_rc);
  CHECK(out.cancelled_after);
  CHECK_STR_EQ("outlived", out.id_after);
  pthread_mutex_destroy(&out.mu);
  pthread_cond_destroy(&out.cond);
}

/* A thread blocked in wait_for_cancelled when the activity finishes returns TEMPORAL_ESTATE. */
static int blocked_rc = 1;
static void *blocked_waiter(void *arg) {
  blocked_rc = temporal_activity_wait_for_cancelled(arg, 0); /* no limit */
  temporal_activity_unref(arg);
  return NULL;
}

static pthread_t blocked_thread;
static temporal_result *leave_a_waiter(temporal_activity *activity, const temporal_args *args) {
  pthread_create(&blocked_thread, NULL, blocked_waiter, temporal_activity_ref(activity));
  temporal__sleep_ns(50 *
                     TEMPORAL_MS); /* let it block (if it does not yet, it finds the activity finished) */
  return NULL;
}

TEST(context_a_blocked_waiter_is_released_when_the_activity_finishes) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(leave_a_waiter);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  pthread_join(blocked_thread, NULL);
  CHECK_EQ_INT(TEMPORAL_ESTATE, blocked_rc);
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}

/* ---- async: after complete, and worker shutdown on the loop ------------------------------------------ */

static int after_complete_rc, on_cancel_after_rc;

static void complete_then_heartbeat(temporal_activity *activity, const temporal_args *args) {
  temporal_activity_ref(activity);
  temporal_activity_complete(activity, temporal_result_string("done"));
  after_complete_rc = temporal_activity_heartbeat_json(activity, NULL);
  on_cancel_after_rc = temporal_activity_on_cancel(activity, NULL, NULL);
  temporal_activity_unref(activity);
}

TEST(context_heartbeat_after_complete_is_refused) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(complete_then_heartbeat);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  CHECK_EQ_INT(TEMPORAL_RESULT_VALUE, temporal_result_kind_of(result));
  CHECK_EQ_INT(TEMPORAL_ESTATE, after_complete_rc);
  CHECK_CONTAINS(temporal_error_last(), "already finished");
  CHECK_EQ_INT(TEMPORAL_ESTATE, on_cancel_after_rc);
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}

typedef struct shutdown_watch {
  uv_timer_t timer;
  temporal_activity *activity;
  int calls;
} shutdown_watch;

static shutdown_watch watch;

static void on_shutdown_complete(temporal_activity *activity, void *data) {
  shutdown_watch *w = data;
  w->calls++;
  uv_timer_stop(&w->timer);
  uv_close((uv_handle_t *)&w->timer, NULL);
  temporal_activity_complete(activity, temporal_result_string("saw shutdown"));
}

static void on_never(uv_timer_t *t) {
  temporal_activity_complete(((shutdown_watch *)t->data)->activity, temporal_result_string("no shutdown"));
  uv_close((uv_handle_t *)t, NULL);
}

static void wait_for_shutdown_async(temporal_activity *activity, const temporal_args *args) {
  watch.activity = activity;
  watch.timer.data = &watch;
  uv_timer_init(temporal_activity_loop(activity), &watch.timer);
  uv_timer_start(&watch.timer, on_never, 10000, 0);
  CHECK_EQ_INT(0, temporal_activity_on_worker_shutdown(activity, on_shutdown_complete, &watch));
}

static void *shutdown_later(void *env) {
  temporal__sleep_ns(100 * TEMPORAL_MS);
  temporal_activity_environment_shutdown_worker(env);
  return NULL;
}

TEST(context_async_activity_hears_worker_shutdown_on_its_loop) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(wait_for_shutdown_async);
  pthread_t th;
  pthread_create(&th, NULL, shutdown_later, env);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  pthread_join(th, NULL);
  json_t *v = NULL;
  CHECK_EQ_INT(0, temporal_result_value_json(&v, result));
  CHECK_STR_EQ("saw shutdown", json_string_value(v));
  json_decref(v);
  CHECK_EQ_INT(1, watch.calls);
  temporal_result_free(result);
  /* Registered after shutdown began: called on the next loop turn, once. */
  watch = (shutdown_watch){0};
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  CHECK_EQ_INT(0, temporal_result_value_json(&v, result));
  CHECK_STR_EQ("saw shutdown", json_string_value(v));
  json_decref(v);
  CHECK_EQ_INT(1, watch.calls);
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}

static int sync_on_shutdown_rc;
static temporal_result *sync_registers_shutdown(temporal_activity *activity, const temporal_args *args) {
  sync_on_shutdown_rc = temporal_activity_on_worker_shutdown(activity, NULL, NULL);
  return NULL;
}

TEST(context_on_worker_shutdown_is_for_async_activities) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(sync_registers_shutdown);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  CHECK_EQ_INT(TEMPORAL_ESTATE, sync_on_shutdown_rc);
  CHECK_CONTAINS(temporal_error_last(), "wait_for_worker_shutdown");
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}
