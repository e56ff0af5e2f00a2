/* Writes the seed corpora of tests/fuzz/corpus/ (make fuzz-seeds): a few small, valid inputs per
 * target, each encoded by the library's own code or by protobuf-c from the real protos, so the
 * fuzzer starts from the formats as they are and not from guesses. Deterministic: running it again
 * writes the same files.
 *
 *   make_seeds CORPUS_DIR   (one subdirectory per target, created if missing) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "executor/job.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

static const char *corpus_dir;

static void die(const char *what) {
  fprintf(stderr, "make_seeds: %s\n", what);
  exit(1);
}

static void need(int rc, const char *what) {
  if (rc != 0) die(what);
}

/* corpus_dir/target/name := bytes */
static void write_seed(const char *target, const char *name, const void *bytes, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", corpus_dir, target);
  if (mkdir(path, 0755) != 0 && errno != EEXIST) die(path);
  snprintf(path, sizeof path, "%s/%s/%s", corpus_dir, target, name);
  FILE *f = fopen(path, "wb");
  if (!f || (len && fwrite(bytes, 1, len, f) != len) || fclose(f) != 0) die(path);
}

/* A packed message as a seed, with an optional leading byte (the args target's form selector). */
static void write_message(const char *target, const char *name, const ProtobufCMessage *msg, int lead) {
  size_t len = protobuf_c_message_get_packed_size(msg);
  uint8_t *buf = malloc(len + 1);
  if (!buf) die("out of memory");
  size_t off = lead >= 0 ? 1 : 0;
  if (lead >= 0) buf[0] = (uint8_t)lead;
  protobuf_c_message_pack(msg, buf + off);
  write_seed(target, name, buf, len + off);
  free(buf);
}

/* ---- payloads ------------------------------------------------------------------------------------ */

/* A malloc'd Payload proto with this encoding (none if NULL) and data, released with the message
 * that holds it. Built by hand so that text jansson would refuse (numbers too large, broken JSON)
 * can be a payload too. */
static Temporal__Api__Common__V1__Payload *raw_payload(const char *encoding, const char *data, size_t len) {
  Temporal__Api__Common__V1__Payload *p = malloc(sizeof *p);
  if (!p) die("out of memory");
  temporal__api__common__v1__payload__init(p);
  if (encoding) {
    Temporal__Api__Common__V1__Payload__MetadataEntry *e = malloc(sizeof *e);
    p->metadata = malloc(sizeof *p->metadata);
    if (!e || !p->metadata) die("out of memory");
    temporal__api__common__v1__payload__metadata_entry__init(e);
    e->key = strdup("encoding");
    e->value.data = (uint8_t *)strdup(encoding);
    e->value.len = strlen(encoding);
    p->metadata[0] = e;
    p->n_metadata = 1;
  }
  if (len) {
    p->data.data = malloc(len);
    if (!p->data.data) die("out of memory");
    memcpy(p->data.data, data, len);
    p->data.len = len;
  }
  return p;
}

static Temporal__Api__Common__V1__Payload *json_payload(const char *text) {
  return raw_payload(TEMPORAL_ENCODING_JSON, text, strlen(text));
}

/* A malloc'd Payloads proto taking `count` payloads. */
static Temporal__Api__Common__V1__Payloads *payloads(size_t count,
                                                     Temporal__Api__Common__V1__Payload **list) {
  Temporal__Api__Common__V1__Payloads *ps = malloc(sizeof *ps);
  if (!ps) die("out of memory");
  temporal__api__common__v1__payloads__init(ps);
  ps->payloads = malloc((count ? count : 1) * sizeof *ps->payloads);
  if (!ps->payloads) die("out of memory");
  if (count) memcpy(ps->payloads, list, count * sizeof *list);
  ps->n_payloads = count;
  return ps;
}

#define PAYLOADS(...)                                                                      \
  payloads(sizeof((Temporal__Api__Common__V1__Payload *[]){__VA_ARGS__}) / sizeof(void *), \
           (Temporal__Api__Common__V1__Payload *[]){__VA_ARGS__})

