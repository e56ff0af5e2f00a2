/* Transport and client logic that needs no server: status names and mapping, retry classification,
 * error details, cancel sources, and calls against a port where nothing listens. */
#include <pthread.h>

#include <grpc/status.h>

#include "client/client_util.h"
#include "core/core.h"
#include "google/protobuf/any.pb-c.h"
#include "google/rpc/status.pb-c.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "test.h"
#include "transport/transport_private.h"

/* Nothing listens on port 1 of the loopback: connections are refused at once. */
#define DEAD_TARGET "127.0.0.1:1"

TEST(transport_code_names) {
  CHECK_STR_EQ("OK", temporal__grpc_code_name(GRPC_STATUS_OK));
  CHECK_STR_EQ("NOT_FOUND", temporal__grpc_code_name(GRPC_STATUS_NOT_FOUND));
  CHECK_STR_EQ("UNAVAILABLE", temporal__grpc_code_name(GRPC_STATUS_UNAVAILABLE));
  CHECK_STR_EQ("UNAUTHENTICATED", temporal__grpc_code_name(GRPC_STATUS_UNAUTHENTICATED));
  CHECK_STR_EQ("UNKNOWN_CODE", temporal__grpc_code_name(99));
}

TEST(transport_status_mapping) {
  CHECK_EQ_INT(TEMPORAL_OK, temporal__grpc_status_to_error(GRPC_STATUS_OK, "", false));
  CHECK_EQ_INT(TEMPORAL_ENOTFOUND, temporal__grpc_status_to_error(GRPC_STATUS_NOT_FOUND, "x", false));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__grpc_status_to_error(GRPC_STATUS_INVALID_ARGUMENT, "x", false));
  CHECK_EQ_INT(TEMPORAL_EEXISTS, temporal__grpc_status_to_error(GRPC_STATUS_ALREADY_EXISTS, "x", false));
  CHECK_EQ_INT(TEMPORAL_ETIMEDOUT, temporal__grpc_status_to_error(GRPC_STATUS_DEADLINE_EXCEEDED, "x", false));
  CHECK_EQ_INT(TEMPORAL_ETRANSPORT, temporal__grpc_status_to_error(GRPC_STATUS_UNAVAILABLE, "x", false));
  CHECK_EQ_INT(TEMPORAL_ESERVER, temporal__grpc_status_to_error(GRPC_STATUS_INTERNAL, "x", false));
  CHECK_EQ_INT(TEMPORAL_ESERVER, temporal__grpc_status_to_error(GRPC_STATUS_FAILED_PRECONDITION, "x", false));
  CHECK_EQ_INT(TEMPORAL_ESERVER, temporal__grpc_status_to_error(GRPC_STATUS_PERMISSION_DENIED, "x", false));
  CHECK_EQ_INT(TEMPORAL_ESERVER, temporal__grpc_status_to_error(GRPC_STATUS_CANCELLED, "x", false));
  CHECK_EQ_INT(TEMPORAL_ESERVER,
               temporal__grpc_status_to_error(GRPC_STATUS_RESOURCE_EXHAUSTED, "busy", false));
  CHECK_EQ_INT(TEMPORAL_ETOOBIG,
               temporal__grpc_status_to_error(GRPC_STATUS_RESOURCE_EXHAUSTED,
                                              "Received message larger than max (5 vs. 4)", false));
  CHECK_EQ_INT(TEMPORAL_ETOOBIG,
               temporal__grpc_status_to_error(GRPC_STATUS_RESOURCE_EXHAUSTED,
                                              "grpc: received message larger than max", false));
  /* Our own cancellation wins over whatever status the call ended with. */
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, temporal__grpc_status_to_error(GRPC_STATUS_UNAVAILABLE, "x", true));
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, temporal__grpc_status_to_error(GRPC_STATUS_CANCELLED, "x", true));
}

