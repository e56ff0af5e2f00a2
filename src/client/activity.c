/* Standalone activities through the client (server 1.30+): start, long-poll the outcome, cancel. */
#include <stdlib.h>
#include <string.h>

#include "client/client_util.h"
#include "core/options.h"
#include "temporal/api/activity/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef Temporal__Api__Workflowservice__V1__StartActivityExecutionRequest StartRequest;
typedef Temporal__Api__Workflowservice__V1__PollActivityExecutionRequest PollRequest;
typedef Temporal__Api__Workflowservice__V1__PollActivityExecutionResponse PollResponse;
typedef Temporal__Api__Workflowservice__V1__RequestCancelActivityExecutionRequest CancelRequest;
typedef Temporal__Api__Activity__V1__ActivityExecutionOutcome Outcome;

struct temporal_activity_handle {
  temporal_client *client; /* borrowed: the client outlives its handles */
  char *activity_id;
  char *run_id;
};

static int validate_options(const temporal_activity_options *opts) {
  if (!opts->activity_type || !*opts->activity_type)
    return temporal__error(TEMPORAL_EINVAL, "temporal_activity_options: activity_type is required");
  if (!opts->task_queue || !*opts->task_queue)
    return temporal__error(TEMPORAL_EINVAL, "temporal_activity_options: task_queue is required");
  if (opts->schedule_to_close_timeout < 0 || opts->start_to_close_timeout < 0 ||
      opts->heartbeat_timeout < 0 || opts->maximum_attempts < 0)
    return temporal__error(TEMPORAL_EINVAL,
                           "temporal_activity_options: timeouts and maximum_attempts must not be negative");
  if (opts->schedule_to_close_timeout == 0 && opts->start_to_close_timeout == 0)
    return temporal__error(
        TEMPORAL_EINVAL,
        "temporal_activity_options: schedule_to_close_timeout or start_to_close_timeout is required");
  return 0;
}

static int build_retry_policy(Temporal__Api__Common__V1__RetryPolicy **out, int32_t maximum_attempts) {
  *out = NULL;
  if (maximum_attempts == 0) return 0;
  Temporal__Api__Common__V1__RetryPolicy *policy = malloc(sizeof *policy);
  if (!policy) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__api__common__v1__retry_policy__init(policy);
  policy->maximum_attempts = maximum_attempts;
  *out = policy;
  return 0;
}

static int build_start_request(StartRequest **out, temporal_client *client,
                               const temporal_activity_options *opts, const char *activity_id,
                               const temporal_payload *const *args, size_t arg_count) {
  StartRequest *req = malloc(sizeof *req);
  if (!req) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__api__workflowservice__v1__start_activity_execution_request__init(req);
  char request_id[37];
  temporal__uuid4(request_id);
  int rc = TEMPORAL_ENOMEM;
  req->activity_type = malloc(sizeof *req->activity_type);
  if (req->activity_type) {
    temporal__api__common__v1__activity_type__init(req->activity_type);
    if ((rc = temporal__client_set_string(&req->activity_type->name, opts->activity_type)) == 0 &&
        (rc = temporal__client_set_string(&req->namespace_, client->namespace_)) == 0 &&
        (rc = temporal__client_set_string(&req->identity, client->identity)) == 0 &&
        (rc = temporal__client_set_string(&req->request_id, request_id)) == 0 &&
        (rc = temporal__client_set_string(&req->activity_id, activity_id)) == 0 &&
        (rc = temporal__client_task_queue(&req->task_queue, opts->task_queue)) == 0 &&
        (rc = temporal__client_duration(&req->schedule_to_close_timeout, opts->schedule_to_close_timeout)) ==
            0 &&
        (rc = temporal__client_duration(&req->start_to_close_timeout, opts->start_to_close_timeout)) == 0 &&
        (rc = temporal__client_duration(&req->heartbeat_timeout, opts->heartbeat_timeout)) == 0 &&
        (rc = build_retry_policy(&req->retry_policy, opts->maximum_attempts)) == 0)
      rc = temporal__client_input(&req->input, args, arg_count);
  } else {
    temporal__error(rc, "out of memory");
  }
  if (rc != 0) {
    protobuf_c_message_free_unpacked(&req->base, NULL);
    return rc;
  }
  *out = req;
  return 0;
}

int temporal_client_start_activity(temporal_activity_handle **out, temporal_client *client,
                                   const temporal_activity_options *opts, const temporal_payload *const *args,
                                   size_t arg_count) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal_client_start_activity: out is NULL");
  *out = NULL;
  if (!client || !opts)
    return temporal__error(TEMPORAL_EINVAL, "temporal_client_start_activity: client and opts are required");
  temporal_activity_options o;
  if (TEMPORAL__OPTIONS_READ(&o, opts) < 0) return TEMPORAL_EINVAL;
  opts = &o;
  int rc = validate_options(opts);
  if (rc != 0) return rc;

  char generated_id[37];
  const char *activity_id = opts->activity_id;
  if (!activity_id || !*activity_id) {
    temporal__uuid4(generated_id);
    activity_id = generated_id;
  }
  temporal_activity_handle *handle = calloc(1, sizeof *handle);
  if (!handle) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  handle->client = client;
  handle->activity_id = temporal__strdup(activity_id);
  if (!handle->activity_id) {
    temporal_activity_handle_free(handle);
    return TEMPORAL_ENOMEM;
  }
  StartRequest *req = NULL;
  rc = build_start_request(&req, client, opts, activity_id, args, arg_count);
  if (rc != 0) {
    temporal_activity_handle_free(handle);
    return rc;
  }
  rc = temporal__client_start(
      &handle->run_id, client, "StartActivityExecution", &req->base,
      &temporal__api__workflowservice__v1__start_activity_execution_response__descriptor, "activity",
      activity_id);
  protobuf_c_message_free_unpacked(&req->base, NULL);
  if (rc != 0) {
    temporal_activity_handle_free(handle);
    return rc;
  }
  *out = handle;
  return 0;
}

