/* The context calls of an activity the environment runs: heartbeats go straight to the test's
 * callback (no throttling, every call delivered), and cancellation and worker shutdown are the
 * environment's flags, set by its triggers from any thread. */
#include <stdlib.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "testing/environment_internal.h"
#include "activity/activity.h"

static temporal_activity_environment *env_of(const temporal_activity *activity) {
  return activity->owner;
}

static int env_heartbeat(temporal_activity *activity, const temporal_payload *const *details, size_t count) {
  temporal_activity_environment *env = env_of(activity);
  /* Called without the lock held: the callback may cancel, which takes it. */
  if (env->heartbeat_cb) env->heartbeat_cb(details, count, env->heartbeat_data);
  return 0;
}

static bool env_is_cancelled(const temporal_activity *activity) {
  temporal_activity_environment *env = env_of(activity);
  pthread_mutex_lock(&env->mu);
  bool cancelled = env->cancelled;
  pthread_mutex_unlock(&env->mu);
  return cancelled;
}

static unsigned int env_interrupts(const temporal_activity *activity) {
  temporal_activity_environment *env = env_of(activity);
  pthread_mutex_lock(&env->mu);
  temporal_cancellation_details r = env->reason;
  bool cancelled = env->cancelled;
  pthread_mutex_unlock(&env->mu);
  if (!cancelled) return 0;
  return (r.cancel_requested ? TEMPORAL__INTERRUPT_CANCEL : 0u) |
         (r.paused ? TEMPORAL__INTERRUPT_PAUSE : 0u) | (r.reset ? TEMPORAL__INTERRUPT_RESET : 0u) |
         (r.timed_out ? TEMPORAL__INTERRUPT_TIMEOUT : 0u) |
         (r.not_found ? TEMPORAL__INTERRUPT_NOT_FOUND : 0u) |
         (r.worker_shutdown ? TEMPORAL__INTERRUPT_SHUTDOWN : 0u);
}

static bool env_is_worker_shutdown(const temporal_activity *activity) {
  temporal_activity_environment *env = env_of(activity);
  pthread_mutex_lock(&env->mu);
  bool down = env->worker_shutdown;
  pthread_mutex_unlock(&env->mu);
  return down;
}

/* Waits on the environment's condition until `*flag` is set, the activity finishes, or `timeout`
 * (<= 0: none) passes. */
static int wait_flag(const temporal_activity *activity, temporal_activity_environment *env, const bool *flag,
                     temporal_duration_ns timeout) {
  struct timespec deadline = temporal__deadline_ts(timeout > 0 ? timeout : 0);
  pthread_mutex_lock(&env->mu);
  int rc = 0;
  while (!*flag && !temporal__activity_is_finished(activity) && rc == 0) {
    if (timeout > 0)
      rc = pthread_cond_timedwait(&env->cond, &env->mu, &deadline);
    else
      rc = pthread_cond_wait(&env->cond, &env->mu);
  }
  bool set = *flag;
  pthread_mutex_unlock(&env->mu);
  return set ? 0 : TEMPORAL_ETIMEDOUT;
}

static int env_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout) {
  temporal_activity_environment *env = env_of(activity);
  return wait_flag(activity, env, &env->cancelled, timeout);
}

static int env_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout) {
  temporal_activity_environment *env = env_of(activity);
  return wait_flag(activity, env, &env->worker_shutdown, timeout);
}

/* Takes the outcome of an async activity. Accepted from any thread (the contract says the loop
 * thread, but a worker takes it from anywhere, and a test must not hang over it): the wake makes
 * the loop notice. Sent under the lock so the environment cannot be freed between the two. */
static int env_complete(temporal_activity *activity, temporal_result *result) {
  temporal_activity_environment *env = env_of(activity);
  if (!temporal__activity_mark_finished(activity)) {
    temporal_result_free(result);
    return temporal__error(TEMPORAL_ESTATE, "the activity has already completed");
  }
  pthread_mutex_lock(&env->mu);
  env->completed = true;
  env->result = result;
  uv_async_send(&env->wake);
  pthread_mutex_unlock(&env->mu);
  return 0;
}

/* Loop thread (the registering activity's): a trigger that came first is delivered by the run's loop,
 * which checks on every turn; the wake makes sure there is a turn. */
static void env_callback_registered(temporal_activity *activity) {
  temporal_activity_environment *env = env_of(activity);
  uv_async_send(&env->wake);
}

static void env_wake_waiters(temporal_activity *activity) {
  temporal_activity_environment *env = env_of(activity);
  pthread_mutex_lock(&env->mu);
  pthread_cond_broadcast(&env->cond);
  pthread_mutex_unlock(&env->mu);
}

static void env_destroy(temporal_activity *activity) {
  temporal__env_info_free(&activity->info);
  temporal__activity_destroy(activity); /* args and heartbeat details: the activity's own */
  free(activity);
}

const temporal__activity_ops temporal__env_activity_ops = {
    .heartbeat = env_heartbeat,
    .is_cancelled = env_is_cancelled,
    .wait_for_cancelled = env_wait_for_cancelled,
    .interrupts = env_interrupts,
    .is_worker_shutdown = env_is_worker_shutdown,
    .wait_for_worker_shutdown = env_wait_for_worker_shutdown,
    .complete = env_complete,
    .cancel_registered = env_callback_registered,
    .worker_shutdown_registered = env_callback_registered,
    .wake_waiters = env_wake_waiters,
    .destroy = env_destroy,
};

/* A copy of the environment's "previous attempt" details, decoded as they were. */
static int copy_details(temporal_args **out, const temporal_args *in) {
  size_t n = temporal_args_count(in);
  const temporal_payload **list = n ? calloc(n, sizeof *list) : NULL;
  if (n && !list) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; i < n; i++) temporal_args_get_payload(&list[i], in, i);
  int rc = temporal__args_from_payloads(out, list, n);
  free(list);
  return rc;
}

temporal_activity *temporal__env_activity_new(temporal_activity_environment *env,
                                              const temporal_activity_definition *d) {
  temporal_activity *a = malloc(sizeof *a);
  if (!a) return NULL;
  temporal__activity_init_empty(a, &temporal__env_activity_ops);
  a->owner = env;
  a->defn = *d;
  if (temporal__env_info_copy(&a->info, &env->info) != 0) {
    temporal__activity_destroy(a);
    free(a);
    return NULL;
  }
  if (copy_details(&a->heartbeat_details, env->heartbeat_details) != 0) {
    env_destroy(a);
    return NULL;
  }
  a->info.heartbeat_details = a->heartbeat_details;
  temporal_time_ns now = temporal__now_ns();
  if (!a->info.scheduled_time) a->info.scheduled_time = now;
  if (!a->info.current_attempt_scheduled_time)
    a->info.current_attempt_scheduled_time = a->info.scheduled_time;
  if (!a->info.started_time) a->info.started_time = now;
  return a;
}

void temporal__env_deliver_callbacks(temporal_activity_environment *env) {
  temporal_activity *a = env->activity;
  if (!a) return;
  pthread_mutex_lock(&env->mu);
  bool live = env->running && !env->completed;
  bool cancel = live && env->cancelled && a->cancel_cb && !a->cancel_delivered;
  bool shutdown = live && env->worker_shutdown && a->shutdown_cb && !a->shutdown_delivered;
  pthread_mutex_unlock(&env->mu);
  if (shutdown) {
    a->shutdown_delivered = true;
    a->shutdown_cb(a, a->shutdown_data);
  }
  if (cancel && !temporal__activity_is_finished(a)) {
    a->cancel_delivered = true;
    a->cancel_cb(a, a->cancel_data);
  }
}