TEST(transport_retry_classification) {
  const temporal__retry_mode D = TEMPORAL__RETRY_DEFAULT, N = TEMPORAL__RETRY_NONE,
                             F = TEMPORAL__RETRY_FOREVER, U = TEMPORAL__RETRY_UNTIL;
  int retryable[] = {GRPC_STATUS_UNAVAILABLE, GRPC_STATUS_UNKNOWN, GRPC_STATUS_ABORTED,
                     GRPC_STATUS_RESOURCE_EXHAUSTED, GRPC_STATUS_INTERNAL};
  for (size_t i = 0; i < sizeof retryable / sizeof retryable[0]; i++) {
    CHECK(temporal__grpc_is_retryable(retryable[i], "", D, false));
    CHECK(temporal__grpc_is_retryable(retryable[i], "", F, false));
    CHECK(temporal__grpc_is_retryable(retryable[i], "", U, false));
    CHECK(!temporal__grpc_is_retryable(retryable[i], "", N, false));
  }
  int final[] = {GRPC_STATUS_NOT_FOUND,           GRPC_STATUS_INVALID_ARGUMENT,
                 GRPC_STATUS_ALREADY_EXISTS,      GRPC_STATUS_PERMISSION_DENIED,
                 GRPC_STATUS_FAILED_PRECONDITION, GRPC_STATUS_UNAUTHENTICATED,
                 GRPC_STATUS_UNIMPLEMENTED,       GRPC_STATUS_CANCELLED};
  for (size_t i = 0; i < sizeof final / sizeof final[0]; i++) {
    CHECK(!temporal__grpc_is_retryable(final[i], "", D, false));
    CHECK(!temporal__grpc_is_retryable(final[i], "", F, false));
    CHECK(!temporal__grpc_is_retryable(final[i], "", U, false));
  }
  /* INTERNAL is a real error once the server says it differentiates them. */
  CHECK(!temporal__grpc_is_retryable(GRPC_STATUS_INTERNAL, "", D, true));
  CHECK(temporal__grpc_is_retryable(GRPC_STATUS_UNAVAILABLE, "", D, true));
  /* Too big never gets smaller. */
  CHECK(!temporal__grpc_is_retryable(GRPC_STATUS_RESOURCE_EXHAUSTED, "Sent message larger than max (9 vs. 8)",
                                     F, false));
  /* An expired long poll is retried by polls, and an unanswered report by reports (UNTIL). */
  CHECK(temporal__grpc_is_retryable(GRPC_STATUS_DEADLINE_EXCEEDED, "", F, false));
  CHECK(temporal__grpc_is_retryable(GRPC_STATUS_DEADLINE_EXCEEDED, "", U, false));
  CHECK(!temporal__grpc_is_retryable(GRPC_STATUS_DEADLINE_EXCEEDED, "", D, false));
}

/* Packs a google.rpc.Status with one detail of `type_url` (NULL: no detail). Caller frees. */
static uint8_t *pack_status(size_t *len, const char *type_url) {
  Google__Rpc__Status status = GOOGLE__RPC__STATUS__INIT;
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  Google__Protobuf__Any *details[1] = {&any};
  status.code = GRPC_STATUS_NOT_FOUND;
  status.message = "Namespace x is not found.";
  if (type_url) {
    any.type_url = (char *)type_url;
    status.n_details = 1;
    status.details = details;
  }
  *len = google__rpc__status__get_packed_size(&status);
  uint8_t *buf = malloc(*len ? *len : 1);
  google__rpc__status__pack(&status, buf);
  return buf;
}

TEST(transport_status_detail_type) {
  char out[64];
  size_t len = 0;
  uint8_t *buf =
      pack_status(&len, "type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure");
  CHECK(temporal__status_detail_type(out, sizeof out, buf, len));
  CHECK_STR_EQ("NamespaceNotFoundFailure", out);
  /* Truncated to the buffer, still terminated. */
  char small[8];
  CHECK(temporal__status_detail_type(small, sizeof small, buf, len));
  CHECK_STR_EQ("Namespa", small);
  free(buf);

  buf = pack_status(&len, "type.googleapis.com/NoPackage");
  CHECK(temporal__status_detail_type(out, sizeof out, buf, len));
  CHECK_STR_EQ("NoPackage", out);
  free(buf);

  buf = pack_status(&len, NULL);
  CHECK(!temporal__status_detail_type(out, sizeof out, buf, len));
  CHECK_STR_EQ("", out);
  free(buf);

  const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  CHECK(!temporal__status_detail_type(out, sizeof out, garbage, sizeof garbage));
  CHECK_STR_EQ("", out);
  CHECK(!temporal__status_detail_type(out, sizeof out, NULL, 0));
}