/* ---- args: 0x00 + packed Payloads, or 0x01 + JSON texts split by 0xff ------------------------------ */

static void args_packed(const char *name, Temporal__Api__Common__V1__Payloads *ps) {
  write_message("args", name, &ps->base, 0x00);
  protobuf_c_message_free_unpacked(&ps->base, NULL);
}

static void args_text(const char *name, const char *texts, size_t len) {
  uint8_t buf[512];
  buf[0] = 0x01;
  memcpy(buf + 1, texts, len);
  write_seed("args", name, buf, len + 1);
}
#define ARGS_TEXT(name, literal) args_text(name, literal, sizeof literal - 1)

static void seeds_args(void) {
  args_packed("packed-one-string", PAYLOADS(json_payload("\"World\"")));
  args_packed("packed-each-type",
              PAYLOADS(json_payload("42"), json_payload("-2.5"), json_payload("true"),
                       raw_payload(TEMPORAL_ENCODING_NULL, "", 0),
                       raw_payload(TEMPORAL_ENCODING_BINARY, "\x00\x01\xfe", 3),
                       json_payload("{\"name\":\"x\",\"tags\":[1,2]}"), json_payload("[null,false,\"\"]")));
  args_packed("packed-out-of-range",
              PAYLOADS(json_payload("123456789012345678901234567890"), json_payload("[1e400]")));
  args_packed("packed-bad-json", PAYLOADS(json_payload("{\"a\":")));
  args_packed("packed-unknown-encoding", PAYLOADS(raw_payload("text/x-unknown", "hello", 5)));
  args_packed("packed-no-encoding", PAYLOADS(raw_payload(NULL, "hello", 5)));
  args_packed("packed-no-arguments", payloads(0, NULL));
  ARGS_TEXT("text-scalars",
            "\"hello\"\xff"
            "42\xff"
            "4.0\xff"
            "1e300\xff"
            "false\xff"
            "null");
  ARGS_TEXT("text-nested", "{\"a\":{\"b\":[1,{\"c\":\"\\u00e9\"}]},\"d\":-0.0}");
  ARGS_TEXT("text-nul-in-string", "\"a\\u0000b\"");
  ARGS_TEXT("text-big-integers", "18446744073709551616\xff-9223372036854775809\xff[9223372036854775807]");
  ARGS_TEXT("text-broken", "[1,2\xff\"unterminated");
}

/* ---- failure_decode: packed Failure protos --------------------------------------------------------- */

typedef Temporal__Api__Failure__V1__Failure Failure;

static Failure failure_init(const char *message) {
  Failure f = TEMPORAL__API__FAILURE__V1__FAILURE__INIT;
  f.message = (char *)message;
  f.source = "PythonSDK";
  return f;
}

