/* The environment's settable info: the Python SDK's defaults and deep copies, so a test may build
 * an info from strings it frees right after, or from the environment's own info. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "testing/environment_internal.h"

/* The string fields of an info, so copy and free treat them alike. */
#define INFO_STRINGS(X) \
  X(activity_id)        \
  X(activity_type)      \
  X(activity_run_id)    \
  X(namespace_)         \
  X(task_queue)         \
  X(workflow_id)        \
  X(workflow_run_id)    \
  X(workflow_type)

void temporal__env_info_free(temporal_activity_info *info) {
  if (!info) return;
#define FREE_STRING(f) free((char *)info->f);
  INFO_STRINGS(FREE_STRING)
#undef FREE_STRING
  free((uint8_t *)info->task_token);
  for (size_t i = 0; i < info->retry_policy.non_retryable_error_type_count; i++)
    free((char *)info->retry_policy.non_retryable_error_types[i]);
  free((char **)info->retry_policy.non_retryable_error_types);
  free((char *)info->priority.fairness_key);
  memset(info, 0, sizeof *info);
}

static char *copy_str(const char *s) {
  char *out = strdup(s ? s : "");
  if (!out) temporal__error(TEMPORAL_ENOMEM, "out of memory");
  return out;
}

int temporal__env_info_copy(temporal_activity_info *out, const temporal_activity_info *in) {
  /* Built in a local first: `in` may point into the very info the caller is about to replace. */
  temporal_activity_info c = *in;
  bool ok = true;
#define COPY_STRING(f) c.f = NULL;
  INFO_STRINGS(COPY_STRING)
#undef COPY_STRING
  c.task_token = NULL;
  c.task_token_len = 0;
  c.retry_policy.non_retryable_error_types = NULL;
  c.retry_policy.non_retryable_error_type_count = 0;
  c.priority.fairness_key = NULL;
  c.heartbeat_details = NULL; /* set per run from the environment's own details */

#define COPY_STRING(f) ok = ok && (c.f = copy_str(in->f)) != NULL;
  INFO_STRINGS(COPY_STRING)
#undef COPY_STRING
  ok = ok && (c.priority.fairness_key = copy_str(in->priority.fairness_key)) != NULL;
  if (ok && in->task_token_len) {
    uint8_t *token = malloc(in->task_token_len);
    if (token && in->task_token) memcpy(token, in->task_token, in->task_token_len);
    if (token && !in->task_token) memset(token, 0, in->task_token_len);
    c.task_token = token;
    c.task_token_len = token ? in->task_token_len : 0;
    ok = token != NULL;
  }
  size_t n = in->retry_policy.non_retryable_error_types ? in->retry_policy.non_retryable_error_type_count : 0;
  if (ok && n) {
    const char **types = calloc(n, sizeof *types);
    c.retry_policy.non_retryable_error_types = types;
    ok = types != NULL;
    /* The count grows with each copied string, so a partial copy frees exactly what it holds. */
    for (size_t i = 0; ok && i < n; i++) {
      ok = (types[i] = copy_str(in->retry_policy.non_retryable_error_types[i])) != NULL;
      if (ok) c.retry_policy.non_retryable_error_type_count = i + 1;
    }
  }
  if (!ok) {
    temporal__env_info_free(&c);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory copying the activity info");
  }
  *out = c;
  return 0;
}

int temporal__env_info_defaults(temporal_activity_info *out) {
  /* ActivityEnvironment.default_info() of the Python SDK, except the times: 0 here, and the moment
   * each run starts in what the activity sees (Python uses the epoch). */
  static const uint8_t token[] = {'t', 'e', 's', 't'};
  temporal_activity_info d = {
      .activity_id = "test",
      .activity_type = "unknown",
      .activity_run_id = "",
      .namespace_ = "default",
      .task_queue = "test",
      .workflow_id = "test",
      .workflow_run_id = "test-run",
      .workflow_type = "test",
      .task_token = token,
      .task_token_len = sizeof token,
      .attempt = 1,
      .schedule_to_close_timeout = TEMPORAL_SECOND,
      .start_to_close_timeout = TEMPORAL_SECOND,
      .priority = {.fairness_key = ""},
  };
  return temporal__env_info_copy(out, &d);
}
