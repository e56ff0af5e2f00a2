/* Application errors, results, Failure protos (both ways) and the result byte format. */
#include <jansson.h>

#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "test.h"

#define CAT_BENIGN TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_BENIGN
#define CASE_APP TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO

static void free_info(temporal_failure_info *info) {
  free(info->message);
  free(info->type);
  free(info->cause_message);
  free(info->cause_type);
}

/* An error with every field set and a one-level cause. */
static temporal_application_error *full_error(void) {
  temporal_application_error *e = NULL, *cause = NULL;
  CHECK_EQ_INT(0, temporal_application_error_new(&e, "PaymentDeclined", "card refused"));
  CHECK_EQ_INT(0, temporal_application_error_set_non_retryable(e, true));
  temporal_payload *d = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&d, "detail-1"));
  CHECK_EQ_INT(0, temporal_application_error_add_detail(e, d));
  temporal_payload_free(d);
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&d, "\x01\x02", 2));
  CHECK_EQ_INT(0, temporal_application_error_add_detail(e, d));
  temporal_payload_free(d);
  CHECK_EQ_INT(0, temporal_application_error_set_next_retry_delay(e, 1500 * TEMPORAL_MS));
  CHECK_EQ_INT(0, temporal_application_error_set_category(e, TEMPORAL_ERROR_CATEGORY_BENIGN));
  CHECK_EQ_INT(0, temporal_application_error_new(&cause, "IOError", "socket closed"));
  CHECK_EQ_INT(0, temporal_application_error_set_cause(e, cause));
  return e;
}

TEST(failure_application_error_fields) {
  temporal_application_error *e = full_error();
  CHECK_STR_EQ("PaymentDeclined", temporal_application_error_type(e));
  CHECK_STR_EQ("card refused", temporal_application_error_message(e));
  CHECK(temporal_application_error_non_retryable(e));
  CHECK_EQ_INT(2, temporal_application_error_detail_count(e));
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(temporal_application_error_detail(e, 0)));
  CHECK_STR_EQ("binary/plain", temporal_payload_encoding(temporal_application_error_detail(e, 1)));
  CHECK(temporal_application_error_detail(e, 2) == NULL);
  CHECK(temporal_application_error_next_retry_delay(e) == 1500 * TEMPORAL_MS);
  CHECK_EQ_INT(TEMPORAL_ERROR_CATEGORY_BENIGN, temporal_application_error_category(e));
  const temporal_application_error *c = temporal_application_error_cause(e);
  CHECK(c != NULL);
  CHECK_STR_EQ("IOError", temporal_application_error_type(c));
  CHECK_STR_EQ("socket closed", temporal_application_error_message(c));
  CHECK(!temporal_application_error_non_retryable(c));
  CHECK(temporal_application_error_cause(c) == NULL);
  temporal_application_error_free(e);
}

TEST(failure_application_error_defaults_and_invalid) {
  temporal_application_error *e = NULL;
  CHECK_EQ_INT(0, temporal_application_error_new(&e, NULL, NULL));
  CHECK_STR_EQ("Error", temporal_application_error_type(e));
  CHECK_STR_EQ("", temporal_application_error_message(e));
  CHECK(!temporal_application_error_non_retryable(e));
  CHECK_EQ_INT(0, temporal_application_error_detail_count(e));
  CHECK(temporal_application_error_next_retry_delay(e) == 0);
  CHECK_EQ_INT(TEMPORAL_ERROR_CATEGORY_UNSPECIFIED, temporal_application_error_category(e));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_set_next_retry_delay(e, -1));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_set_category(e, (temporal_error_category)7));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_add_detail(e, NULL));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_set_non_retryable(NULL, true));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_new(NULL, "a", "b"));
  /* NULL getters are safe. */
  CHECK_STR_EQ("", temporal_application_error_message(NULL));
  CHECK_EQ_INT(0, temporal_application_error_detail_count(NULL));
  temporal_application_error_free(e);
  temporal_application_error_free(NULL);
}

