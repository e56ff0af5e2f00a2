/* Failure protos from the server -> the flat temporal_failure_info the client API hands out. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

/* The name a failure goes by: its application type, or the kind of failure, named as the Python
 * SDK names the matching exception classes so logs read the same in both. */
static const char *failure_type(const Temporal__Api__Failure__V1__Failure *f) {
  switch (f->failure_info_case) {
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO: {
      const char *type = f->application_failure_info ? f->application_failure_info->type : NULL;
      return type && type[0] ? type : "ApplicationError";
    }
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO: return "TimeoutError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO: return "CanceledError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TERMINATED_FAILURE_INFO: return "TerminatedError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_SERVER_FAILURE_INFO: return "ServerError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_RESET_WORKFLOW_FAILURE_INFO:
      return "ResetWorkflowError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO: return "ActivityError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO:
      return "ChildWorkflowError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_NEXUS_OPERATION_EXECUTION_FAILURE_INFO:
      return "NexusOperationError";
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_NEXUS_HANDLER_FAILURE_INFO:
      return "NexusHandlerError";
    default: return "Error";
  }
}

static bool failure_non_retryable(const Temporal__Api__Failure__V1__Failure *f) {
  if (f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO)
    return f->application_failure_info && f->application_failure_info->non_retryable;
  if (f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_SERVER_FAILURE_INFO)
    return f->server_failure_info && f->server_failure_info->non_retryable;
  return false;
}

/* Activity and child-workflow failures only say "this step failed"; what went wrong is below. */
static bool is_wrapper(const Temporal__Api__Failure__V1__Failure *f) {
  return f->failure_info_case == TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO ||
         f->failure_info_case ==
             TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO;
}

/* The failure's message. SDKs that encode common attributes put "Encoded failure" in `message` and
 * the real one in encoded_attributes (a JSON object {message, stack_trace}); read it when it is
 * plain JSON (it is not when a codec encrypted it). Returns malloc'd text or NULL on ENOMEM. */
static char *failure_message(const Temporal__Api__Failure__V1__Failure *f) {
  char *message = NULL;
  if (f->encoded_attributes) {
    temporal_payload *p = NULL;
    json_t *attrs = NULL;
    if (temporal__payload_from_proto(&p, f->encoded_attributes) == 0 &&
        temporal_payload_to_json(&attrs, p) == 0) {
      const char *m = json_string_value(json_object_get(attrs, "message"));
      if (m) message = strdup(m);
    }
    json_decref(attrs);
    temporal_payload_free(p);
    if (message) return message;
  }
  return strdup(f->message ? f->message : "");
}

int temporal__failure_info_from_proto(temporal_failure_info *out,
                                      const Temporal__Api__Failure__V1__Failure *failure) {
  if (!out || !failure)
    return temporal__error(TEMPORAL_EINVAL, "temporal__failure_info_from_proto: NULL argument");
  temporal_failure_info info = {0};
  info.message = failure_message(failure);
  info.type = strdup(failure_type(failure));
  info.non_retryable = failure_non_retryable(failure);
  bool ok = info.message && info.type;
  /* The cause worth showing: through any further wrappers (a child workflow whose activity failed)
   * down to the error that started it. */
  const Temporal__Api__Failure__V1__Failure *cause = failure->cause;
  while (cause && is_wrapper(cause) && cause->cause) cause = cause->cause;
  if (ok && cause) {
    info.cause_message = failure_message(cause);
    info.cause_type = strdup(failure_type(cause));
    ok = info.cause_message && info.cause_type;
  }
  if (!ok) {
    free(info.message);
    free(info.type);
    free(info.cause_message);
    free(info.cause_type);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  *out = info;
  return 0;
}
