/* client/respond.c without a server: each of the eight requests carries what its caller gave, under
 * the right method; misuse is refused before any call; a send returns the transport's code and
 * status. */
#include <grpc/status.h>

#include "client/respond.h"
#include "core/core.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "test.h"

typedef Temporal__Api__Common__V1__Payloads Payloads;

/* Three payloads that differ in metadata and data: JSON, bytes (one with no data at all) and null. */
static void make_payloads(temporal_payload *p[3]) {
  CHECK_EQ_INT(0, temporal_payload_new_string(&p[0], "héllo"));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&p[1], "", 0));
  CHECK_EQ_INT(0, temporal_payload_new_null(&p[2]));
}

static void free_payloads(temporal_payload *p[3]) {
  for (int i = 0; i < 3; i++) temporal_payload_free(p[i]);
}

static const uint8_t TOKEN[] = {1, 2, 3, 0, 255};

static temporal__respond_target by_token(void) {
  return (temporal__respond_target){
      .namespace_ = "ns", .identity = "me@host", .task_token = TOKEN, .task_token_len = sizeof TOKEN};
}

static temporal__respond_target by_ids(const char *workflow_id) {
  return (temporal__respond_target){.namespace_ = "ns",
                                    .identity = "me@host",
                                    .workflow_id = workflow_id,
                                    .run_id = "run-1",
                                    .activity_id = "act-1"};
}

/* Encodes `msg` for `to`, checks the method and unpacks the bytes as `descriptor`. */
static ProtobufCMessage *encode(const temporal__respond_target *to, const temporal__respond_msg *msg,
                                const char *method, const ProtobufCMessageDescriptor *descriptor) {
  uint8_t *buf = NULL;
  size_t len = 0;
  const char *got = NULL;
  int rc = temporal__respond_encode(&buf, &len, &got, to, msg);
  if (rc != 0) TEST_FAIL("encode %s: %d %s", method, rc, temporal_error_last());
  CHECK_STR_EQ(method, got);
  CHECK_STR_EQ(method, temporal__respond_method(to, msg->kind));
  ProtobufCMessage *m = protobuf_c_message_unpack(descriptor, NULL, len, buf);
  free(buf);
  CHECK(m != NULL);
  return m;
}

static void check_token(ProtobufCBinaryData token) {
  CHECK_EQ_INT(sizeof TOKEN, token.len);
  CHECK(memcmp(TOKEN, token.data, sizeof TOKEN) == 0);
}

/* The payloads field holds p[0..count) as they were given. */
static void check_payloads(const Payloads *got, temporal_payload *p[3], size_t count) {
  if (!count) {
    CHECK(got == NULL);
    return;
  }
  CHECK(got != NULL);
  CHECK_EQ_INT(count, got->n_payloads);
  for (size_t i = 0; i < count; i++) {
    size_t len = 0;
    const uint8_t *data = temporal_payload_data(p[i], &len);
    CHECK_EQ_INT(len, got->payloads[i]->data.len);
    CHECK(len == 0 || memcmp(data, got->payloads[i]->data.data, len) == 0);
    CHECK_EQ_INT(1, got->payloads[i]->n_metadata);
    CHECK_STR_EQ("encoding", got->payloads[i]->metadata[0]->key);
  }
}

static void check_failure(const Temporal__Api__Failure__V1__Failure *f) {
  CHECK(f != NULL);
  CHECK_STR_EQ("it broke", f->message);
  CHECK(f->application_failure_info != NULL);
  CHECK_STR_EQ("Broken", f->application_failure_info->type);
  CHECK(f->application_failure_info->non_retryable);
}