TEST(transport_cancel_source_basics) {
  temporal__cancel_source *src = NULL;
  CHECK_EQ_INT(0, temporal__cancel_source_new(&src));
  CHECK(!temporal__cancel_source_is_cancelled(src));
  CHECK(!temporal__cancel_source_is_cancelled(NULL));
  CHECK(temporal__cancel_source_sleep(src, TEMPORAL_MS));
  temporal__cancel_source_cancel(src);
  temporal__cancel_source_cancel(src); /* idempotent */
  CHECK(temporal__cancel_source_is_cancelled(src));
  int64_t t0 = temporal__monotonic_ns();
  CHECK(!temporal__cancel_source_sleep(src, 10 * TEMPORAL_SECOND));
  CHECK(temporal__monotonic_ns() - t0 < TEMPORAL_SECOND);
  temporal__cancel_source_free(src);
  temporal__cancel_source_free(NULL);
  temporal__cancel_source_cancel(NULL);
}

static void *cancel_later(void *arg) {
  temporal__sleep_ns(200 * TEMPORAL_MS);
  temporal__cancel_source_cancel(arg);
  return NULL;
}

TEST(transport_cancel_source_wakes_sleepers) {
  temporal__cancel_source *src = NULL;
  CHECK_EQ_INT(0, temporal__cancel_source_new(&src));
  pthread_t th;
  pthread_create(&th, NULL, cancel_later, src);
  int64_t t0 = temporal__monotonic_ns();
  CHECK(!temporal__cancel_source_sleep(src, 20 * TEMPORAL_SECOND));
  CHECK(temporal__monotonic_ns() - t0 < 5 * TEMPORAL_SECOND);
  pthread_join(th, NULL);
  temporal__cancel_source_free(src);
}

static temporal__transport *dead_transport(void) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.target = DEAD_TARGET;
  temporal__transport *t = NULL;
  CHECK_EQ_INT(0, temporal__transport_new(&t, &opts));
  return t;
}

static int system_info(temporal__transport *t, const temporal__call_options *opts,
                       temporal__call_status *status) {
  Temporal__Api__Workflowservice__V1__GetSystemInfoRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
  ProtobufCMessage *resp = NULL;
  int rc = temporal__transport_call(t, "GetSystemInfo", &req.base,
                                    &temporal__api__workflowservice__v1__get_system_info_response__descriptor,
                                    &resp, opts, status);
  CHECK(resp == NULL);
  return rc;
}

TEST(transport_call_unreachable) {
  temporal__transport *t = dead_transport();
  temporal__call_options opts = {.timeout = 2 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_NONE};
  temporal__call_status status;
  CHECK_EQ_INT(TEMPORAL_ETRANSPORT, system_info(t, &opts, &status));
  CHECK_EQ_INT(GRPC_STATUS_UNAVAILABLE, status.grpc_code);
  CHECK_CONTAINS(temporal_error_last(), "GetSystemInfo: UNAVAILABLE");
  temporal__transport_free(t);
}

TEST(transport_call_precancelled) {
  temporal__transport *t = dead_transport();
  temporal__cancel_source *src = NULL;
  CHECK_EQ_INT(0, temporal__cancel_source_new(&src));
  temporal__cancel_source_cancel(src);
  temporal__call_options opts = {.retry = TEMPORAL__RETRY_FOREVER, .cancel = src};
  temporal__call_status status;
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, system_info(t, &opts, &status));
  CHECK_EQ_INT(GRPC_STATUS_CANCELLED, status.grpc_code);
  CHECK_CONTAINS(temporal_error_last(), "cancelled");
  temporal__cancel_source_free(src);
  temporal__transport_free(t);
}

TEST(transport_call_cancel_ends_retry_forever) {
  temporal__transport *t = dead_transport();
  temporal__cancel_source *src = NULL;
  CHECK_EQ_INT(0, temporal__cancel_source_new(&src));
  pthread_t th;
  pthread_create(&th, NULL, cancel_later, src);
  temporal__call_options opts = {.retry = TEMPORAL__RETRY_FOREVER, .cancel = src};
  int64_t t0 = temporal__monotonic_ns();
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, system_info(t, &opts, NULL));
  CHECK(temporal__monotonic_ns() - t0 < 5 * TEMPORAL_SECOND);
  pthread_join(th, NULL);
  temporal__cancel_source_free(src);
  temporal__transport_free(t);
}