static void seeds_failure_decode(void) {
  Temporal__Api__Common__V1__Payload *detail = json_payload("{\"order\":17}");
  Temporal__Api__Common__V1__Payload *detail_list[] = {detail};
  Temporal__Api__Common__V1__Payloads details = TEMPORAL__API__COMMON__V1__PAYLOADS__INIT;
  details.n_payloads = 1;
  details.payloads = detail_list;
  Google__Protobuf__Duration delay = GOOGLE__PROTOBUF__DURATION__INIT;
  delay.seconds = 3;
  delay.nanos = 500000000;

  Temporal__Api__Failure__V1__ApplicationFailureInfo root_info =
      TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
  root_info.type = "PaymentDeclined";
  root_info.non_retryable = true;
  root_info.details = &details;
  root_info.next_retry_delay = &delay;
  root_info.category =
      TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_BENIGN;
  Temporal__Api__Failure__V1__ApplicationFailureInfo cause_info =
      TEMPORAL__API__FAILURE__V1__APPLICATION_FAILURE_INFO__INIT;
  cause_info.type = "IOError";

  Failure cause = failure_init("socket closed");
  cause.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  cause.application_failure_info = &cause_info;
  Failure app = failure_init("card refused");
  app.stack_trace = "  File \"pay.py\", line 3";
  app.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  app.application_failure_info = &root_info;
  app.cause = &cause;
  write_message("failure_decode", "application-with-cause", &app.base, -1);
  app.cause = NULL;
  write_message("failure_decode", "application-alone", &app.base, -1);

  /* An activity failure wrapping an application failure, as a workflow's result reports it. */
  Temporal__Api__Failure__V1__ActivityFailureInfo activity_info =
      TEMPORAL__API__FAILURE__V1__ACTIVITY_FAILURE_INFO__INIT;
  activity_info.activity_id = "1";
  activity_info.scheduled_event_id = 5;
  Failure wrapper = failure_init("Activity task failed");
  wrapper.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO;
  wrapper.activity_failure_info = &activity_info;
  wrapper.cause = &app;
  app.cause = &cause;
  write_message("failure_decode", "activity-wrapper", &wrapper.base, -1);

  Temporal__Api__Failure__V1__TimeoutFailureInfo timeout_info =
      TEMPORAL__API__FAILURE__V1__TIMEOUT_FAILURE_INFO__INIT;
  timeout_info.timeout_type = TEMPORAL__API__ENUMS__V1__TIMEOUT_TYPE__TIMEOUT_TYPE_START_TO_CLOSE;
  timeout_info.last_heartbeat_details = &details;
  Failure timeout = failure_init("activity StartToClose timeout");
  timeout.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO;
  timeout.timeout_failure_info = &timeout_info;
  write_message("failure_decode", "timeout", &timeout.base, -1);

  Temporal__Api__Failure__V1__ServerFailureInfo server_info =
      TEMPORAL__API__FAILURE__V1__SERVER_FAILURE_INFO__INIT;
  server_info.non_retryable = true;
  Failure server = failure_init("internal");
  server.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_SERVER_FAILURE_INFO;
  server.server_failure_info = &server_info;
  write_message("failure_decode", "server", &server.base, -1);

  /* Encoded common attributes: the real message in a JSON payload. */
  Temporal__Api__Common__V1__Payload *attrs =
      json_payload("{\"message\":\"real message\",\"stack_trace\":\"\"}");
  Failure encoded = failure_init("Encoded failure");
  encoded.encoded_attributes = attrs;
  encoded.failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  encoded.application_failure_info = &cause_info;
  write_message("failure_decode", "encoded-attributes", &encoded.base, -1);

  protobuf_c_message_free_unpacked(&attrs->base, NULL);
  protobuf_c_message_free_unpacked(&detail->base, NULL);
}

/* ---- failure_encode: the values fuzz_failure_encode.c reads (input.h) --------------------------- */

typedef struct writer {
  uint8_t buf[1024];
  size_t len;
} writer;

static void put_u8(writer *w, uint8_t v) {
  if (w->len == sizeof w->buf) die("failure_encode seed too long");
  w->buf[w->len++] = v;
}

static void put_u64(writer *w, uint64_t v) {
  for (int i = 0; i < 8; i++) put_u8(w, (uint8_t)(v >> (8 * i)));
}

static void put_text(writer *w, const char *s) {
  size_t len = strlen(s);
  put_u8(w, (uint8_t)len);
  for (size_t i = 0; i < len; i++) put_u8(w, (uint8_t)s[i]);
}

/* One error as read_error reads it: default type?, type, message, non_retryable, details (kind and
 * text each), next_retry_delay, category. */
static void put_error(writer *w, const char *type, const char *message, bool non_retryable, int64_t delay,
                      int category, size_t details, const char *const *texts, const uint8_t *kinds) {
  put_u8(w, type ? 0 : 1);
  put_text(w, type ? type : "");
  put_text(w, message);
  put_u8(w, non_retryable);
  put_u8(w, (uint8_t)details);
  for (size_t i = 0; i < details; i++) {
    put_u8(w, kinds[i]);
    put_text(w, texts[i]);
  }
  put_u64(w, (uint64_t)delay);
  put_u8(w, (uint8_t)category);
}