TEST(respond_requests_by_token) {
  temporal_payload *p[3];
  make_payloads(p);
  const temporal_payload *const *list = (const temporal_payload *const *)p;
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  CHECK_EQ_INT(0, temporal__failure_new(&failure, "Broken", "it broke", true));
  temporal__respond_target to = by_token();

  temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_COMPLETED, .payloads = list, .payload_count = 1};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest *completed = (void *)encode(
      &to, &msg, "RespondActivityTaskCompleted",
      &temporal__api__workflowservice__v1__respond_activity_task_completed_request__descriptor);
  check_token(completed->task_token);
  CHECK_STR_EQ("ns", completed->namespace_);
  CHECK_STR_EQ("me@host", completed->identity);
  check_payloads(completed->result, p, 1);
  protobuf_c_message_free_unpacked(&completed->base, NULL);

  msg = (temporal__respond_msg){
      .kind = TEMPORAL__RESPOND_FAILED, .failure = failure, .payloads = list, .payload_count = 2};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedRequest *failed =
      (void *)encode(&to, &msg, "RespondActivityTaskFailed",
                     &temporal__api__workflowservice__v1__respond_activity_task_failed_request__descriptor);
  check_token(failed->task_token);
  CHECK_STR_EQ("ns", failed->namespace_);
  CHECK_STR_EQ("me@host", failed->identity);
  check_failure(failed->failure);
  check_payloads(failed->last_heartbeat_details, p, 2);
  protobuf_c_message_free_unpacked(&failed->base, NULL);

  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_CANCELED, .payloads = list, .payload_count = 3};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledRequest *canceled =
      (void *)encode(&to, &msg, "RespondActivityTaskCanceled",
                     &temporal__api__workflowservice__v1__respond_activity_task_canceled_request__descriptor);
  check_token(canceled->task_token);
  CHECK_STR_EQ("ns", canceled->namespace_);
  CHECK_STR_EQ("me@host", canceled->identity);
  check_payloads(canceled->details, p, 3);
  protobuf_c_message_free_unpacked(&canceled->base, NULL);

  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_HEARTBEAT, .payloads = list, .payload_count = 1};
  Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatRequest *heartbeat =
      (void *)encode(&to, &msg, "RecordActivityTaskHeartbeat",
                     &temporal__api__workflowservice__v1__record_activity_task_heartbeat_request__descriptor);
  check_token(heartbeat->task_token);
  CHECK_STR_EQ("ns", heartbeat->namespace_);
  CHECK_STR_EQ("me@host", heartbeat->identity);
  check_payloads(heartbeat->details, p, 1);
  protobuf_c_message_free_unpacked(&heartbeat->base, NULL);

  protobuf_c_message_free_unpacked(&failure->base, NULL);
  free_payloads(p);
}

static void check_ids(const char *workflow_id, const char *run_id, const char *activity_id, const char *ns,
                      const char *identity, const char *expected_workflow_id) {
  CHECK_STR_EQ(expected_workflow_id, workflow_id);
  CHECK_STR_EQ("run-1", run_id);
  CHECK_STR_EQ("act-1", activity_id);
  CHECK_STR_EQ("ns", ns);
  CHECK_STR_EQ("me@host", identity);
}

/* workflow_id "wf" for a workflow's activity, "" for a standalone one. */
static void check_requests_by_ids(const char *workflow_id) {
  temporal_payload *p[3];
  make_payloads(p);
  const temporal_payload *const *list = (const temporal_payload *const *)p;
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  CHECK_EQ_INT(0, temporal__failure_new(&failure, "Broken", "it broke", true));
  temporal__respond_target to = by_ids(workflow_id);

  temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_COMPLETED, .payloads = list, .payload_count = 1};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedByIdRequest *completed = (void *)encode(
      &to, &msg, "RespondActivityTaskCompletedById",
      &temporal__api__workflowservice__v1__respond_activity_task_completed_by_id_request__descriptor);
  check_ids(completed->workflow_id, completed->run_id, completed->activity_id, completed->namespace_,
            completed->identity, workflow_id);
  check_payloads(completed->result, p, 1);
  protobuf_c_message_free_unpacked(&completed->base, NULL);

  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_FAILED, .failure = failure};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskFailedByIdRequest *failed = (void *)encode(
      &to, &msg, "RespondActivityTaskFailedById",
      &temporal__api__workflowservice__v1__respond_activity_task_failed_by_id_request__descriptor);
  check_ids(failed->workflow_id, failed->run_id, failed->activity_id, failed->namespace_, failed->identity,
            workflow_id);
  check_failure(failed->failure);
  check_payloads(failed->last_heartbeat_details, p, 0);
  protobuf_c_message_free_unpacked(&failed->base, NULL);

  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_CANCELED, .payloads = list, .payload_count = 2};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskCanceledByIdRequest *canceled = (void *)encode(
      &to, &msg, "RespondActivityTaskCanceledById",
      &temporal__api__workflowservice__v1__respond_activity_task_canceled_by_id_request__descriptor);
  check_ids(canceled->workflow_id, canceled->run_id, canceled->activity_id, canceled->namespace_,
            canceled->identity, workflow_id);
  check_payloads(canceled->details, p, 2);
  protobuf_c_message_free_unpacked(&canceled->base, NULL);

  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_HEARTBEAT};
  Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdRequest *heartbeat = (void *)encode(
      &to, &msg, "RecordActivityTaskHeartbeatById",
      &temporal__api__workflowservice__v1__record_activity_task_heartbeat_by_id_request__descriptor);
  check_ids(heartbeat->workflow_id, heartbeat->run_id, heartbeat->activity_id, heartbeat->namespace_,
            heartbeat->identity, workflow_id);
  check_payloads(heartbeat->details, p, 0);
  protobuf_c_message_free_unpacked(&heartbeat->base, NULL);

  protobuf_c_message_free_unpacked(&failure->base, NULL);
  free_payloads(p);
}

