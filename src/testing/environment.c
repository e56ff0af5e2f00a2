/* The activity environment's lifecycle, settings and triggers. The triggers are the only calls
 * other threads make: they set a flag under the lock, broadcast the condition (sync activities
 * waiting) and wake the loop (async activities' cancel callbacks run there). */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "testing/environment_internal.h"

static void on_wake(uv_async_t *handle) {
  temporal__env_deliver_callbacks(handle->data);
}

int temporal_activity_environment_new(temporal_activity_environment **out) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "out is NULL");
  *out = NULL;
  temporal_activity_environment *env = calloc(1, sizeof *env);
  if (!env) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  int rc = temporal__env_info_defaults(&env->info);
  if (rc == 0) rc = temporal__args_from_payloads(&env->heartbeat_details, NULL, 0);
  if (rc != 0) {
    temporal__env_info_free(&env->info);
    free(env);
    return rc;
  }
  env->info.heartbeat_details = env->heartbeat_details;
  pthread_mutex_init(&env->mu, NULL);
  if (temporal__cond_init(&env->cond) != 0) {
    rc = temporal__error(TEMPORAL_ESYSTEM, "could not create a condition variable");
    goto fail_sync;
  }
  int uv_rc = uv_loop_init(&env->loop);
  if (uv_rc != 0) {
    rc = temporal__error(TEMPORAL_ESYSTEM, "could not set up the event loop: %s", uv_strerror(uv_rc));
    goto fail_cond;
  }
  /* Both cannot fail on an initialised loop (uv_async_init could only run out of fds, checked). */
  if ((uv_rc = uv_async_init(&env->loop, &env->wake, on_wake)) != 0) {
    uv_loop_close(&env->loop);
    rc = temporal__error(TEMPORAL_ESYSTEM, "could not set up the event loop: %s", uv_strerror(uv_rc));
    goto fail_cond;
  }
  uv_timer_init(&env->loop, &env->drain);
  env->wake.data = env;
  env->drain.data = env;
  /* Neither keeps the loop alive: "nothing alive" must mean the activity has nothing left to run. */
  uv_unref((uv_handle_t *)&env->wake);
  uv_unref((uv_handle_t *)&env->drain);
  *out = env;
  return 0;

fail_cond:
  pthread_cond_destroy(&env->cond);
fail_sync:
  pthread_mutex_destroy(&env->mu);
  temporal__args_free(env->heartbeat_details);
  temporal__env_info_free(&env->info);
  free(env);
  return rc;
}

static void close_walk_cb(uv_handle_t *handle, void *arg) {
  (void)arg;
  if (!uv_is_closing(handle)) uv_close(handle, NULL);
}

void temporal_activity_environment_free(temporal_activity_environment *env) {
  if (!env) return;
  /* Pairs with the lock a completing or cancelling thread holds around its uv_async_send. */
  pthread_mutex_lock(&env->mu);
  pthread_mutex_unlock(&env->mu);
  /* Every handle on the loop goes, the test's and those an activity left open, or the loop could
   * not be closed; their memory must still be valid, as for any libuv handle. */
  uv_walk(&env->loop, close_walk_cb, NULL);
  uv_run(&env->loop, UV_RUN_DEFAULT);
  int rc = uv_loop_close(&env->loop);
  if (rc != 0) TLOG_ERROR("activity environment: could not close its loop: %s", uv_strerror(rc));
  temporal__activity_unref(env->activity); /* the last run's: its handles are closed now */
  temporal_result_free(env->result);
  temporal__args_free(env->heartbeat_details);
  temporal__env_info_free(&env->info);
  pthread_cond_destroy(&env->cond);
  pthread_mutex_destroy(&env->mu);
  free(env);
}

/* The setters change what a run reads without a lock, so they refuse while one is in progress. */
static int check_idle(temporal_activity_environment *env, const char *what) {
  pthread_mutex_lock(&env->mu);
  bool running = env->running;
  pthread_mutex_unlock(&env->mu);
  if (running)
    return temporal__error(TEMPORAL_ESTATE, "%s: an activity is running in this environment", what);
  return 0;
}

const temporal_activity_info *temporal_activity_environment_get_info(
    const temporal_activity_environment *env) {
  return env ? &env->info : NULL;
}

int temporal_activity_environment_set_info(temporal_activity_environment *env,
                                           const temporal_activity_info *info) {
  if (!env) return temporal__error(TEMPORAL_EINVAL, "set_info: env is NULL");
  int rc = check_idle(env, "set_info");
  if (rc != 0) return rc;
  temporal_activity_info copy; /* NULL info: the defaults, as a new environment has them */
  if ((rc = info ? temporal__env_info_copy(&copy, info) : temporal__env_info_defaults(&copy)) != 0) return rc;
  temporal__env_info_free(&env->info);
  env->info = copy;
  env->info.heartbeat_details = env->heartbeat_details;
  return 0;
}

int temporal_activity_environment_set_heartbeat_details(temporal_activity_environment *env,
                                                        const temporal_payload *const *details,
                                                        size_t count) {
  if (!env) return temporal__error(TEMPORAL_EINVAL, "set_heartbeat_details: env is NULL");
  if (count && !details)
    return temporal__error(TEMPORAL_EINVAL, "set_heartbeat_details: details is NULL with a count of %zu",
                           count);
  int rc = check_idle(env, "set_heartbeat_details");
  if (rc != 0) return rc;
  temporal_args *args = NULL;
  /* Decoded now, as the worker decodes them, so a bad detail fails here and not inside the run. */
  if ((rc = temporal__args_from_payloads(&args, details, count)) != 0) return rc;
  temporal__args_free(env->heartbeat_details);
  env->heartbeat_details = args;
  env->info.heartbeat_details = args;
  return 0;
}

int temporal_activity_environment_on_heartbeat(temporal_activity_environment *env,
                                               temporal_activity_environment_heartbeat_cb cb, void *data) {
  if (!env) return temporal__error(TEMPORAL_EINVAL, "on_heartbeat: env is NULL");
  int rc = check_idle(env, "on_heartbeat");
  if (rc != 0) return rc;
  env->heartbeat_cb = cb;
  env->heartbeat_data = data;
  return 0;
}

int temporal_activity_environment_cancel(temporal_activity_environment *env,
                                         const temporal_cancellation_details *reason) {
  if (!env) return temporal__error(TEMPORAL_EINVAL, "cancel: env is NULL");
  pthread_mutex_lock(&env->mu);
  if (!env->cancelled) {
    env->cancelled = true;
    if (reason)
      env->reason = *reason;
    else
      env->reason = (temporal_cancellation_details){.cancel_requested = true};
    pthread_cond_broadcast(&env->cond);
    /* uv_async_send is the one libuv call that is safe from any thread. It is made under the lock
     * so that a thread which sees the flag, and may then free the environment, sees it only after
     * the send is over. */
    uv_async_send(&env->wake);
  }
  pthread_mutex_unlock(&env->mu);
  return 0;
}

int temporal_activity_environment_shutdown_worker(temporal_activity_environment *env) {
  if (!env) return temporal__error(TEMPORAL_EINVAL, "shutdown_worker: env is NULL");
  pthread_mutex_lock(&env->mu);
  if (!env->worker_shutdown) {
    env->worker_shutdown = true;
    pthread_cond_broadcast(&env->cond);
    uv_async_send(&env->wake); /* an async activity's on_worker_shutdown callback runs on the loop */
  }
  pthread_mutex_unlock(&env->mu);
  return 0;
}

uv_loop_t *temporal_activity_environment_loop(temporal_activity_environment *env) {
  return env ? &env->loop : NULL;
}
