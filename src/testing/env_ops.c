/* The context calls of an activity the environment runs: heartbeats go straight to the test's
 * callback (no throttling, every call delivered), and cancellation and worker shutdown are the
 * environment's flags, set by its triggers from any thread. */
#include "core/core.h"
#include "testing/environment_internal.h"
#include "worker/task.h"

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

/* Waits on the environment's condition until `*flag` is set or `timeout` (<= 0: none) passes. */
static int wait_flag(temporal_activity_environment *env, const bool *flag, temporal_duration_ns timeout) {
  struct timespec deadline = temporal__deadline_ts(timeout > 0 ? timeout : 0);
  pthread_mutex_lock(&env->mu);
  int rc = 0;
  while (!*flag && rc == 0) {
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
  return wait_flag(env, &env->cancelled, timeout);
}

static int env_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout) {
  temporal_activity_environment *env = env_of(activity);
  return wait_flag(env, &env->worker_shutdown, timeout);
}

/* Takes the outcome of an async activity. Accepted from any thread (the contract says the loop
 * thread, but a worker takes it from anywhere, and a test must not hang over it): the wake makes
 * the loop notice. Sent under the lock so the environment cannot be freed between the two. */
static int env_complete(temporal_activity *activity, temporal_result *result) {
  temporal_activity_environment *env = env_of(activity);
  pthread_mutex_lock(&env->mu);
  if (!env->running || env->completed) {
    pthread_mutex_unlock(&env->mu);
    temporal_result_free(result);
    return temporal__error(TEMPORAL_ESTATE, "the activity has already completed");
  }
  env->completed = true;
  env->result = result;
  uv_async_send(&env->wake);
  pthread_mutex_unlock(&env->mu);
  return 0;
}

const temporal__activity_ops temporal__env_activity_ops = {
    .heartbeat = env_heartbeat,
    .is_cancelled = env_is_cancelled,
    .wait_for_cancelled = env_wait_for_cancelled,
    .interrupts = env_interrupts,
    .is_worker_shutdown = env_is_worker_shutdown,
    .wait_for_worker_shutdown = env_wait_for_worker_shutdown,
    .complete = env_complete,
};

void temporal__env_deliver_cancel(temporal_activity_environment *env) {
  temporal_activity *a = &env->activity;
  if (env->cancel_delivered || !a->cancel_cb) return;
  pthread_mutex_lock(&env->mu);
  bool deliver = env->cancelled && env->running && !env->completed;
  pthread_mutex_unlock(&env->mu);
  if (!deliver) return;
  env->cancel_delivered = true;
  a->cancel_cb(a, a->cancel_data);
}