TEST(failure_application_error_cause_rules) {
  temporal_application_error *a = NULL, *b = NULL, *c = NULL, *d = NULL;
  CHECK_EQ_INT(0, temporal_application_error_new(&a, "A", "a"));
  CHECK_EQ_INT(0, temporal_application_error_new(&b, "B", "b"));
  CHECK_EQ_INT(0, temporal_application_error_new(&c, "C", "c"));
  CHECK_EQ_INT(0, temporal_application_error_set_cause(b, c)); /* b -> c */
  CHECK_EQ_INT(0, temporal_application_error_set_cause(a, b)); /* a -> b -> c */
  CHECK_EQ_INT(0, temporal_application_error_set_cause(a, b)); /* same cause again: no-op */
  /* Cycles and re-linking a member of the chain are refused. */
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_set_cause(a, a));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_set_cause(c, a));
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_application_error_set_cause(a, c));
  CHECK_STR_EQ("C", temporal_application_error_type(
                        temporal_application_error_cause(temporal_application_error_cause(a))));
  /* Replacing a cause frees the old chain (valgrind/ASan check it). */
  CHECK_EQ_INT(0, temporal_application_error_new(&d, "D", "d"));
  CHECK_EQ_INT(0, temporal_application_error_set_cause(a, d));
  CHECK_STR_EQ("D", temporal_application_error_type(temporal_application_error_cause(a)));
  CHECK_EQ_INT(0, temporal_application_error_set_cause(a, NULL));
  CHECK(temporal_application_error_cause(a) == NULL);
  temporal_application_error_free(a);
  /* A long chain is freed without recursion. */
  temporal_application_error *head = NULL;
  CHECK_EQ_INT(0, temporal_application_error_new(&head, "L", "0"));
  temporal_application_error *tail = head;
  for (int i = 0; i < 100000; i++) {
    temporal_application_error *n = NULL;
    CHECK_EQ_INT(0, temporal_application_error_new(&n, "L", "n"));
    tail->cause = n; /* direct link: set_cause's cycle check is O(chain) */
    tail = n;
  }
  temporal_application_error_free(head);
}

TEST(failure_proto_from_application_error) {
  temporal_application_error *e = full_error();
  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_from_application_error(&f, e));
  temporal_application_error_free(e);

  /* Through the wire, as the server would receive it. */
  size_t len = protobuf_c_message_get_packed_size(&f->base);
  uint8_t *buf = malloc(len);
  protobuf_c_message_pack(&f->base, buf);
  protobuf_c_message_free_unpacked(&f->base, NULL);
  f = temporal__api__failure__v1__failure__unpack(NULL, len, buf);
  free(buf);
  CHECK(f != NULL);

  CHECK_STR_EQ("card refused", f->message);
  CHECK_STR_EQ("temporal-c", f->source);
  CHECK_EQ_INT(CASE_APP, f->failure_info_case);
  const Temporal__Api__Failure__V1__ApplicationFailureInfo *info = f->application_failure_info;
  CHECK_STR_EQ("PaymentDeclined", info->type);
  CHECK(info->non_retryable);
  CHECK_EQ_INT(CAT_BENIGN, info->category);
  CHECK(info->next_retry_delay != NULL);
  CHECK_EQ_INT(1, info->next_retry_delay->seconds);
  CHECK_EQ_INT(500000000, info->next_retry_delay->nanos);
  CHECK(info->details != NULL);
  CHECK_EQ_INT(2, info->details->n_payloads);
  CHECK_EQ_INT(10, info->details->payloads[0]->data.len);
  CHECK(memcmp(info->details->payloads[0]->data.data, "\"detail-1\"", 10) == 0);
  CHECK_STR_EQ("encoding", info->details->payloads[1]->metadata[0]->key);

  const Temporal__Api__Failure__V1__Failure *c = f->cause;
  CHECK(c != NULL);
  CHECK_STR_EQ("socket closed", c->message);
  CHECK_STR_EQ("temporal-c", c->source);
  CHECK_EQ_INT(CASE_APP, c->failure_info_case);
  CHECK_STR_EQ("IOError", c->application_failure_info->type);
  CHECK(!c->application_failure_info->non_retryable);
  CHECK(c->application_failure_info->next_retry_delay == NULL);
  CHECK(c->application_failure_info->details == NULL);
  CHECK_EQ_INT(0, c->application_failure_info->category);
  CHECK(c->cause == NULL);
  protobuf_c_message_free_unpacked(&f->base, NULL);
}

/* A chain of `n` errors ("E0" -> "E1" -> ...), linked directly (set_cause's cycle check is O(chain)). */
static temporal_application_error *error_chain(int n) {
  temporal_application_error *head = NULL, *tail = NULL;
  for (int i = 0; i < n; i++) {
    char type[16];
    snprintf(type, sizeof type, "E%d", i);
    temporal_application_error *e = NULL;
    CHECK_EQ_INT(0, temporal_application_error_new(&e, type, "m"));
    if (tail)
      tail->cause = e;
    else
      head = e;
    tail = e;
  }
  return head;
}