TEST(transport_call_invalid_arguments) {
  temporal__transport *t = dead_transport();
  ProtobufCMessage *resp = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__transport_call(
                                    t, "GetSystemInfo", NULL,
                                    &temporal__api__workflowservice__v1__get_system_info_response__descriptor,
                                    &resp, NULL, NULL));
  temporal__transport_free(t);
}

TEST(client_connect_unreachable) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.target = DEAD_TARGET;
  opts.connect_timeout = 500 * TEMPORAL_MS;
  temporal_client *client = (temporal_client *)1;
  int64_t t0 = temporal__monotonic_ns();
  CHECK_EQ_INT(TEMPORAL_ETRANSPORT, temporal_client_connect(&client, &opts));
  int64_t took = temporal__monotonic_ns() - t0;
  CHECK(client == NULL);
  CHECK_CONTAINS(temporal_error_last(), "cannot reach server at " DEAD_TARGET);
  CHECK(took >= 400 * TEMPORAL_MS && took < 5 * TEMPORAL_SECOND);
}

TEST(client_connect_bad_options) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.version = 99;
  temporal_client *client = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_connect(&client, &opts));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_connect(NULL, NULL));
  temporal_client_free(NULL);
}

/* A client that was never connected: enough for option checks that fail before any call. */
TEST(client_option_validation) {
  temporal_client client = {
      .transport = NULL, .namespace_ = "default", .identity = "me", .server_version = ""};
  temporal_activity_handle *ah = (temporal_activity_handle *)1;
  temporal_activity_options aopts = TEMPORAL_ACTIVITY_OPTIONS_INIT;
  aopts.task_queue = "q";
  aopts.start_to_close_timeout = TEMPORAL_SECOND;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_start_activity(&ah, &client, &aopts, NULL, 0));
  CHECK(ah == NULL);
  CHECK_CONTAINS(temporal_error_last(), "activity_type");
  aopts.activity_type = "t";
  aopts.start_to_close_timeout = 0;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_start_activity(&ah, &client, &aopts, NULL, 0));
  CHECK_CONTAINS(temporal_error_last(), "start_to_close_timeout");

  temporal_workflow_handle *wh = NULL;
  temporal_workflow_options wopts = TEMPORAL_WORKFLOW_OPTIONS_INIT;
  wopts.workflow_type = "w";
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_start_workflow(&wh, &client, &wopts, NULL, 0));
  CHECK_CONTAINS(temporal_error_last(), "task_queue");
  wopts.task_queue = "q";
  wopts.version = 7;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_client_start_workflow(&wh, &client, &wopts, NULL, 0));
  CHECK(wh == NULL);
}

TEST(client_failure_info_free) {
  temporal_failure_info info;
  memset(&info, 0, sizeof info);
  CHECK_EQ_INT(0, temporal__client_failure_simple(&info, "CanceledError", "canceled"));
  CHECK_STR_EQ("CanceledError", info.type);
  CHECK_STR_EQ("canceled", info.message);
  temporal_failure_info_free(&info);
  CHECK(info.type == NULL && info.message == NULL && info.cause_type == NULL);
  temporal_failure_info_free(&info); /* twice is harmless */
  temporal_failure_info_free(NULL);
}

TEST(client_poll_timeouts) {
  CHECK_EQ_INT(TEMPORAL__LONG_POLL_TIMEOUT, temporal__client_poll_timeout(temporal__client_deadline(0)));
  temporal_duration_ns t = temporal__client_poll_timeout(temporal__client_deadline(5 * TEMPORAL_SECOND));
  CHECK(t > 4 * TEMPORAL_SECOND && t <= 5 * TEMPORAL_SECOND);
  t = temporal__client_poll_timeout(temporal__client_deadline(300 * TEMPORAL_SECOND));
  CHECK_EQ_INT(TEMPORAL__LONG_POLL_TIMEOUT, t);
  CHECK_EQ_INT(0, temporal__client_poll_timeout(temporal__monotonic_ns() - 1));

  Google__Protobuf__Duration *d = NULL;
  CHECK_EQ_INT(0, temporal__client_duration(&d, 0));
  CHECK(d == NULL);
  CHECK_EQ_INT(0, temporal__client_duration(&d, 2 * TEMPORAL_SECOND + 5));
  CHECK_EQ_INT(2, d->seconds);
  CHECK_EQ_INT(5, d->nanos);
  protobuf_c_message_free_unpacked(&d->base, NULL);
}
