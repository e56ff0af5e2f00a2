/* Async activity completion through the client: finishing, failing, heartbeating and cancelling an
 * activity whose worker returned temporal_result_async(), by task token (RespondActivityTask* /
 * RecordActivityTaskHeartbeat) or by ids (their *ById variants; a standalone activity is addressed
 * with an empty workflow id and the activity's own run id). */
#include <stdlib.h>
#include <string.h>

#include <grpc/status.h>

#include "client/client_util.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest CompletedRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedByIdRequest CompletedByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedRequest FailedRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedByIdRequest FailedByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledRequest CanceledRequest;
typedef Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledByIdRequest CanceledByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatRequest HeartbeatRequest;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatResponse HeartbeatResponse;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdRequest HeartbeatByIdRequest;
typedef Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdResponse HeartbeatByIdResponse;

struct temporal_async_activity_handle {
  temporal_client *client; /* borrowed: the client outlives its handles */
  /* Either a token (token_len > 0) or ids. Ids are never NULL ("" when unset) because the ById
   * requests take them as they are: an empty workflow_id is what marks a standalone activity. */
  uint8_t *token;
  size_t token_len;
  char *workflow_id;
  char *run_id;
  char *activity_id;
};

void temporal_async_activity_handle_free(temporal_async_activity_handle *handle) {
  if (!handle) return;
  free(handle->token);
  free(handle->workflow_id);
  free(handle->run_id);
  free(handle->activity_id);
  free(handle);
}

static int new_handle(temporal_async_activity_handle **out, temporal_client *client, const char *fn) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "%s: out is NULL", fn);
  *out = NULL;
  if (!client) return temporal__error(TEMPORAL_EINVAL, "%s: client is NULL", fn);
  temporal_async_activity_handle *h = calloc(1, sizeof *h);
  if (!h) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  h->client = client;
  *out = h;
  return 0;
}

/* Copies the three ids (NULL becomes ""). */
static int set_ids(temporal_async_activity_handle *h, const char *workflow_id, const char *run_id,
                   const char *activity_id) {
  h->workflow_id = temporal__strdup(workflow_id ? workflow_id : "");
  h->run_id = temporal__strdup(run_id ? run_id : "");
  h->activity_id = temporal__strdup(activity_id ? activity_id : "");
  if (!h->workflow_id || !h->run_id || !h->activity_id) return TEMPORAL_ENOMEM;
  return 0;
}