TEST(failure_chain_is_cut_so_every_reader_can_decode_it) {
  /* Within the limit, the chain is whole. */
  temporal_application_error *e = error_chain(TEMPORAL__FAILURE_MAX_CHAIN);
  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_from_application_error(&f, e));
  int n = 0;
  Temporal__Api__Failure__V1__Failure *last = f;
  for (Temporal__Api__Failure__V1__Failure *c = f; c; c = c->cause, n++) last = c;
  CHECK_EQ_INT(TEMPORAL__FAILURE_MAX_CHAIN, n);
  CHECK_STR_EQ("E63", last->application_failure_info->type);
  protobuf_c_message_free_unpacked(&f->base, NULL);
  temporal_application_error_free(e);
  /* 100,000 deep (protobuf-c would pack and free it recursively, off the end of the stack): cut,
   * and the last failure kept says how many were left out. */
  e = error_chain(100000);
  CHECK_EQ_INT(0, temporal__failure_from_application_error(&f, e));
  n = 0;
  for (Temporal__Api__Failure__V1__Failure *c = f; c; c = c->cause, n++) last = c;
  CHECK_EQ_INT(TEMPORAL__FAILURE_MAX_CHAIN, n);
  CHECK_STR_EQ("TruncatedCauseChain", last->application_failure_info->type);
  CHECK_CONTAINS(last->message, "99937 more failures of this cause chain left out");
  size_t len = protobuf_c_message_get_packed_size(&f->base);
  uint8_t *bytes = malloc(len);
  protobuf_c_message_pack(&f->base, bytes);
  Temporal__Api__Failure__V1__Failure *back = temporal__api__failure__v1__failure__unpack(NULL, len, bytes);
  CHECK(back != NULL);
  protobuf_c_message_free_unpacked(&back->base, NULL);
  free(bytes);
  protobuf_c_message_free_unpacked(&f->base, NULL);
  temporal_application_error_free(e);
}

TEST(failure_new_shorthand) {
  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_new(&f, "NotFoundError", "no activity named x", false));
  CHECK_STR_EQ("no activity named x", f->message);
  CHECK_STR_EQ("temporal-c", f->source);
  CHECK_EQ_INT(CASE_APP, f->failure_info_case);
  CHECK_STR_EQ("NotFoundError", f->application_failure_info->type);
  CHECK(!f->application_failure_info->non_retryable);
  CHECK(f->cause == NULL);
  protobuf_c_message_free_unpacked(&f->base, NULL);
  CHECK_EQ_INT(0, temporal__failure_new(&f, "Fatal", "stop", true));
  CHECK(f->application_failure_info->non_retryable);
  protobuf_c_message_free_unpacked(&f->base, NULL);
}

/* A Failure as the server returns it: message plus one kind of info. */
static Temporal__Api__Failure__V1__Failure *server_failure(const char *message, int info_case) {
  Temporal__Api__Failure__V1__Failure *f = malloc(sizeof *f);
  temporal__api__failure__v1__failure__init(f);
  f->message = strdup(message);
  f->failure_info_case = info_case;
  switch (info_case) {
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO:
      f->activity_failure_info = malloc(sizeof *f->activity_failure_info);
      temporal__api__failure__v1__activity_failure_info__init(f->activity_failure_info);
      break;
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO:
      f->child_workflow_execution_failure_info = malloc(sizeof *f->child_workflow_execution_failure_info);
      temporal__api__failure__v1__child_workflow_execution_failure_info__init(
          f->child_workflow_execution_failure_info);
      break;
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO:
      f->canceled_failure_info = malloc(sizeof *f->canceled_failure_info);
      temporal__api__failure__v1__canceled_failure_info__init(f->canceled_failure_info);
      break;
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO:
      f->timeout_failure_info = malloc(sizeof *f->timeout_failure_info);
      temporal__api__failure__v1__timeout_failure_info__init(f->timeout_failure_info);
      break;
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TERMINATED_FAILURE_INFO:
      f->terminated_failure_info = malloc(sizeof *f->terminated_failure_info);
      temporal__api__failure__v1__terminated_failure_info__init(f->terminated_failure_info);
      break;
    case TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_SERVER_FAILURE_INFO:
      f->server_failure_info = malloc(sizeof *f->server_failure_info);
      temporal__api__failure__v1__server_failure_info__init(f->server_failure_info);
      f->server_failure_info->non_retryable = true;
      break;
    default: break;
  }
  return f;
}