TEST(respond_requests_by_workflow_ids) {
  check_requests_by_ids("wf");
}

TEST(respond_requests_standalone) {
  check_requests_by_ids("");
}

TEST(respond_completed_without_value_is_binary_null) {
  temporal__respond_target to = by_token();
  temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_COMPLETED};
  Temporal__Api__Workflowservice__V1__RespondActivityTaskCompletedRequest *completed = (void *)encode(
      &to, &msg, "RespondActivityTaskCompleted",
      &temporal__api__workflowservice__v1__respond_activity_task_completed_request__descriptor);
  CHECK(completed->result != NULL);
  CHECK_EQ_INT(1, completed->result->n_payloads);
  const Temporal__Api__Common__V1__Payload *p = completed->result->payloads[0];
  CHECK_EQ_INT(0, p->data.len);
  CHECK_EQ_INT(1, p->n_metadata);
  CHECK_STR_EQ("encoding", p->metadata[0]->key);
  CHECK_EQ_INT(strlen("binary/null"), p->metadata[0]->value.len);
  CHECK(memcmp("binary/null", p->metadata[0]->value.data, strlen("binary/null")) == 0);
  protobuf_c_message_free_unpacked(&completed->base, NULL);
}

TEST(respond_null_ids_are_empty) {
  /* A standalone activity's latest run: no workflow id, no run id. */
  temporal__respond_target to = {.namespace_ = "ns", .activity_id = "act-1"};
  temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_HEARTBEAT};
  Temporal__Api__Workflowservice__V1__RecordActivityTaskHeartbeatByIdRequest *heartbeat = (void *)encode(
      &to, &msg, "RecordActivityTaskHeartbeatById",
      &temporal__api__workflowservice__v1__record_activity_task_heartbeat_by_id_request__descriptor);
  CHECK_STR_EQ("", heartbeat->workflow_id);
  CHECK_STR_EQ("", heartbeat->run_id);
  CHECK_STR_EQ("", heartbeat->identity);
  CHECK_STR_EQ("act-1", heartbeat->activity_id);
  protobuf_c_message_free_unpacked(&heartbeat->base, NULL);
}

