/* The running activity as user code sees it: info filled from the polled task, decoded arguments,
 * and the public context calls, which dispatch through `ops` so they work the same in the worker
 * process and in a process-pool child. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "worker/activity_context.h"
#include "worker/task.h"

/* Seconds and nanoseconds as nanoseconds. The task's fields may hold anything (a pool job's bytes,
 * a broken peer): beyond what an int64 of nanoseconds holds (about 292 years either side of 1970)
 * the value saturates instead of overflowing, which is undefined behaviour. */
static int64_t seconds_to_ns(int64_t seconds, int32_t nanos) {
  const int64_t ns_per_s = 1000000000;
  if (seconds > INT64_MAX / ns_per_s) return INT64_MAX;
  if (seconds < INT64_MIN / ns_per_s) return INT64_MIN;
  int64_t ns = seconds * ns_per_s;
  if (nanos > 0 && ns > INT64_MAX - nanos) return INT64_MAX;
  if (nanos < 0 && ns < INT64_MIN - nanos) return INT64_MIN;
  return ns + nanos;
}

static temporal_time_ns timestamp_ns(const Google__Protobuf__Timestamp *ts) {
  return ts ? seconds_to_ns(ts->seconds, ts->nanos) : 0;
}

static temporal_duration_ns duration_ns(const Google__Protobuf__Duration *d) {
  return d ? seconds_to_ns(d->seconds, d->nanos) : 0;
}

/* protobuf-c leaves unset strings pointing at a shared "" (never NULL), except in sub-messages that
 * are absent: those we map to "" here. */
static const char *str_or_empty(const char *s) { return s ? s : ""; }

static void fill_info(temporal_activity *a) {
  const Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *t = a->task;
  temporal_activity_info *info = &a->info;
  info->activity_id = str_or_empty(t->activity_id);
  info->activity_type = t->activity_type ? str_or_empty(t->activity_type->name) : "";
  info->activity_run_id = str_or_empty(t->activity_run_id);
  info->namespace_ = t->workflow_namespace && t->workflow_namespace[0] ? t->workflow_namespace : a->namespace_;
  info->task_queue = a->task_queue;
  info->workflow_id = t->workflow_execution ? str_or_empty(t->workflow_execution->workflow_id) : "";
  info->workflow_run_id = t->workflow_execution ? str_or_empty(t->workflow_execution->run_id) : "";
  info->workflow_type = t->workflow_type ? str_or_empty(t->workflow_type->name) : "";
  info->task_token = t->task_token.data;
  info->task_token_len = t->task_token.len;
  info->attempt = t->attempt;
  info->scheduled_time = timestamp_ns(t->scheduled_time);
  info->current_attempt_scheduled_time = timestamp_ns(t->current_attempt_scheduled_time);
  info->started_time = timestamp_ns(t->started_time);
  info->schedule_to_close_timeout = duration_ns(t->schedule_to_close_timeout);
  info->start_to_close_timeout = duration_ns(t->start_to_close_timeout);
  info->heartbeat_timeout = duration_ns(t->heartbeat_timeout);
  info->heartbeat_details = a->heartbeat_details;
  if (t->retry_policy) {
    const Temporal__Api__Common__V1__RetryPolicy *rp = t->retry_policy;
    info->has_retry_policy = true;
    info->retry_policy.initial_interval = duration_ns(rp->initial_interval);
    info->retry_policy.backoff_coefficient = rp->backoff_coefficient;
    info->retry_policy.maximum_interval = duration_ns(rp->maximum_interval);
    info->retry_policy.maximum_attempts = rp->maximum_attempts;
    info->retry_policy.non_retryable_error_types = (const char *const *)rp->non_retryable_error_types;
    info->retry_policy.non_retryable_error_type_count = rp->n_non_retryable_error_types;
  }
  if (t->priority) {
    info->priority.priority_key = t->priority->priority_key;
    info->priority.fairness_key = str_or_empty(t->priority->fairness_key);
    info->priority.fairness_weight = t->priority->fairness_weight;
  } else {
    info->priority.fairness_key = "";
  }
  info->is_local = false;
}

int temporal__activity_init(temporal_activity *a, const temporal__activity_ops *ops,
                            Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task,
                            const char *namespace_, const char *task_queue) {
  temporal__activity_init_empty(a, ops);
  a->task = task;
  a->namespace_ = temporal__strdup(namespace_ ? namespace_ : "");
  a->task_queue = temporal__strdup(task_queue ? task_queue : "");
  if (!a->namespace_ || !a->task_queue) return TEMPORAL_ENOMEM;
  /* Heartbeat details are handed over as recorded; a detail that does not decode must not keep the
   * activity from running, so fall back to none and let the activity see zero details. */
  if (temporal__args_new(&a->heartbeat_details, task->heartbeat_details) != 0) {
    TLOG_WARN("activity %s: ignoring heartbeat details that do not decode: %s",
              task->activity_id ? task->activity_id : "", temporal_error_last());
    if (temporal__args_from_payloads(&a->heartbeat_details, NULL, 0) != 0) return TEMPORAL_ENOMEM;
  }
  fill_info(a);
  return temporal__args_new(&a->args, task->input);
}

void temporal__activity_destroy(temporal_activity *a) {
  if (!a) return;
  temporal__args_free(a->args);
  temporal__args_free(a->heartbeat_details);
  if (a->task) protobuf_c_message_free_unpacked(&a->task->base, NULL);
  free(a->namespace_);
  free(a->task_queue);
  pthread_mutex_destroy(&a->life_mu);
  pthread_cond_destroy(&a->life_cond);
  memset(a, 0, sizeof *a);
}

/* ---- Public context calls -------------------------------------------------------------------- */

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

void *temporal_activity_data(const temporal_activity *activity) { return activity ? activity->defn.data : NULL; }

uv_loop_t *temporal_activity_loop(temporal_activity *activity) {
  /* A finished activity's loop may be gone (the worker's own). */
  return activity && !atomic_load(&activity->finished) ? activity->loop : NULL;
}

int temporal_activity_heartbeat(temporal_activity *activity, const temporal_payload *const *details, size_t count) {
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

void temporal_activity_log(const temporal_activity *activity, temporal_log_level level, const char *format, ...) {
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