TEST(failure_info_application) {
  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_new(&f, "ValueError", "bad value", true));
  temporal_failure_info info;
  CHECK_EQ_INT(0, temporal__failure_info_from_proto(&info, f));
  CHECK_STR_EQ("bad value", info.message);
  CHECK_STR_EQ("ValueError", info.type);
  CHECK(info.non_retryable);
  CHECK(info.cause_message == NULL);
  CHECK(info.cause_type == NULL);
  free_info(&info);
  protobuf_c_message_free_unpacked(&f->base, NULL);
}

TEST(failure_info_nested_activity_failure) {
  /* What a workflow reports when its activity failed: ActivityFailure wrapping the app error. */
  Temporal__Api__Failure__V1__Failure *top = server_failure(
      "Activity task failed", TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO);
  CHECK_EQ_INT(0, temporal__failure_new(&top->cause, "PaymentDeclined", "card refused", true));
  temporal_failure_info info;
  CHECK_EQ_INT(0, temporal__failure_info_from_proto(&info, top));
  CHECK_STR_EQ("Activity task failed", info.message);
  CHECK_STR_EQ("ActivityError", info.type);
  CHECK(!info.non_retryable);
  CHECK_STR_EQ("card refused", info.cause_message);
  CHECK_STR_EQ("PaymentDeclined", info.cause_type);
  free_info(&info);
  protobuf_c_message_free_unpacked(&top->base, NULL);

  /* A child workflow whose activity failed: the cause is the error at the bottom. */
  top =
      server_failure("Child Workflow execution failed",
                     TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CHILD_WORKFLOW_EXECUTION_FAILURE_INFO);
  top->cause = server_failure("Activity task failed",
                              TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_ACTIVITY_FAILURE_INFO);
  top->cause->cause = server_failure("activity canceled",
                                     TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO);
  CHECK_EQ_INT(0, temporal__failure_info_from_proto(&info, top));
  CHECK_STR_EQ("ChildWorkflowError", info.type);
  CHECK_STR_EQ("activity canceled", info.cause_message);
  CHECK_STR_EQ("CanceledError", info.cause_type);
  free_info(&info);
  protobuf_c_message_free_unpacked(&top->base, NULL);
}

TEST(failure_info_kinds) {
  struct {
    int info_case;
    const char *type;
    bool non_retryable;
  } kinds[] = {
      {TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_CANCELED_FAILURE_INFO, "CanceledError", false},
      {TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TIMEOUT_FAILURE_INFO, "TimeoutError", false},
      {TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_TERMINATED_FAILURE_INFO, "TerminatedError", false},
      {TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_SERVER_FAILURE_INFO, "ServerError", true},
      {TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO__NOT_SET, "Error", false},
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    Temporal__Api__Failure__V1__Failure *f = server_failure("m", kinds[i].info_case);
    temporal_failure_info info;
    CHECK_EQ_INT(0, temporal__failure_info_from_proto(&info, f));
    CHECK_STR_EQ("m", info.message);
    CHECK_STR_EQ(kinds[i].type, info.type);
    CHECK_EQ_INT(kinds[i].non_retryable, info.non_retryable);
    CHECK(info.cause_type == NULL);
    free_info(&info);
    protobuf_c_message_free_unpacked(&f->base, NULL);
  }
}

TEST(failure_info_encoded_attributes) {
  /* SDKs that encode common attributes send "Encoded failure" and the real message as JSON. */
  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_new(&f, "E", "Encoded failure", false));
  temporal_payload *attrs = NULL;
  json_t *obj = json_pack("{s:s,s:s}", "message", "the real message", "stack_trace", "");
  CHECK_EQ_INT(0, temporal_payload_new_json(&attrs, obj));
  json_decref(obj);
  CHECK_EQ_INT(0, temporal__payload_to_proto(&f->encoded_attributes, attrs));
  temporal_payload_free(attrs);
  temporal_failure_info info;
  CHECK_EQ_INT(0, temporal__failure_info_from_proto(&info, f));
  CHECK_STR_EQ("the real message", info.message);
  free_info(&info);
  protobuf_c_message_free_unpacked(&f->base, NULL);

  /* Attributes a codec encrypted cannot be read: the plain message stays. */
  CHECK_EQ_INT(0, temporal__failure_new(&f, "E", "Encoded failure", false));
  CHECK_EQ_INT(0, temporal_payload_new_bytes(&attrs, "\x9f\x00", 2));
  CHECK_EQ_INT(0, temporal__payload_to_proto(&f->encoded_attributes, attrs));
  temporal_payload_free(attrs);
  CHECK_EQ_INT(0, temporal__failure_info_from_proto(&info, f));
  CHECK_STR_EQ("Encoded failure", info.message);
  free_info(&info);
  protobuf_c_message_free_unpacked(&f->base, NULL);
}

