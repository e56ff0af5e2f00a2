/* The activity's info and arguments, filled once from the polled task: what
 * temporal_activity_get_info and the arguments show the user, wherever the activity runs (the worker
 * or an executor's process rebuilding it from a job). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "activity/activity.h"

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
static const char *str_or_empty(const char *s) {
  return s ? s : "";
}

static void fill_info(temporal_activity *a) {
  const Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *t = a->task;
  temporal_activity_info *info = &a->info;
  info->activity_id = str_or_empty(t->activity_id);
  info->activity_type = t->activity_type ? str_or_empty(t->activity_type->name) : "";
  info->activity_run_id = str_or_empty(t->activity_run_id);
  info->namespace_ =
      t->workflow_namespace && t->workflow_namespace[0] ? t->workflow_namespace : a->namespace_;
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
