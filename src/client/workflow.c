/* Workflows through the client: start, wait for the close event, cancel. */
#include <stdlib.h>
#include <string.h>

#include "client/client_util.h"
#include "core/options.h"
#include "temporal/api/history/v1/message.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef Temporal__Api__Workflowservice__V1__StartWorkflowExecutionRequest StartRequest;
typedef Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryRequest HistoryRequest;
typedef Temporal__Api__Workflowservice__V1__GetWorkflowExecutionHistoryResponse HistoryResponse;
typedef Temporal__Api__Workflowservice__V1__RequestCancelWorkflowExecutionRequest CancelRequest;
typedef Temporal__Api__History__V1__HistoryEvent HistoryEvent;

struct temporal_workflow_handle {
  temporal_client *client; /* borrowed: the client outlives its handles */
  char *workflow_id;
  char *run_id;
};

static int build_start_request(StartRequest **out, temporal_client *client,
                               const temporal_workflow_options *opts, const char *workflow_id,
                               const temporal_payload *const *args, size_t arg_count) {
  StartRequest *req = malloc(sizeof *req);
  if (!req) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__api__workflowservice__v1__start_workflow_execution_request__init(req);
  char request_id[37];
  temporal__uuid4(request_id);
  int rc = TEMPORAL_ENOMEM;
  req->workflow_type = malloc(sizeof *req->workflow_type);
  if (req->workflow_type) {
    temporal__api__common__v1__workflow_type__init(req->workflow_type);
    if ((rc = temporal__client_set_string(&req->workflow_type->name, opts->workflow_type)) == 0 &&
        (rc = temporal__client_set_string(&req->namespace_, client->namespace_)) == 0 &&
        (rc = temporal__client_set_string(&req->workflow_id, workflow_id)) == 0 &&
        (rc = temporal__client_set_string(&req->identity, client->identity)) == 0 &&
        (rc = temporal__client_set_string(&req->request_id, request_id)) == 0 &&
        (rc = temporal__client_task_queue(&req->task_queue, opts->task_queue)) == 0 &&
        (rc = temporal__client_duration(&req->workflow_execution_timeout, opts->execution_timeout)) == 0)
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

int temporal_client_start_workflow(temporal_workflow_handle **out, temporal_client *client,
                                   const temporal_workflow_options *opts, const temporal_payload *const *args,
                                   size_t arg_count) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal_client_start_workflow: out is NULL");
  *out = NULL;
  if (!client || !opts)
    return temporal__error(TEMPORAL_EINVAL, "temporal_client_start_workflow: client and opts are required");
  temporal_workflow_options o;
  if (TEMPORAL__OPTIONS_READ(&o, opts) < 0) return TEMPORAL_EINVAL;
  opts = &o;
  if (!opts->workflow_type || !*opts->workflow_type)
    return temporal__error(TEMPORAL_EINVAL, "temporal_workflow_options: workflow_type is required");
  if (!opts->task_queue || !*opts->task_queue)
    return temporal__error(TEMPORAL_EINVAL, "temporal_workflow_options: task_queue is required");
  if (opts->execution_timeout < 0)
    return temporal__error(TEMPORAL_EINVAL, "temporal_workflow_options: execution_timeout is negative");

  char generated_id[37];
  const char *workflow_id = opts->workflow_id;
  if (!workflow_id || !*workflow_id) {
    temporal__uuid4(generated_id);
    workflow_id = generated_id;
  }
  temporal_workflow_handle *handle = calloc(1, sizeof *handle);
  if (!handle) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  handle->client = client;
  handle->workflow_id = temporal__strdup(workflow_id);
  if (!handle->workflow_id) {
    temporal_workflow_handle_free(handle);
    return TEMPORAL_ENOMEM;
  }
  StartRequest *req = NULL;
  int rc = build_start_request(&req, client, opts, workflow_id, args, arg_count);
  if (rc != 0) {
    temporal_workflow_handle_free(handle);
    return rc;
  }
  rc = temporal__client_start(
      &handle->run_id, client, "StartWorkflowExecution", &req->base,
      &temporal__api__workflowservice__v1__start_workflow_execution_response__descriptor, "workflow",
      workflow_id);
  protobuf_c_message_free_unpacked(&req->base, NULL);
  if (rc != 0) {
    temporal_workflow_handle_free(handle);
    return rc;
  }
  *out = handle;
  return 0;
}

const char *temporal_workflow_handle_id(const temporal_workflow_handle *handle) {
  return handle ? handle->workflow_id : "";
}

const char *temporal_workflow_handle_run_id(const temporal_workflow_handle *handle) {
  return handle ? handle->run_id : "";
}

/* Ends a wait with a failure: the error names the workflow, the failure goes to failure_out (or is
 * released). Takes `info`. */
static int fail_with(temporal_failure_info *failure_out, temporal_failure_info *info,
                     const char *workflow_id) {
  temporal__error(TEMPORAL_EFAILED, "workflow \"%s\" failed: %s: %s", workflow_id,
                  info->type ? info->type : "", info->message ? info->message : "");
  if (failure_out)
    *failure_out = *info;
  else
    temporal_failure_info_free(info);
  return TEMPORAL_EFAILED;
}

static int simple_failure(temporal_failure_info *failure_out, const char *workflow_id, const char *type,
                          const char *message) {
  temporal_failure_info info;
  int rc = temporal__client_failure_simple(&info, type, message);
  return rc != 0 ? rc : fail_with(failure_out, &info, workflow_id);
}

/* The outcome a close event describes. */
static int close_outcome(temporal_payload **out, temporal_failure_info *failure_out,
                         const HistoryEvent *event, const char *workflow_id) {
  switch (event->attributes_case) {
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_COMPLETED_EVENT_ATTRIBUTES: {
      if (!out) return 0;
      return temporal__client_result_payload(out,
                                             event->workflow_execution_completed_event_attributes->result);
    }
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_FAILED_EVENT_ATTRIBUTES: {
      const Temporal__Api__Failure__V1__Failure *failure =
          event->workflow_execution_failed_event_attributes->failure;
      if (!failure) return simple_failure(failure_out, workflow_id, "WorkflowFailure", "workflow failed");
      temporal_failure_info info;
      memset(&info, 0, sizeof info);
      int rc = temporal__failure_info_from_proto(&info, failure);
      if (rc != 0) {
        temporal_failure_info_free(&info);
        return rc;
      }
      return fail_with(failure_out, &info, workflow_id);
    }
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_CANCELED_EVENT_ATTRIBUTES:
      return simple_failure(failure_out, workflow_id, "CanceledError", "workflow execution canceled");
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_TERMINATED_EVENT_ATTRIBUTES: {
      const char *reason = event->workflow_execution_terminated_event_attributes->reason;
      return simple_failure(failure_out, workflow_id, "TerminatedError",
                            reason && *reason ? reason : "workflow execution terminated");
    }
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_TIMED_OUT_EVENT_ATTRIBUTES:
      return simple_failure(failure_out, workflow_id, "TimeoutError", "workflow execution timed out");
    case TEMPORAL__API__HISTORY__V1__HISTORY_EVENT__ATTRIBUTES_WORKFLOW_EXECUTION_CONTINUED_AS_NEW_EVENT_ATTRIBUTES:
      /* Following the new run is not supported (see client.h). */
      return simple_failure(failure_out, workflow_id, "ContinuedAsNewError", "workflow continued as new");
    default: return 1; /* not a close event */
  }
}

static int wait_timed_out(const char *workflow_id, temporal_duration_ns timeout) {
  return temporal__error(TEMPORAL_ETIMEDOUT, "timed out after %lld ms waiting for workflow \"%s\"",
                         (long long)(timeout / TEMPORAL_MS), workflow_id);
}

int temporal_workflow_handle_result(temporal_payload **out, temporal_failure_info *failure_out,
                                    temporal_workflow_handle *handle, temporal_duration_ns timeout) {
  if (out) *out = NULL;
  if (failure_out) memset(failure_out, 0, sizeof *failure_out);
  if (!handle) return temporal__error(TEMPORAL_EINVAL, "temporal_workflow_handle_result: handle is NULL");
  int64_t deadline = temporal__client_deadline(timeout);
  Temporal__Api__Common__V1__WorkflowExecution execution =
      TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  execution.workflow_id = handle->workflow_id;
  execution.run_id = handle->run_id;
  HistoryRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__GET_WORKFLOW_EXECUTION_HISTORY_REQUEST__INIT;
  req.namespace_ = handle->client->namespace_;
  req.execution = &execution;
  req.wait_new_event = true;
  req.history_event_filter_type =
      TEMPORAL__API__ENUMS__V1__HISTORY_EVENT_FILTER_TYPE__HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;

  HistoryResponse *prev = NULL; /* owns the page token the next request borrows */
  int rc;
  for (;;) {
    temporal_duration_ns poll = temporal__client_poll_timeout(deadline);
    if (poll == 0) {
      rc = wait_timed_out(handle->workflow_id, timeout);
      break;
    }
    temporal__call_options copts = {.timeout = poll, .retry = TEMPORAL__RETRY_DEFAULT};
    temporal__call_status status;
    ProtobufCMessage *msg = NULL;
    rc = temporal__transport_call(
        handle->client->transport, "GetWorkflowExecutionHistory", &req.base,
        &temporal__api__workflowservice__v1__get_workflow_execution_history_response__descriptor, &msg,
        &copts, &status);
    if (rc != 0) {
      int expired = temporal__client_poll_expired(&status, poll);
      if (expired == 0) break;
      if (expired == 2) {
        rc = wait_timed_out(handle->workflow_id, timeout);
        break;
      }
      continue; /* the poll expired; the loop's head checks the caller's deadline */
    }
    HistoryResponse *resp = (HistoryResponse *)msg;
    rc = 1;
    for (size_t i = 0; resp->history && i < resp->history->n_events && rc == 1; i++)
      rc = close_outcome(out, failure_out, resp->history->events[i], handle->workflow_id);
    if (rc != 1) {
      protobuf_c_message_free_unpacked(msg, NULL);
      break;
    }
    /* No close event yet: the server returns a token to keep waiting from. */
    req.next_page_token = resp->next_page_token;
    if (prev) protobuf_c_message_free_unpacked(&prev->base, NULL);
    prev = resp;
  }
  if (prev) protobuf_c_message_free_unpacked(&prev->base, NULL);
  return rc;
}

int temporal_workflow_handle_cancel(temporal_workflow_handle *handle) {
  if (!handle) return temporal__error(TEMPORAL_EINVAL, "temporal_workflow_handle_cancel: handle is NULL");
  char request_id[37];
  temporal__uuid4(request_id);
  Temporal__Api__Common__V1__WorkflowExecution execution =
      TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  execution.workflow_id = handle->workflow_id;
  execution.run_id = handle->run_id;
  CancelRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__REQUEST_CANCEL_WORKFLOW_EXECUTION_REQUEST__INIT;
  req.namespace_ = handle->client->namespace_;
  req.workflow_execution = &execution;
  req.identity = handle->client->identity;
  req.request_id = request_id;
  temporal__call_options copts = {.retry = TEMPORAL__RETRY_DEFAULT};
  ProtobufCMessage *resp = NULL;
  int rc = temporal__transport_call(
      handle->client->transport, "RequestCancelWorkflowExecution", &req.base,
      &temporal__api__workflowservice__v1__request_cancel_workflow_execution_response__descriptor, &resp,
      &copts, NULL);
  if (rc != 0) return rc;
  protobuf_c_message_free_unpacked(resp, NULL);
  return 0;
}

void temporal_workflow_handle_free(temporal_workflow_handle *handle) {
  if (!handle) return;
  free(handle->workflow_id);
  free(handle->run_id);
  free(handle);
}