/* ---- results ---- */

TEST(result_constructors) {
  temporal_result *r = temporal_result_string("hi");
  CHECK_EQ_INT(TEMPORAL__RESULT_VALUE, r->kind);
  CHECK(!r->is_static);
  CHECK_STR_EQ("\"hi\"", (const char *)temporal_payload_data(r->value, NULL));
  temporal_result_free(r);

  r = temporal_result_bytes("ab", 2);
  CHECK_STR_EQ("binary/plain", temporal_payload_encoding(r->value));
  temporal_result_free(r);

  r = temporal_result_none();
  CHECK_STR_EQ("binary/null", temporal_payload_encoding(r->value));
  temporal_result_free(r);

  json_t *v = json_pack("{s:i}", "n", 5);
  json_incref(v);
  r = temporal_result_json(v); /* steals one reference */
  CHECK_EQ_INT(1, v->refcount);
  CHECK_STR_EQ("{\"n\":5}", (const char *)temporal_payload_data(r->value, NULL));
  json_decref(v);
  temporal_result_free(r);

  r = temporal_result_json(json_null());
  CHECK_STR_EQ("binary/null", temporal_payload_encoding(r->value));
  temporal_result_free(r);

  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, "taken"));
  r = temporal_result_payload(p);
  CHECK(r->value == p);
  temporal_result_free(r);

  r = temporal_result_cancelled();
  CHECK_EQ_INT(TEMPORAL__RESULT_CANCELLED, r->kind);
  temporal_result_free(r);
  temporal_result_free(NULL);
}

TEST(result_errors) {
  temporal_result *r = temporal_result_errorf(NULL, "failed %d times: %s", 3, "boom");
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_STR_EQ("Error", temporal_application_error_type(r->error));
  CHECK_STR_EQ("failed 3 times: boom", temporal_application_error_message(r->error));
  CHECK(!temporal_application_error_non_retryable(r->error));
  temporal_result_free(r);

  r = temporal_result_errorf("MyError", "x");
  CHECK_STR_EQ("MyError", temporal_application_error_type(r->error));
  temporal_result_free(r);

  temporal_application_error *e = full_error();
  r = temporal_result_error(e);
  CHECK(r->error == e);
  temporal_result_free(r);

  /* A TEMPORAL_E* code: the thread's last message. */
  temporal_payload *p = NULL;
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal_payload_new_json(&p, NULL));
  r = temporal_result_from_code(TEMPORAL_EINVAL);
  CHECK_STR_EQ("TemporalError", temporal_application_error_type(r->error));
  CHECK_STR_EQ("temporal_payload_new_json: NULL argument", temporal_application_error_message(r->error));
  temporal_result_free(r);

  /* Misuse becomes a clear failure instead of a crash or a silent null. */
  r = temporal_result_json(NULL);
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_CONTAINS(temporal_application_error_message(r->error), "NULL");
  temporal_result_free(r);
  r = temporal_result_string("\xc3");
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_CONTAINS(temporal_application_error_message(r->error), "UTF-8");
  temporal_result_free(r);
  r = temporal_result_error(NULL);
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  temporal_result_free(r);
}

TEST(result_out_of_memory_is_static) {
  static const char small[4];
  /* SIZE_MAX bytes can never be copied: the constructor gives up before calling malloc. */
  temporal_result *r = temporal_result_bytes(small, SIZE_MAX);
  CHECK(r != NULL);
  CHECK(r->is_static);
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_STR_EQ("out of memory", temporal_application_error_message(r->error));
  CHECK(!temporal_application_error_non_retryable(r->error));
  temporal_result *again = temporal_result_bytes(small, SIZE_MAX);
  CHECK(again == r); /* shared */
  temporal_result_free(r);
  temporal_result_free(r); /* ignored, as often as it is freed */
  CHECK_STR_EQ("out of memory", temporal_application_error_message(again->error));
  /* It still makes a proper Failure. */
  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_from_application_error(&f, r->error));
  CHECK_STR_EQ("out of memory", f->message);
  protobuf_c_message_free_unpacked(&f->base, NULL);
}