TEST(respond_refuses_misuse) {
  temporal_payload *p[3];
  make_payloads(p);
  const temporal_payload *const *list = (const temporal_payload *const *)p;
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  CHECK_EQ_INT(0, temporal__failure_new(&failure, "Broken", "it broke", false));
  temporal__respond_target token = by_token(), nobody = {.namespace_ = "ns", .workflow_id = "wf"};
  uint8_t *buf = (uint8_t *)1;
  size_t len = 1;

  temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_FAILED};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_encode(&buf, &len, NULL, &token, &msg));
  CHECK_CONTAINS(temporal_error_last(), "RespondActivityTaskFailed: a failure goes with");
  CHECK(buf == NULL && len == 0);
  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_CANCELED, .failure = failure};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_encode(&buf, &len, NULL, &token, &msg));
  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_COMPLETED, .payloads = list, .payload_count = 2};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_encode(&buf, &len, NULL, &token, &msg));
  CHECK_CONTAINS(temporal_error_last(), "2 result payloads");
  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_HEARTBEAT};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_encode(&buf, &len, NULL, &nobody, &msg));
  CHECK_CONTAINS(temporal_error_last(),
                 "RecordActivityTaskHeartbeatById: neither a task token nor an activity id");
  msg = (temporal__respond_msg){.kind = (temporal__respond_kind)7};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_encode(&buf, &len, NULL, &token, &msg));
  CHECK_STR_EQ("?", temporal__respond_method(&token, (temporal__respond_kind)7));
  const temporal_payload *holes[2] = {p[0], NULL};
  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_HEARTBEAT, .payloads = holes, .payload_count = 2};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_encode(&buf, &len, NULL, &token, &msg));
  CHECK_CONTAINS(temporal_error_last(), "payload 1 is NULL");

  /* Refused before any call: the status says nothing was answered, the answer is all false. */
  temporal__call_status status = {GRPC_STATUS_OK, "stale"};
  temporal__heartbeat_answer answer = {true, true, true};
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__respond_send(&token, &msg, NULL, &status, &answer));
  CHECK_EQ_INT(GRPC_STATUS_UNKNOWN, status.grpc_code);
  CHECK(!answer.cancel_requested && !answer.activity_paused && !answer.activity_reset);
  CHECK(!temporal__respond_cancel_refused(&status));

  protobuf_c_message_free_unpacked(&failure->base, NULL);
  free_payloads(p);
}

TEST(respond_cancel_refused) {
  temporal__call_status s = {
      GRPC_STATUS_INVALID_ARGUMENT,
      "unable to mark activity as canceled without activity being request canceled first"};
  CHECK(temporal__respond_cancel_refused(&s));
  s = (temporal__call_status){GRPC_STATUS_FAILED_PRECONDITION, "invalid transition from Started"};
  CHECK(temporal__respond_cancel_refused(&s));
  s = (temporal__call_status){GRPC_STATUS_INVALID_ARGUMENT, "Invalid TaskToken."};
  CHECK(!temporal__respond_cancel_refused(&s));
  s = (temporal__call_status){GRPC_STATUS_NOT_FOUND, "activity already canceled"};
  CHECK(!temporal__respond_cancel_refused(&s));
  s = (temporal__call_status){GRPC_STATUS_OK, ""};
  CHECK(!temporal__respond_cancel_refused(&s));
  CHECK(!temporal__respond_cancel_refused(NULL));
}

/* Nothing listens on port 1 of the loopback: connections are refused at once. */
TEST(respond_send_returns_the_transport_code) {
  temporal_client_options copts = TEMPORAL_CLIENT_OPTIONS_INIT;
  copts.target = "127.0.0.1:1";
  temporal__transport *t = NULL;
  CHECK_EQ_INT(0, temporal__transport_new(&t, &copts));
  temporal__respond_target to = by_ids("wf");
  to.transport = t;
  temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_HEARTBEAT};
  temporal__call_options opts = {.timeout = 2 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_NONE};
  temporal__call_status status;
  temporal__heartbeat_answer answer = {true, true, true};
  CHECK_EQ_INT(TEMPORAL_ETRANSPORT, temporal__respond_send(&to, &msg, &opts, &status, &answer));
  CHECK_EQ_INT(GRPC_STATUS_UNAVAILABLE, status.grpc_code);
  CHECK_CONTAINS(temporal_error_last(), "RecordActivityTaskHeartbeatById: UNAVAILABLE");
  CHECK(!answer.cancel_requested && !answer.activity_paused && !answer.activity_reset);

  /* The caller's cancel source is the one the call uses. */
  temporal__cancel_source *src = NULL;
  CHECK_EQ_INT(0, temporal__cancel_source_new(&src));
  temporal__cancel_source_cancel(src);
  opts.cancel = src;
  to = by_token();
  to.transport = t;
  msg = (temporal__respond_msg){.kind = TEMPORAL__RESPOND_CANCELED};
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, temporal__respond_send(&to, &msg, &opts, &status, NULL));
  CHECK_EQ_INT(GRPC_STATUS_CANCELLED, status.grpc_code);
  CHECK_CONTAINS(temporal_error_last(), "RespondActivityTaskCanceled: cancelled");
  temporal__cancel_source_free(src);
  temporal__transport_free(t);
}
