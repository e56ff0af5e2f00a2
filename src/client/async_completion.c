/* Async activity completion through the client: finishing, failing, heartbeating and cancelling an
 * activity whose worker returned temporal_result_async(), by task token (RespondActivityTask* /
 * RecordActivityTaskHeartbeat) or by ids (their *ById variants; a standalone activity is addressed
 * with an empty workflow id and the activity's own run id). The requests are built by client/respond.c;
 * what is left here is the handles and the messages their users see. */
#include <stdlib.h>
#include <string.h>

#include "client/client_util.h"
#include "client/respond.h"

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

/* Names the activity in error messages: its ids, or "by task token". */
static void describe(char *buf, size_t size, const temporal_async_activity_handle *h) {
  if (h->token_len)
    snprintf(buf, size, "activity by task token");
  else if (*h->workflow_id)
    snprintf(buf, size, "activity \"%s\" of workflow \"%s\"", h->activity_id, h->workflow_id);
  else
    snprintf(buf, size, "standalone activity \"%s\"", h->activity_id);
}

/* One call about the handle's activity, retried on transient errors like any other call. Retrying a
 * completion is safe: if a try that did land lost its answer, the repeat gets NotFound and the first
 * outcome stands (the caller then sees TEMPORAL_ENOTFOUND for an activity it did settle: rare, and
 * never a double completion). */
static int call(temporal_async_activity_handle *h, const temporal__respond_msg *msg,
                temporal__call_status *status_out, temporal__heartbeat_answer *answer_out) {
  const temporal__respond_target to = {
      .transport = h->client->transport,
      .namespace_ = h->client->namespace_,
      .identity = h->client->identity,
      .task_token = h->token,
      .task_token_len = h->token_len,
      .workflow_id = h->workflow_id,
      .run_id = h->run_id,
      .activity_id = h->activity_id,
  };
  const temporal__call_options opts = {.retry = TEMPORAL__RETRY_DEFAULT};
  int rc = temporal__respond_send(&to, msg, &opts, status_out, answer_out);
  if (rc == TEMPORAL_ENOTFOUND) {
    /* The server's own words ("workflow execution already completed", "invalid activityID or
     * activity already timed out", ...) vary by case; the caller needs the one conclusion. */
    char detail[600], who[300];
    snprintf(detail, sizeof detail, "%s", temporal_error_last());
    describe(who, sizeof who, h);
    return temporal__error(rc, "activity not found: already completed, timed out, or never existed (%s; %s)",
                           who, detail);
  }
  return rc;
}

/* Details the caller passed: count 0 needs no array, and no entry may be NULL. The messages are the
 * ones these calls gave when they shared the workflow-input builder (temporal__client_input). */
static int check_details(const temporal_payload *const *details, size_t count) {
  if (count && !details)
    return temporal__error(TEMPORAL_EINVAL, "%zu arguments given but args is NULL", count);
  for (size_t i = 0; i < count; i++)
    if (!details[i]) return temporal__error(TEMPORAL_EINVAL, "argument %zu is NULL", i);
  return 0;
}

static int check_handle(const temporal_async_activity_handle *h, const char *fn) {
  if (!h) return temporal__error(TEMPORAL_EINVAL, "%s: handle is NULL", fn);
  return 0;
}

int temporal_async_activity_complete(temporal_async_activity_handle *handle, const temporal_payload *result) {
  int rc = check_handle(handle, "temporal_async_activity_complete");
  if (rc != 0) return rc;
  /* No result travels as binary/null (respond.h), as temporal_result_none() does from a worker. */
  const temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_COMPLETED,
                                     .payloads = result ? &result : NULL,
                                     .payload_count = result ? 1 : 0};
  return call(handle, &msg, NULL, NULL);
}

int temporal_async_activity_fail(temporal_async_activity_handle *handle,
                                 const temporal_application_error *error) {
  static const char fn[] = "temporal_async_activity_fail";
  int rc = check_handle(handle, fn);
  if (rc != 0) return rc;
  if (!error) return temporal__error(TEMPORAL_EINVAL, "%s: error is NULL", fn);
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  if ((rc = temporal__failure_from_application_error(&failure, error)) != 0) return rc;
  const temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_FAILED, .failure = failure};
  rc = call(handle, &msg, NULL, NULL);
  protobuf_c_message_free_unpacked(&failure->base, NULL);
  return rc;
}

int temporal_async_activity_heartbeat(temporal_async_activity_handle *handle,
                                      const temporal_payload *const *details, size_t count,
                                      temporal_async_heartbeat_response *response_out) {
  if (response_out) memset(response_out, 0, sizeof *response_out);
  int rc = check_handle(handle, "temporal_async_activity_heartbeat");
  if (rc != 0 || (rc = check_details(details, count)) != 0) return rc;
  const temporal__respond_msg msg = {
      .kind = TEMPORAL__RESPOND_HEARTBEAT, .payloads = details, .payload_count = count};
  temporal__heartbeat_answer answer;
  rc = call(handle, &msg, NULL, &answer);
  if (rc == 0 && response_out)
    *response_out = (temporal_async_heartbeat_response){answer.cancel_requested, answer.activity_paused,
                                                        answer.activity_reset};
  return rc;
}

int temporal_async_activity_report_cancellation(temporal_async_activity_handle *handle,
                                                const temporal_payload *const *details, size_t count) {
  int rc = check_handle(handle, "temporal_async_activity_report_cancellation");
  if (rc != 0 || (rc = check_details(details, count)) != 0) return rc;
  const temporal__respond_msg msg = {
      .kind = TEMPORAL__RESPOND_CANCELED, .payloads = details, .payload_count = count};
  temporal__call_status status;
  rc = call(handle, &msg, &status, NULL);
  if (rc != 0 && temporal__respond_cancel_refused(&status)) {
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