TEST(result_value_to_proto) {
  temporal_result *r = temporal_result_string("v");
  Temporal__Api__Common__V1__Payload *p = NULL;
  CHECK_EQ_INT(0, temporal__result_value_to_proto(&p, r));
  CHECK_EQ_INT(3, p->data.len);
  CHECK(memcmp(p->data.data, "\"v\"", 3) == 0);
  protobuf_c_message_free_unpacked(&p->base, NULL);
  temporal_result_free(r);

  r = temporal_result_errorf(NULL, "no");
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__result_value_to_proto(&p, r));
  temporal_result_free(r);
  r = temporal_result_cancelled();
  CHECK_EQ_INT(TEMPORAL_EINVAL, temporal__result_value_to_proto(&p, r));
  temporal_result_free(r);
}

/* ---- result byte format ---- */

static temporal_result *round_trip(const temporal_result *r) {
  uint8_t *buf = NULL;
  size_t len = 0;
  CHECK_EQ_INT(0, temporal__result_serialize(&buf, &len, r));
  temporal_result *back = NULL;
  CHECK_EQ_INT(0, temporal__result_deserialize(&back, buf, len));
  free(buf);
  CHECK(!back->is_static);
  CHECK_EQ_INT(r->kind, back->kind);
  return back;
}

TEST(result_serialize_round_trip) {
  temporal_result *r = temporal_result_json(json_pack("{s:[i,s]}", "k", 1, "\xc3\xa9"));
  temporal_result *back = round_trip(r);
  CHECK_STR_EQ("json/plain", temporal_payload_encoding(back->value));
  CHECK_STR_EQ("{\"k\":[1,\"\xc3\xa9\"]}", (const char *)temporal_payload_data(back->value, NULL));
  temporal_result_free(r);
  temporal_result_free(back);

  r = temporal_result_none();
  back = round_trip(r);
  CHECK_STR_EQ("binary/null", temporal_payload_encoding(back->value));
  temporal_result_free(r);
  temporal_result_free(back);

  r = temporal_result_bytes("\0\xff", 2);
  back = round_trip(r);
  size_t len = 0;
  const uint8_t *d = temporal_payload_data(back->value, &len);
  CHECK(len == 2 && d[0] == 0 && d[1] == 0xff);
  temporal_result_free(r);
  temporal_result_free(back);

  r = temporal_result_cancelled();
  back = round_trip(r);
  CHECK(back->value == NULL && back->error == NULL);
  temporal_result_free(r);
  temporal_result_free(back);
}

TEST(result_serialize_error_round_trip) {
  temporal_result *r = temporal_result_error(full_error());
  temporal_result *back = round_trip(r);
  const temporal_application_error *e = back->error;
  CHECK_STR_EQ("PaymentDeclined", temporal_application_error_type(e));
  CHECK_STR_EQ("card refused", temporal_application_error_message(e));
  CHECK(temporal_application_error_non_retryable(e));
  CHECK(temporal_application_error_next_retry_delay(e) == 1500 * TEMPORAL_MS);
  CHECK_EQ_INT(TEMPORAL_ERROR_CATEGORY_BENIGN, temporal_application_error_category(e));
  CHECK_EQ_INT(2, temporal_application_error_detail_count(e));
  CHECK_STR_EQ("\"detail-1\"",
               (const char *)temporal_payload_data(temporal_application_error_detail(e, 0), NULL));
  CHECK_STR_EQ("binary/plain", temporal_payload_encoding(temporal_application_error_detail(e, 1)));
  const temporal_application_error *c = temporal_application_error_cause(e);
  CHECK(c != NULL);
  CHECK_STR_EQ("IOError", temporal_application_error_type(c));
  CHECK_STR_EQ("socket closed", temporal_application_error_message(c));
  CHECK(temporal_application_error_cause(c) == NULL);
  temporal_result_free(r);
  temporal_result_free(back);

  /* The shared out-of-memory result serializes like any other. */
  static const char small[4];
  r = temporal_result_bytes(small, SIZE_MAX);
  CHECK(r->is_static);
  back = round_trip(r);
  CHECK_STR_EQ("out of memory", temporal_application_error_message(back->error));
  temporal_result_free(back);
}