static void seeds_failure_encode(void) {
  writer w = {.len = 0};
  put_u8(&w, 0); /* one error */
  put_error(&w, NULL, "something failed", false, 0, 0, 0, NULL, NULL);
  write_seed("failure_encode", "plain", w.buf, w.len);

  static const char *const texts[] = {"", "\x01\x02", "detail", "{\"k\":[1,2.5]}"};
  static const uint8_t kinds[] = {0, 1, 2, 3}; /* null, bytes, string, JSON */
  w.len = 0;
  put_u8(&w, 2); /* three errors */
  put_error(&w, "PaymentDeclined", "card refused", true, 1500000000, 1, 4, texts, kinds);
  put_error(&w, "IOError", "socket closed", false, -1, 0, 0, NULL, NULL);
  put_error(&w, "", "", false, 0, 7, 1, texts + 3, kinds + 3);
  write_seed("failure_encode", "chain-every-field", w.buf, w.len);
}

/* ---- job_child: job bytes as temporal__job_encode writes them ----------------------------------- */

static void write_job(const char *name, uint32_t slot, uint32_t flags,
                      const Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task) {
  size_t task_len = protobuf_c_message_get_packed_size(&task->base);
  uint8_t *packed = malloc(task_len ? task_len : 1);
  if (!packed) die("out of memory");
  protobuf_c_message_pack(&task->base, packed);
  /* A fixed, non-zero function address: the target runs its own function whatever the bytes say. */
  temporal__job_header h = {
      .slot = slot,
      .generation = 0, /* a fresh slot's: the heartbeats land */
      .sync_fn = 0x1000,
      .data = 0,
      .flags = flags,
      .name = "say_hello",
      .name_len = 9,
      .namespace_ = "default",
      .namespace_len = 7,
      .task_queue = "hello-task-queue",
      .task_queue_len = 16,
      .task = packed,
      .task_len = task_len,
  };
  uint8_t *job = NULL;
  size_t len = 0;
  need(temporal__job_encode(&job, &len, &h), "temporal__job_encode");
  write_seed("job_child", name, job, len);
  free(job);
  free(packed);
}