int temporal_client_async_activity_by_token(temporal_async_activity_handle **out, temporal_client *client,
                                            const uint8_t *task_token, size_t task_token_len) {
  static const char fn[] = "temporal_client_async_activity_by_token";
  temporal_async_activity_handle *h = NULL;
  int rc = new_handle(&h, client, fn);
  if (rc != 0) return rc;
  if (!task_token || task_token_len == 0) {
    temporal_async_activity_handle_free(h);
    return temporal__error(TEMPORAL_EINVAL, "%s: the task token is empty", fn);
  }
  h->token = malloc(task_token_len);
  if (!h->token) {
    temporal_async_activity_handle_free(h);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  memcpy(h->token, task_token, task_token_len);
  h->token_len = task_token_len;
  *out = h;
  return 0;
}

int temporal_client_async_activity_by_id(temporal_async_activity_handle **out, temporal_client *client,
                                         const char *workflow_id, const char *run_id,
                                         const char *activity_id) {
  static const char fn[] = "temporal_client_async_activity_by_id";
  if (out) *out = NULL;
  /* An empty workflow id would silently address a standalone activity instead: refuse it here. */
  if (!workflow_id || !*workflow_id || !activity_id || !*activity_id)
    return temporal__error(TEMPORAL_EINVAL, "%s: workflow_id and activity_id are required", fn);
  temporal_async_activity_handle *h = NULL;
  int rc = new_handle(&h, client, fn);
  if (rc == 0 && (rc = set_ids(h, workflow_id, run_id, activity_id)) != 0)
    temporal_async_activity_handle_free(h);
  if (rc == 0) *out = h;
  return rc;
}

int temporal_client_async_activity_standalone(temporal_async_activity_handle **out, temporal_client *client,
                                              const char *activity_id, const char *activity_run_id) {
  static const char fn[] = "temporal_client_async_activity_standalone";
  if (out) *out = NULL;
  if (!activity_id || !*activity_id)
    return temporal__error(TEMPORAL_EINVAL, "%s: activity_id is required", fn);
  temporal_async_activity_handle *h = NULL;
  int rc = new_handle(&h, client, fn);
  if (rc == 0 && (rc = set_ids(h, "", activity_run_id, activity_id)) != 0)
    temporal_async_activity_handle_free(h);
  if (rc == 0) *out = h;
  return rc;
}

/* ---- calls ----------------------------------------------------------------------------------- */

static ProtobufCBinaryData token_of(const temporal_async_activity_handle *h) {
  return (ProtobufCBinaryData){.len = h->token_len, .data = h->token};
}

/* Names the activity in error messages: its ids, or "by task token". */
static void describe(char *buf, size_t size, const temporal_async_activity_handle *h) {
  if (h->token_len)
    snprintf(buf, size, "activity by task token");
  else if (*h->workflow_id)
    snprintf(buf, size, "activity \"%s\" of workflow \"%s\"", h->activity_id, h->workflow_id);
  else
    snprintf(buf, size, "standalone activity \"%s\"", h->activity_id);
}

/* One RPC, retried on transient errors like any other call. Retrying a completion is safe: if a try
 * that did land lost its answer, the repeat gets NotFound and the first outcome stands (the caller
 * then sees TEMPORAL_ENOTFOUND for an activity it did settle: rare, and never a double completion). */
static int call(temporal_async_activity_handle *h, const char *method, const ProtobufCMessage *req,
                const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **resp_out,
                temporal__call_status *status_out) {
  temporal__call_options opts = {.retry = TEMPORAL__RETRY_DEFAULT};
  ProtobufCMessage *resp = NULL;
  temporal__call_status status = {0, ""};
  int rc = temporal__transport_call(h->client->transport, method, req, resp_desc, &resp, &opts, &status);
  if (status_out) *status_out = status;
  if (rc == TEMPORAL_ENOTFOUND) {
    /* The server's own words ("workflow execution already completed", "invalid activityID or
     * activity already timed out", ...) vary by case; the caller needs the one conclusion. */
    char detail[600], who[300];
    snprintf(detail, sizeof detail, "%s", temporal_error_last());
    describe(who, sizeof who, h);
    return temporal__error(rc, "activity not found: already completed, timed out, or never existed (%s; %s)",
                           who, detail);
  }
  if (rc != 0) return rc;
  if (resp_out)
    *resp_out = resp;
  else
    protobuf_c_message_free_unpacked(resp, NULL);
  return 0;
}

/* Payloads for a request field: NULL when count is 0 (the field stays unset). */
static int details_proto(Temporal__Api__Common__V1__Payloads **out, const temporal_payload *const *details,
                         size_t count) {
  return temporal__client_input(out, details, count);
}

static void free_message(void *msg) {
  if (msg) protobuf_c_message_free_unpacked(msg, NULL);
}

static int check_handle(const temporal_async_activity_handle *h, const char *fn) {
  if (!h) return temporal__error(TEMPORAL_EINVAL, "%s: handle is NULL", fn);
  return 0;
}

int temporal_async_activity_complete(temporal_async_activity_handle *handle, const temporal_payload *result) {
  int rc = check_handle(handle, "temporal_async_activity_complete");
  if (rc != 0) return rc;
  /* "No value" travels as one binary/null payload, as temporal_result_none() does from a worker, so
   * the workflow sees the same thing however the activity completed. */
  temporal_payload *none = NULL;
  if (!result) {
    if ((rc = temporal_payload_new_null(&none)) != 0) return rc;
    result = none;
  }
  Temporal__Api__Common__V1__Payloads *payloads = NULL;
  rc = temporal__payloads_to_proto(&payloads, &result, 1);
  temporal_payload_free(none);
  if (rc != 0) return rc;
  if (handle->token_len) {
    CompletedRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_REQUEST__INIT;
    req.task_token = token_of(handle);
    req.result = payloads;
    req.identity = handle->client->identity;
    req.namespace_ = handle->client->namespace_;
    rc = call(handle, "RespondActivityTaskCompleted", &req.base,
              &temporal__api__workflowservice__v1__respond_activity_task_completed_response__descriptor, NULL,
              NULL);
  } else {
    CompletedByIdRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_COMPLETED_BY_ID_REQUEST__INIT;
    req.namespace_ = handle->client->namespace_;
    req.workflow_id = handle->workflow_id;
    req.run_id = handle->run_id;
    req.activity_id = handle->activity_id;
    req.result = payloads;
    req.identity = handle->client->identity;
    rc = call(handle, "RespondActivityTaskCompletedById", &req.base,
              &temporal__api__workflowservice__v1__respond_activity_task_completed_by_id_response__descriptor,
              NULL, NULL);
  }
  free_message(payloads);
  return rc;
}

int temporal_async_activity_fail(temporal_async_activity_handle *handle,
                                 const temporal_application_error *error) {
  static const char fn[] = "temporal_async_activity_fail";
  int rc = check_handle(handle, fn);
  if (rc != 0) return rc;
  if (!error) return temporal__error(TEMPORAL_EINVAL, "%s: error is NULL", fn);
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  if ((rc = temporal__failure_from_application_error(&failure, error)) != 0) return rc;
  if (handle->token_len) {
    FailedRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_REQUEST__INIT;
    req.task_token = token_of(handle);
    req.failure = failure;
    req.identity = handle->client->identity;
    req.namespace_ = handle->client->namespace_;
    rc = call(handle, "RespondActivityTaskFailed", &req.base,
              &temporal__api__workflowservice__v1__respond_activity_task_failed_response__descriptor, NULL,
              NULL);
  } else {
    FailedByIdRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_FAILED_BY_ID_REQUEST__INIT;
    req.namespace_ = handle->client->namespace_;
    req.workflow_id = handle->workflow_id;
    req.run_id = handle->run_id;
    req.activity_id = handle->activity_id;
    req.failure = failure;
    req.identity = handle->client->identity;
    rc = call(handle, "RespondActivityTaskFailedById", &req.base,
              &temporal__api__workflowservice__v1__respond_activity_task_failed_by_id_response__descriptor,
              NULL, NULL);
  }
  free_message(failure);
  return rc;
}

int temporal_async_activity_heartbeat(temporal_async_activity_handle *handle,
                                      const temporal_payload *const *details, size_t count,
                                      temporal_async_heartbeat_response *response_out) {
  if (response_out) memset(response_out, 0, sizeof *response_out);
  int rc = check_handle(handle, "temporal_async_activity_heartbeat");
  if (rc != 0) return rc;
  Temporal__Api__Common__V1__Payloads *payloads = NULL;
  if ((rc = details_proto(&payloads, details, count)) != 0) return rc;
  ProtobufCMessage *resp = NULL;
  temporal_async_heartbeat_response got = {false, false, false};
  if (handle->token_len) {
    HeartbeatRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_REQUEST__INIT;
    req.task_token = token_of(handle);
    req.details = payloads;
    req.identity = handle->client->identity;
    req.namespace_ = handle->client->namespace_;
    rc = call(handle, "RecordActivityTaskHeartbeat", &req.base,
              &temporal__api__workflowservice__v1__record_activity_task_heartbeat_response__descriptor, &resp,
              NULL);
    if (rc == 0) {
      const HeartbeatResponse *r = (const HeartbeatResponse *)resp;
      got = (temporal_async_heartbeat_response){r->cancel_requested, r->activity_paused, r->activity_reset};
    }
  } else {
    HeartbeatByIdRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RECORD_ACTIVITY_TASK_HEARTBEAT_BY_ID_REQUEST__INIT;
    req.namespace_ = handle->client->namespace_;
    req.workflow_id = handle->workflow_id;
    req.run_id = handle->run_id;
    req.activity_id = handle->activity_id;
    req.details = payloads;
    req.identity = handle->client->identity;
    rc = call(handle, "RecordActivityTaskHeartbeatById", &req.base,
              &temporal__api__workflowservice__v1__record_activity_task_heartbeat_by_id_response__descriptor,
              &resp, NULL);
    if (rc == 0) {
      const HeartbeatByIdResponse *r = (const HeartbeatByIdResponse *)resp;
      got = (temporal_async_heartbeat_response){r->cancel_requested, r->activity_paused, r->activity_reset};
    }
  }
  free_message(resp);
  free_message(payloads);
  if (rc == 0 && response_out) *response_out = got;
  return rc;
}

/* Whether a refused RespondActivityTaskCanceled means "cancellation was not requested". The server
 * says so differently per kind: INVALID_ARGUMENT "unable to mark activity as canceled without activity
 * being request canceled first" for a workflow's activity, FAILED_PRECONDITION "invalid transition
 * from Started" for a standalone one. INVALID_ARGUMENT also covers a malformed task token, so that
 * code counts only when the message speaks of cancellation. */
static bool refused_cancellation(const temporal__call_status *status) {
  if (status->grpc_code == GRPC_STATUS_FAILED_PRECONDITION) return true;
  return status->grpc_code == GRPC_STATUS_INVALID_ARGUMENT && strstr(status->message, "cancel") != NULL;
}

int temporal_async_activity_report_cancellation(temporal_async_activity_handle *handle,
                                                const temporal_payload *const *details, size_t count) {
  int rc = check_handle(handle, "temporal_async_activity_report_cancellation");
  if (rc != 0) return rc;
  Temporal__Api__Common__V1__Payloads *payloads = NULL;
  if ((rc = details_proto(&payloads, details, count)) != 0) return rc;
  temporal__call_status status = {0, ""};
  if (handle->token_len) {
    CanceledRequest req = TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_CANCELED_REQUEST__INIT;
    req.task_token = token_of(handle);
    req.details = payloads;
    req.identity = handle->client->identity;
    req.namespace_ = handle->client->namespace_;
    rc = call(handle, "RespondActivityTaskCanceled", &req.base,
              &temporal__api__workflowservice__v1__respond_activity_task_canceled_response__descriptor, NULL,
              &status);
  } else {
    CanceledByIdRequest req =
        TEMPORAL__API__WORKFLOWSERVICE__V1__RESPOND_ACTIVITY_TASK_CANCELED_BY_ID_REQUEST__INIT;
    req.namespace_ = handle->client->namespace_;
    req.workflow_id = handle->workflow_id;
    req.run_id = handle->run_id;
    req.activity_id = handle->activity_id;
    req.details = payloads;
    req.identity = handle->client->identity;
    rc = call(handle, "RespondActivityTaskCanceledById", &req.base,
              &temporal__api__workflowservice__v1__respond_activity_task_canceled_by_id_response__descriptor,
              NULL, &status);
  }
  free_message(payloads);
  if (rc != 0 && refused_cancellation(&status)) {
    char detail[600];
    snprintf(detail, sizeof detail, "%s", temporal_error_last());
    return temporal__error(
        TEMPORAL_ESTATE,
        "the server refused the cancellation report: it is accepted only after cancellation "
        "was requested (fail the activity instead) (%s)",
        detail);
  }
  return rc;
}