/* A serialized error result with a three-deep cause chain, to mangle. */
static uint8_t *sample_serialized(size_t *len) {
  temporal_application_error *e = full_error();
  temporal_application_error *deeper = NULL;
  CHECK_EQ_INT(0, temporal_application_error_new(&deeper, "Root", "root cause"));
  CHECK_EQ_INT(0, temporal_application_error_set_cause((temporal_application_error *)e->cause, deeper));
  temporal_result *r = temporal_result_error(e);
  uint8_t *buf = NULL;
  CHECK_EQ_INT(0, temporal__result_serialize(&buf, len, r));
  temporal_result_free(r);
  return buf;
}

static void check_rejected(const uint8_t *data, size_t len) {
  temporal_result *out = (temporal_result *)0x1;
  CHECK_EQ_INT(TEMPORAL_EDECODE, temporal__result_deserialize(&out, data, len));
  CHECK(out == (temporal_result *)0x1);
}

/* Found by tests/fuzz (fuzz_failure_encode): the setter takes any non-negative next_retry_delay, but
 * the reading side refused those within a second of INT64_MAX nanoseconds, so a pool child's error
 * with one reached the workflow as an ExecutorError. Each delay the setter takes crosses now; one
 * nanosecond more is still refused. */
TEST(result_serialize_longest_retry_delay_round_trips) {
  temporal_application_error *e = NULL;
  CHECK_EQ_INT(0, temporal_application_error_new(&e, "Later", "much later"));
  CHECK_EQ_INT(0, temporal_application_error_set_next_retry_delay(e, INT64_MAX));
  temporal_result *r = temporal_result_error(e);
  temporal_result *back = round_trip(r);
  CHECK(temporal_application_error_next_retry_delay(back->error) == INT64_MAX);
  temporal_result_free(back);

  Temporal__Api__Failure__V1__Failure *f = NULL;
  CHECK_EQ_INT(0, temporal__failure_from_application_error(&f, e));
  temporal_result_free(r);
  Google__Protobuf__Duration *d = f->application_failure_info->next_retry_delay;
  CHECK(d->seconds == INT64_MAX / TEMPORAL_SECOND && d->nanos == INT64_MAX % TEMPORAL_SECOND);
  d->nanos++;
  size_t packed = protobuf_c_message_get_packed_size(&f->base);
  uint8_t *framed = malloc(13 + packed);
  memcpy(framed, "TCR\x01\x02\x01\x00\x00\x00", 9); /* error, chain of 1 */
  for (int i = 0; i < 4; i++) framed[9 + i] = (uint8_t)(packed >> (8 * i));
  protobuf_c_message_pack(&f->base, framed + 13);
  protobuf_c_message_free_unpacked(&f->base, NULL);
  check_rejected(framed, 13 + packed);
  CHECK_CONTAINS(temporal_error_last(), "bad next_retry_delay");
  free(framed);
}

TEST(result_deserialize_rejects_truncated_and_trailing) {
  size_t len = 0;
  uint8_t *buf = sample_serialized(&len);
  temporal_result *ok = NULL;
  CHECK_EQ_INT(0, temporal__result_deserialize(&ok, buf, len));
  CHECK_STR_EQ("Root", ok->error->cause->cause->type);
  temporal_result_free(ok);
  /* Every strict prefix is refused: exact-size copies so ASan/valgrind catch any over-read. */
  for (size_t cut = 0; cut < len; cut++) {
    uint8_t *copy = malloc(cut ? cut : 1);
    memcpy(copy, buf, cut);
    check_rejected(copy, cut);
    free(copy);
  }
  uint8_t *longer = malloc(len + 1);
  memcpy(longer, buf, len);
  longer[len] = 0;
  check_rejected(longer, len + 1);
  free(longer);
  check_rejected(NULL, 0);
  free(buf);
}