static void seeds_job_child(void) {
  Temporal__Api__Common__V1__WorkflowType wf_type = TEMPORAL__API__COMMON__V1__WORKFLOW_TYPE__INIT;
  wf_type.name = "GreetingWorkflow";
  Temporal__Api__Common__V1__WorkflowExecution wf = TEMPORAL__API__COMMON__V1__WORKFLOW_EXECUTION__INIT;
  wf.workflow_id = "greeting-1";
  wf.run_id = "9d3c1c9e-0000-4000-8000-000000000001";
  Temporal__Api__Common__V1__ActivityType type = TEMPORAL__API__COMMON__V1__ACTIVITY_TYPE__INIT;
  type.name = "say_hello";
  Google__Protobuf__Timestamp scheduled = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  scheduled.seconds = 1767225600;
  scheduled.nanos = 250000000;
  Google__Protobuf__Duration start_to_close = GOOGLE__PROTOBUF__DURATION__INIT;
  start_to_close.seconds = 30;
  Google__Protobuf__Duration heartbeat = GOOGLE__PROTOBUF__DURATION__INIT;
  heartbeat.seconds = 2;
  char *non_retryable[] = {"ValueError"};
  Temporal__Api__Common__V1__RetryPolicy retry = TEMPORAL__API__COMMON__V1__RETRY_POLICY__INIT;
  retry.initial_interval = &heartbeat;
  retry.backoff_coefficient = 2.0;
  retry.maximum_attempts = 5;
  retry.n_non_retryable_error_types = 1;
  retry.non_retryable_error_types = non_retryable;

  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse task =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
  static uint8_t token[] = {0x0a, 0x24, 0x39, 0x64};
  task.task_token.data = token;
  task.task_token.len = sizeof token;
  task.workflow_namespace = "default";
  task.workflow_type = &wf_type;
  task.workflow_execution = &wf;
  task.activity_type = &type;
  task.activity_id = "1";
  task.scheduled_time = &scheduled;
  task.started_time = &scheduled;
  task.attempt = 1;
  task.start_to_close_timeout = &start_to_close;
  task.heartbeat_timeout = &heartbeat;
  task.retry_policy = &retry;

  task.input = PAYLOADS(json_payload("\"World\""));
  write_job("one-string-argument", 0, 0, &task);
  protobuf_c_message_free_unpacked(&task.input->base, NULL);

  task.input = PAYLOADS(json_payload("{\"n\":1}"), raw_payload(TEMPORAL_ENCODING_BINARY, "\xff\x00", 2),
                        raw_payload(TEMPORAL_ENCODING_NULL, "", 0));
  task.heartbeat_details = PAYLOADS(json_payload("[3,\"step\"]"));
  task.attempt = 3;
  write_job("bytes-argument-and-heartbeat-details", 1, 0, &task);
  protobuf_c_message_free_unpacked(&task.input->base, NULL);
  protobuf_c_message_free_unpacked(&task.heartbeat_details->base, NULL);
  task.heartbeat_details = NULL;

  /* An argument that does not decode: "Failed decoding arguments", or the raw payloads for the
   * dynamic activity. */
  task.input = PAYLOADS(json_payload("{broken"));
  write_job("undecodable-argument", 2, 0, &task);
  write_job("undecodable-argument-dynamic", 3, TEMPORAL_ACTIVITY_DYNAMIC, &task);
  protobuf_c_message_free_unpacked(&task.input->base, NULL);
  task.input = NULL;

  /* Times beyond an int64 of nanoseconds: they overflowed when the info was filled (fixed; the
   * first bug this target found). */
  Google__Protobuf__Timestamp far = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  far.seconds = 206315043072;
  Google__Protobuf__Duration longest = GOOGLE__PROTOBUF__DURATION__INIT;
  longest.seconds = INT64_MAX / 1000000000;
  longest.nanos = 999999999;
  task.scheduled_time = &far;
  task.start_to_close_timeout = &longest;
  write_job("times-out-of-range", 0, 0, &task);

  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse bare =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_RESPONSE__INIT;
  bare.workflow_namespace = "";
  bare.activity_id = "standalone-1";
  write_job("bare-task", 0, 0, &bare);
}

/* ---- result_parent: result bytes as temporal__result_serialize writes them ------------------------ */

static void write_result(const char *name, temporal_result *r) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  need(temporal__result_serialize(&bytes, &len, r), "temporal__result_serialize");
  write_seed("result_parent", name, bytes, len);
  free(bytes);
  temporal_result_free(r);
}

static void seeds_result_parent(void) {
  write_result("value-string", temporal_result_string("Hello, World!"));
  write_result("value-none", temporal_result_none());
  write_result("value-bytes", temporal_result_bytes("\x00\x01\x02", 3));
  write_result("value-json", temporal_result_json(json_pack("{s:[i,f,b]}", "k", 1, 2.5, 1)));
  write_result("cancelled", temporal_result_cancelled());
  write_result("async", temporal_result_async());

  temporal_application_error *e = NULL, *cause = NULL;
  need(temporal_application_error_new(&e, "PaymentDeclined", "card refused"), "error");
  need(temporal_application_error_set_non_retryable(e, true), "non_retryable");
  temporal_payload *d = NULL;
  need(temporal_payload_new_string(&d, "detail"), "detail");
  need(temporal_application_error_add_detail(e, d), "add_detail");
  temporal_payload_free(d);
  need(temporal_application_error_set_next_retry_delay(e, 1500 * TEMPORAL_MS), "delay");
  need(temporal_application_error_set_category(e, TEMPORAL_ERROR_CATEGORY_BENIGN), "category");
  need(temporal_application_error_new(&cause, "IOError", "socket closed"), "cause");
  need(temporal_application_error_set_cause(e, cause), "set_cause");
  write_result("error-with-cause", temporal_result_error(e));
  write_result("error-plain", temporal_result_errorf(NULL, "it failed: %d", 3));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  corpus_dir = argv[1];
  seeds_args();
  seeds_failure_decode();
  seeds_failure_encode();
  seeds_job_child();
  seeds_result_parent();
  return 0;
}
