/* temporal_activity_environment_run: builds the activity the way the worker does (info, decoded
 * arguments, the environment's ops), calls a sync function on the calling thread, or starts an async
 * one and runs the environment's loop on the calling thread until it completes. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "testing/environment_internal.h"

/* How long the loop keeps running after an async activity completed, for the handles it closed on
 * the way out to finish closing; bounded because the activity (or the test) may leave a handle
 * open. */
#define DRAIN_MS 100

static int check_definition(const temporal_activity_definition *d) {
  if (d->kind == TEMPORAL_ACTIVITY_KIND_SYNC && d->sync_fn) return 0;
  if (d->kind == TEMPORAL_ACTIVITY_KIND_ASYNC && d->async_fn) return 0;
  return temporal__error(TEMPORAL_EINVAL, "definition \"%s\" has no function for its kind (%d)",
                         d->name ? d->name : "", (int)d->kind);
}

static bool is_completed(temporal_activity_environment *env) {
  pthread_mutex_lock(&env->mu);
  bool done = env->completed;
  pthread_mutex_unlock(&env->mu);
  return done;
}

static void on_drain(uv_timer_t *handle) {
  temporal_activity_environment *env = handle->data;
  env->drain_expired = true;
}

/* Runs the loop until the activity completes. Fails when it cannot: nothing referenced is left on
 * the loop (no timer, no I/O, no request) and no cancel callback is waiting to be called, so no
 * code of the activity can ever run again. */
static int run_async(temporal_activity_environment *env) {
  temporal_activity *a = env->activity;
  uv_loop_t *loop = &env->loop;
  a->loop = loop;
  a->defn.async_fn(a, a->args);
  while (!is_completed(env)) {
    /* A cancellation or shutdown that came before the run or while the function ran, or a callback
     * registered after it: delivered here, on the loop thread, once. */
    temporal__env_deliver_callbacks(env);
    if (is_completed(env)) break;
    if (uv_loop_alive(loop)) {
      uv_run(loop, UV_RUN_ONCE);
      continue;
    }
    if (!a->cancel_cb || a->cancel_delivered)
      return temporal__error(TEMPORAL_ESTATE,
                             "async activity \"%s\" did not complete and has nothing left to run on the loop "
                             "(no active handle or request%s); it would never complete",
                             a->defn.name ? a->defn.name : "",
                             a->cancel_cb ? ", and its cancel callback was called" : ", no cancel callback");
    /* Only a cancellation (from another thread) can still make it run: let the wake handle keep the
     * loop alive while waiting for one. */
    uv_ref((uv_handle_t *)&env->wake);
    uv_run(loop, UV_RUN_ONCE);
    uv_unref((uv_handle_t *)&env->wake);
  }
  env->drain_expired = false;
  uv_timer_start(&env->drain, on_drain, DRAIN_MS, 0);
  while (!env->drain_expired && uv_loop_alive(loop)) uv_run(loop, UV_RUN_ONCE);
  uv_timer_stop(&env->drain);
  return 0;
}

int temporal_activity_environment_run(temporal_result **out, temporal_activity_environment *env,
                                      const temporal_activity_definition *definition,
                                      const temporal_payload *const *args, size_t arg_count) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "run: out is NULL");
  *out = NULL;
  if (!env || !definition)
    return temporal__error(TEMPORAL_EINVAL, "run: %s is NULL", env ? "definition" : "env");
  if (arg_count && !args)
    return temporal__error(TEMPORAL_EINVAL, "run: args is NULL with a count of %zu", arg_count);
  for (size_t i = 0; i < arg_count; i++)
    if (!args[i]) return temporal__error(TEMPORAL_EINVAL, "run: argument %zu is NULL", i);
  int rc = check_definition(definition);
  if (rc != 0) return rc;

  pthread_mutex_lock(&env->mu);
  bool busy = env->running;
  pthread_mutex_unlock(&env->mu);
  if (busy)
    return temporal__error(TEMPORAL_ESTATE, "run: an activity is already running in this environment");

  temporal_activity *a = temporal__env_activity_new(env, definition);
  if (!a) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  rc = temporal__args_from_payloads(&a->args, args, arg_count);
  if (rc != 0) {
    temporal__activity_unref(a);
    if (rc != TEMPORAL_EDECODE) return rc;
    *out = temporal__decode_failure(temporal_error_last());
    return 0;
  }
  /* The previous run's activity: handles it left on the loop were closed by its own drain, or are
   * the test's business; a reference the test took keeps it alive. */
  temporal__activity_unref(env->activity);
  env->activity = a;

  pthread_mutex_lock(&env->mu);
  env->running = true;
  env->completed = false;
  env->result = NULL;
  pthread_mutex_unlock(&env->mu);

  temporal_result *result = NULL;
  if (definition->kind == TEMPORAL_ACTIVITY_KIND_SYNC) {
    result = temporal__activity_call_sync(a);
    temporal__activity_mark_finished(a);
  } else {
    rc = run_async(env);
    temporal__activity_mark_finished(a); /* already, unless it never completed */
  }
  /* A thread the activity left behind is now told it finished; wait out a call it is making. */
  temporal__activity_wait_calls(a);

  pthread_mutex_lock(&env->mu);
  env->running = false;
  if (env->result) result = env->result;
  env->result = NULL;
  pthread_mutex_unlock(&env->mu);
  if (rc != 0) {
    temporal_result_free(result);
    return rc;
  }
  *out = result;
  return 0;
}