TEST(result_deserialize_rejects_bad_headers) {
  size_t len = 0;
  uint8_t *buf = sample_serialized(&len);
  uint8_t *copy = malloc(len);
  memcpy(copy, buf, len);
  copy[0] = 'X';
  check_rejected(copy, len);
  CHECK_CONTAINS(temporal_error_last(), "not a serialized result");
  memcpy(copy, buf, len);
  copy[3] = 2; /* a future version */
  check_rejected(copy, len);
  CHECK_CONTAINS(temporal_error_last(), "version 2");
  memcpy(copy, buf, len);
  copy[4] = 9; /* unknown kind */
  check_rejected(copy, len);
  memcpy(copy, buf, len);
  copy[5] = copy[6] = copy[7] = copy[8] = 0xff; /* absurd chain length */
  check_rejected(copy, len);
  memcpy(copy, buf, len);
  copy[5] = copy[6] = copy[7] = copy[8] = 0; /* empty chain */
  check_rejected(copy, len);
  free(copy);
  free(buf);
}

TEST(result_deserialize_fuzz) {
  size_t len = 0;
  uint8_t *buf = sample_serialized(&len);
  srand(42);
  int accepted = 0;
  for (int round = 0; round < 5000; round++) {
    uint8_t *copy = malloc(len);
    memcpy(copy, buf, len);
    int flips = 1 + rand() % 6;
    for (int f = 0; f < flips; f++) {
      size_t at = (size_t)rand() % len;
      if (rand() % 2)
        copy[at] = (uint8_t)rand();
      else
        copy[at] ^= (uint8_t)(1u << (rand() % 8));
    }
    size_t use = rand() % 4 ? len : (size_t)rand() % len;
    temporal_result *out = NULL;
    int rc = temporal__result_deserialize(&out, copy, use);
    CHECK(rc == 0 || rc == TEMPORAL_EDECODE);
    if (rc == 0) {
      accepted++;
      CHECK(out->kind == TEMPORAL__RESULT_ERROR || out->kind == TEMPORAL__RESULT_VALUE ||
            out->kind == TEMPORAL__RESULT_CANCELLED);
      temporal_result_free(out);
    }
    free(copy);
  }
  /* Pure noise after a valid header. */
  for (int round = 0; round < 2000; round++) {
    size_t n = 5 + (size_t)(rand() % 200);
    uint8_t *noise = malloc(n);
    for (size_t i = 0; i < n; i++) noise[i] = (uint8_t)rand();
    memcpy(noise, "TCR\x01", 4);
    noise[4] = (uint8_t)(1 + rand() % 3);
    temporal_result *out = NULL;
    int rc = temporal__result_deserialize(&out, noise, n);
    CHECK(rc == 0 || rc == TEMPORAL_EDECODE);
    if (rc == 0) temporal_result_free(out);
    free(noise);
  }
  CHECK(accepted < 5000); /* the mutations were noticed at least sometimes */
  free(buf);
}

TEST(result_deserialize_refuses_nested_cause_bombs) {
  /* A Failure whose `cause` really nests 200000 deep: protobuf-c would recurse that deep and run
   * out of stack. Built from the inside out: each level is key 0x22 (field 4, length-delimited),
   * the varint length of the level inside, then that level. */
  size_t depth = 200000, cap = depth * 6 + 16;
  uint8_t *nest = malloc(cap);
  size_t pos = cap;
  for (size_t k = 0; k < depth; k++) {
    size_t inner = cap - pos;
    uint8_t varint[10];
    size_t n = 0;
    do {
      varint[n] = (uint8_t)(inner & 0x7f);
      inner >>= 7;
      if (inner) varint[n] |= 0x80;
      n++;
    } while (inner);
    pos -= n;
    memcpy(nest + pos, varint, n);
    nest[--pos] = 0x22;
  }
  size_t body = cap - pos;
  uint8_t *framed = malloc(13 + body);
  memcpy(framed, "TCR\x01\x02\x01\x00\x00\x00", 9); /* error, chain of 1 */
  for (int i = 0; i < 4; i++) framed[9 + i] = (uint8_t)(body >> (8 * i));
  memcpy(framed + 13, nest + pos, body);
  check_rejected(framed, 13 + body);
  CHECK_CONTAINS(temporal_error_last(), "bad failure");
  free(nest);
  free(framed);
}

TEST(result_serialize_static_buffer_layout) {
  temporal_result *r = temporal_result_cancelled();
  uint8_t *buf = NULL;
  size_t len = 0;
  CHECK_EQ_INT(0, temporal__result_serialize(&buf, &len, r));
  CHECK_EQ_INT(5, len);
  CHECK(memcmp(buf, "TCR\x01\x03", 5) == 0);
  free(buf);
  temporal_result_free(r);
}
