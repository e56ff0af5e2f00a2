/* The public context calls (temporal_activity_*): argument checks, the finished guard of
 * life.c, then the owner's ops, so the same calls work in the worker, in a process-pool child and
 * in the test environment. */
#include <stdlib.h>
#include <string.h>

#include "activity/activity.h"
#include "core/core.h"

temporal_activity *temporal_activity_ref(temporal_activity *activity) {
  if (activity) temporal__activity_ref(activity);
  return activity;
}

void temporal_activity_unref(temporal_activity *activity) {
  temporal__activity_unref(activity);
}

const temporal_activity_info *temporal_activity_get_info(const temporal_activity *activity) {
  return activity ? &activity->info : NULL;
}

void *temporal_activity_data(const temporal_activity *activity) {
  return activity ? activity->defn.data : NULL;
}

uv_loop_t *temporal_activity_loop(temporal_activity *activity) {
  /* A finished activity's loop may be gone (the worker's own). */
  return activity && !atomic_load(&activity->finished) ? activity->loop : NULL;
}

int temporal_activity_heartbeat(temporal_activity *activity, const temporal_payload *const *details,
                                size_t count) {
  if (!activity) return temporal__error(TEMPORAL_EINVAL, "heartbeat: activity is NULL");
  if (count && !details)
    return temporal__error(TEMPORAL_EINVAL, "heartbeat: details is NULL with a count of %zu", count);
  for (size_t i = 0; i < count; i++)
    if (!details[i])
      return temporal__error(TEMPORAL_EINVAL, "heartbeat: detail %zu of %zu is NULL", i, count);
  if (!temporal__activity_enter(activity)) return temporal__activity_finished_error(activity, "heartbeat");
  int rc = activity->ops->heartbeat(activity, details, count);
  /* The C form of Python's heartbeat raising CancelledError in a cancelled sync activity: the details
   * are recorded all the same (they go out with the final report), and the caller learns it should stop. */
  if (rc == 0 && activity->ops->is_cancelled(activity))
    rc = temporal__error(TEMPORAL_ECANCELLED, "activity %s was asked to stop", activity->info.activity_id);
  temporal__activity_leave(activity);
  return rc;
}

int temporal_activity_heartbeat_json(temporal_activity *activity, const json_t *detail) {
  if (!detail) return temporal_activity_heartbeat(activity, NULL, 0);
  temporal_payload *p = NULL;
  int rc = temporal_payload_new_json(&p, detail);
  if (rc != 0) return rc;
  const temporal_payload *list[1] = {p};
  rc = temporal_activity_heartbeat(activity, list, 1);
  temporal_payload_free(p);
  return rc;
}

bool temporal_activity_is_cancelled(const temporal_activity *activity) {
  if (!activity) return false;
  if (!temporal__activity_enter(activity)) return true; /* finished: whoever asks should stop */
  bool cancelled = activity->ops->is_cancelled(activity);
  temporal__activity_leave(activity);
  return cancelled;
}

int temporal_activity_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout) {
  if (!activity) return temporal__error(TEMPORAL_EINVAL, "wait_for_cancelled: activity is NULL");
  if (activity->defn.kind == TEMPORAL_ACTIVITY_KIND_ASYNC)
    return temporal__error(TEMPORAL_ESTATE,
                           "wait_for_cancelled would block the event loop; async activities register "
                           "temporal_activity_on_cancel instead");
  if (!temporal__activity_enter(activity))
    return temporal__activity_finished_error(activity, "wait_for_cancelled");
  int rc = activity->ops->wait_for_cancelled(activity, timeout);
  if (rc != 0 && atomic_load(&activity->finished))
    rc = temporal__activity_finished_error(activity, "wait_for_cancelled");
  temporal__activity_leave(activity);
  return rc;
}

int temporal_activity_on_cancel(temporal_activity *activity, temporal_cancel_cb cb, void *data) {
  if (!activity) return temporal__error(TEMPORAL_EINVAL, "on_cancel: activity is NULL");
  if (activity->defn.kind != TEMPORAL_ACTIVITY_KIND_ASYNC)
    return temporal__error(TEMPORAL_ESTATE, "temporal_activity_on_cancel is for async activities");
  if (!temporal__activity_enter(activity)) return temporal__activity_finished_error(activity, "on_cancel");
  activity->cancel_cb = cb;
  activity->cancel_data = data;
  if (cb && activity->ops->cancel_registered) activity->ops->cancel_registered(activity);
  temporal__activity_leave(activity);
  return 0;
}