const char *temporal_activity_handle_id(const temporal_activity_handle *handle) {
  return handle ? handle->activity_id : "";
}

const char *temporal_activity_handle_run_id(const temporal_activity_handle *handle) {
  return handle ? handle->run_id : "";
}

/* The result an outcome describes: 0 with *out, or TEMPORAL_EFAILED with failure_out. */
static int outcome_result(temporal_payload **out, temporal_failure_info *failure_out, const Outcome *outcome,
                          const char *activity_id) {
  if (outcome->value_case == TEMPORAL__API__ACTIVITY__V1__ACTIVITY_EXECUTION_OUTCOME__VALUE_RESULT)
    return out ? temporal__client_result_payload(out, outcome->result) : 0;
  temporal_failure_info info;
  memset(&info, 0, sizeof info);
  int rc = outcome->failure ? temporal__failure_info_from_proto(&info, outcome->failure)
                            : temporal__client_failure_simple(&info, "ActivityFailure", "activity failed");
  if (rc != 0) {
    temporal_failure_info_free(&info);
    return rc;
  }
  temporal__error(TEMPORAL_EFAILED, "activity \"%s\" failed: %s: %s", activity_id, info.type ? info.type : "",
                  info.message ? info.message : "");
  if (failure_out)
    *failure_out = info;
  else
    temporal_failure_info_free(&info);
  return TEMPORAL_EFAILED;
}

static int wait_timed_out(const char *activity_id, temporal_duration_ns timeout) {
  return temporal__error(TEMPORAL_ETIMEDOUT, "timed out after %lld ms waiting for activity \"%s\"",
                         (long long)(timeout / TEMPORAL_MS), activity_id);
}

int temporal_activity_handle_result(temporal_payload **out, temporal_failure_info *failure_out,
                                    temporal_activity_handle *handle, temporal_duration_ns timeout) {
  if (out) *out = NULL;
  if (failure_out) memset(failure_out, 0, sizeof *failure_out);
  if (!handle) return temporal__error(TEMPORAL_EINVAL, "temporal_activity_handle_result: handle is NULL");
  int64_t deadline = temporal__client_deadline(timeout);
  PollRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_EXECUTION_REQUEST__INIT;
  req.namespace_ = handle->client->namespace_;
  req.activity_id = handle->activity_id;
  req.run_id = handle->run_id;
  for (;;) {
    temporal_duration_ns poll = temporal__client_poll_timeout(deadline);
    if (poll == 0) return wait_timed_out(handle->activity_id, timeout);
    temporal__call_options copts = {.timeout = poll, .retry = TEMPORAL__RETRY_DEFAULT};
    temporal__call_status status;
    ProtobufCMessage *msg = NULL;
    int rc = temporal__transport_call(
        handle->client->transport, "PollActivityExecution", &req.base,
        &temporal__api__workflowservice__v1__poll_activity_execution_response__descriptor, &msg, &copts,
        &status);
    if (rc != 0) {
      int expired = temporal__client_poll_expired(&status, poll);
      if (expired == 0) return rc;
      if (expired == 2) return wait_timed_out(handle->activity_id, timeout);
      continue; /* the poll expired; the loop's head checks the caller's deadline */
    }
    PollResponse *resp = (PollResponse *)msg;
    /* No outcome: the server's long poll expired before the activity closed. */
    if (!resp->outcome || resp->outcome->value_case ==
                              TEMPORAL__API__ACTIVITY__V1__ACTIVITY_EXECUTION_OUTCOME__VALUE__NOT_SET) {
      protobuf_c_message_free_unpacked(msg, NULL);
      continue;
    }
    rc = outcome_result(out, failure_out, resp->outcome, handle->activity_id);
    protobuf_c_message_free_unpacked(msg, NULL);
    return rc;
  }
}

int temporal_activity_handle_cancel(temporal_activity_handle *handle, const char *reason) {
  if (!handle) return temporal__error(TEMPORAL_EINVAL, "temporal_activity_handle_cancel: handle is NULL");
  char request_id[37];
  temporal__uuid4(request_id);
  CancelRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_ACTIVITY_EXECUTION_REQUEST__INIT;
  req.namespace_ = handle->client->namespace_;
  req.activity_id = handle->activity_id;
  req.run_id = handle->run_id;
  req.identity = handle->client->identity;
  req.request_id = request_id;
  if (reason) req.reason = (char *)reason;
  temporal__call_options copts = {.retry = TEMPORAL__RETRY_DEFAULT};
  ProtobufCMessage *resp = NULL;
  int rc = temporal__transport_call(
      handle->client->transport, "RequestCancelActivityExecution", &req.base,
      &temporal__api__workflowservice__v1__request_cancel_activity_execution_response__descriptor, &resp,
      &copts, NULL);
  if (rc != 0) return rc;
  protobuf_c_message_free_unpacked(resp, NULL);
  return 0;
}

void temporal_activity_handle_free(temporal_activity_handle *handle) {
  if (!handle) return;
  free(handle->activity_id);
  free(handle->run_id);
  free(handle);
}