int temporal_activity_on_worker_shutdown(temporal_activity *activity, temporal_worker_shutdown_cb cb,
                                         void *data) {
  if (!activity) return temporal__error(TEMPORAL_EINVAL, "on_worker_shutdown: activity is NULL");
  if (activity->defn.kind != TEMPORAL_ACTIVITY_KIND_ASYNC)
    return temporal__error(TEMPORAL_ESTATE,
                           "temporal_activity_on_worker_shutdown is for async activities; sync ones call "
                           "temporal_activity_wait_for_worker_shutdown");
  if (!temporal__activity_enter(activity))
    return temporal__activity_finished_error(activity, "on_worker_shutdown");
  activity->shutdown_cb = cb;
  activity->shutdown_data = data;
  if (cb && activity->ops->worker_shutdown_registered) activity->ops->worker_shutdown_registered(activity);
  temporal__activity_leave(activity);
  return 0;
}

int temporal_activity_complete(temporal_activity *activity, temporal_result *result) {
  if (!activity) {
    temporal_result_free(result);
    return temporal__error(TEMPORAL_EINVAL, "complete: activity is NULL");
  }
  if (activity->defn.kind != TEMPORAL_ACTIVITY_KIND_ASYNC || !activity->ops->complete) {
    temporal_result_free(result);
    return temporal__error(TEMPORAL_ESTATE,
                           "temporal_activity_complete is for async activities; sync ones return");
  }
  if (!temporal__activity_enter(activity)) {
    temporal_result_free(result);
    return temporal__activity_finished_error(activity, "complete");
  }
  int rc = activity->ops->complete(activity, result); /* the owner marks it finished */
  temporal__activity_leave(activity);
  return rc;
}

temporal_cancellation_details temporal_activity_cancellation_details(const temporal_activity *activity) {
  temporal_cancellation_details d = {0};
  if (!activity) return d;
  unsigned int bits;
  if (temporal__activity_enter(activity)) {
    bits = temporal__activity_interrupts(activity);
    temporal__activity_leave(activity);
  } else {
    bits = temporal__activity_final_interrupts(activity);
  }
  d.cancel_requested = bits & TEMPORAL__INTERRUPT_CANCEL;
  d.paused = bits & TEMPORAL__INTERRUPT_PAUSE;
  d.reset = bits & TEMPORAL__INTERRUPT_RESET;
  d.timed_out = bits & TEMPORAL__INTERRUPT_TIMEOUT;
  d.not_found = bits & TEMPORAL__INTERRUPT_NOT_FOUND;
  d.worker_shutdown = bits & TEMPORAL__INTERRUPT_SHUTDOWN;
  return d;
}

bool temporal_activity_is_worker_shutdown(const temporal_activity *activity) {
  if (!activity) return false;
  if (!temporal__activity_enter(activity)) return temporal__activity_final_worker_shutdown(activity);
  bool down = activity->ops->is_worker_shutdown && activity->ops->is_worker_shutdown(activity);
  temporal__activity_leave(activity);
  return down;
}

int temporal_activity_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout) {
  if (!activity) return temporal__error(TEMPORAL_EINVAL, "wait_for_worker_shutdown: activity is NULL");
  if (activity->defn.kind == TEMPORAL_ACTIVITY_KIND_ASYNC)
    return temporal__error(TEMPORAL_ESTATE,
                           "wait_for_worker_shutdown would block the event loop; async activities register "
                           "temporal_activity_on_worker_shutdown instead");
  if (!temporal__activity_enter(activity))
    return temporal__activity_finished_error(activity, "wait_for_worker_shutdown");
  int rc;
  if (!activity->ops->wait_for_worker_shutdown) {
    temporal__sleep_ns(timeout > 0 ? timeout : 0);
    rc = TEMPORAL_ETIMEDOUT;
  } else {
    rc = activity->ops->wait_for_worker_shutdown(activity, timeout);
  }
  if (rc != 0 && atomic_load(&activity->finished))
    rc = temporal__activity_finished_error(activity, "wait_for_worker_shutdown");
  temporal__activity_leave(activity);
  return rc;
}

void temporal_activity_log(const temporal_activity *activity, temporal_log_level level, const char *format,
                           ...) {
  if (!temporal__log_enabled(level)) return;
  char message[1536];
  va_list ap;
  va_start(ap, format);
  vsnprintf(message, sizeof message, format, ap);
  va_end(ap);
  if (!activity) {
    temporal__log(level, "%s", message);
    return;
  }
  const temporal_activity_info *i = &activity->info;
  temporal__log(level,
                "%s [activity_id=%s activity_type=%s attempt=%d namespace=%s task_queue=%s workflow_id=%s "
                "workflow_run_id=%s]",
                message, i->activity_id, i->activity_type, (int)i->attempt, i->namespace_, i->task_queue,
                i->workflow_id, i->workflow_run_id);
}
