/* Failure conversion, to the wire: an application error chain an activity builds (through the public
 * calls of app_error.c, with values read off the input) becomes the Failure the worker reports
 * (failure.c) and the result bytes a pool child sends back (result_serialize.c).
 *
 * Properties: each setter refuses exactly the values it documents as invalid and leaves the error
 * as it was; a cause that would make a cycle is refused; the Failure built from the chain, packed
 * and unpacked, holds every field of every error, and the client's view of it (failure_info.c)
 * names the same message, type and cause; the chain serialized and deserialized is the same chain. */
#include <string.h>

#include "check.h"
#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "input.h"
#include "same.h"
#include "temporal/log.h"

/* Enough for chains and details to matter; the Failure this makes nests at most this deep, so
 * unpacking it again cannot overflow the stack (see fuzz_failure_decode.c). */
#define MAX_CHAIN 8
#define MAX_DETAILS 4
#define MAX_TEXT 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  temporal_log_set_level(TEMPORAL_LOG_OFF);
  return 0;
}

/* A detail of one of the payload kinds an activity uses; NULL when the input's text is refused
 * (a string that is not UTF-8, JSON that does not parse). */
static temporal_payload *read_detail(fuzz_input *in) {
  temporal_payload *p = NULL;
  uint8_t kind = fuzz_u8(in) % 4;
  size_t len;
  const uint8_t *bytes = fuzz_bytes(in, MAX_TEXT, &len);
  int rc = 0;
  if (kind == 0) {
    rc = temporal_payload_new_null(&p);
  } else if (kind == 1) {
    rc = temporal_payload_new_bytes(&p, bytes, len);
  } else if (kind == 2) {
    char *s = malloc(len + 1); /* the bytes are not a C string: a copy that is */
    FUZZ_REQUIRE(s);
    if (len) memcpy(s, bytes, len);
    s[len] = '\0';
    rc = temporal_payload_new_string(&p, s);
    FUZZ_REQUIRE(rc == 0 || rc == TEMPORAL_EINVAL);
    free(s);
    return rc == 0 ? p : NULL;
  } else {
    json_t *v = json_loadb((const char *)bytes, len, JSON_DECODE_ANY, NULL);
    if (!v) return NULL;
    rc = temporal_payload_new_json(&p, v);
    json_decref(v);
  }
  FUZZ_REQUIRE(rc == 0);
  return p;
}

/* One error with every field read off the input. */
static temporal_application_error *read_error(fuzz_input *in) {
  bool default_type = fuzz_bool(in);
  char *type = fuzz_string(in, MAX_TEXT);
  char *message = fuzz_string(in, MAX_TEXT);
  FUZZ_REQUIRE(type && message);
  temporal_application_error *e = NULL;
  FUZZ_REQUIRE(temporal_application_error_new(&e, default_type ? NULL : type, message) == 0);
  FUZZ_REQUIRE(strcmp(temporal_application_error_type(e), default_type ? "Error" : type) == 0);
  FUZZ_REQUIRE(strcmp(temporal_application_error_message(e), message) == 0);
  free(type);
  free(message);

  bool non_retryable = fuzz_bool(in);
  FUZZ_REQUIRE(temporal_application_error_set_non_retryable(e, non_retryable) == 0);
  FUZZ_REQUIRE(temporal_application_error_non_retryable(e) == non_retryable);

  size_t details = fuzz_u8(in) % (MAX_DETAILS + 1);
  for (size_t i = 0; i < details; i++) {
    temporal_payload *p = read_detail(in);
    if (!p) continue;
    size_t before = temporal_application_error_detail_count(e);
    FUZZ_REQUIRE(temporal_application_error_add_detail(e, p) == 0);
    FUZZ_REQUIRE(temporal_application_error_detail_count(e) == before + 1);
    FUZZ_REQUIRE(same_payload(temporal_application_error_detail(e, before), p));
    temporal_payload_free(p);
  }

  /* Negative delays are refused and change nothing. */
  temporal_duration_ns delay = (temporal_duration_ns)fuzz_u64(in);
  int rc = temporal_application_error_set_next_retry_delay(e, delay);
  FUZZ_REQUIRE(rc == (delay < 0 ? TEMPORAL_EINVAL : 0));
  FUZZ_REQUIRE(temporal_application_error_next_retry_delay(e) == (delay < 0 ? 0 : delay));

  /* Only the two categories there are. */
  int category = (int8_t)fuzz_u8(in);
  rc = temporal_application_error_set_category(e, (temporal_error_category)category);
  bool known = category == TEMPORAL_ERROR_CATEGORY_UNSPECIFIED || category == TEMPORAL_ERROR_CATEGORY_BENIGN;
  FUZZ_REQUIRE(rc == (known ? 0 : TEMPORAL_EINVAL));
  FUZZ_REQUIRE(temporal_application_error_category(e) ==
               (known ? (temporal_error_category)category : TEMPORAL_ERROR_CATEGORY_UNSPECIFIED));
  return e;
}

/* The chain, outermost first, built innermost first as causes are attached. Cycles are refused
 * without taking anything. */
static temporal_application_error *read_chain(fuzz_input *in) {
  size_t n = 1 + fuzz_u8(in) % MAX_CHAIN;
  temporal_application_error *errors[MAX_CHAIN];
  for (size_t i = 0; i < n; i++) errors[i] = read_error(in);
  for (size_t i = n - 1; i > 0; i--) {
    FUZZ_REQUIRE(temporal_application_error_set_cause(errors[i - 1], errors[i]) == 0);
    FUZZ_REQUIRE(temporal_application_error_cause(errors[i - 1]) == errors[i]);
  }
  /* The innermost error cannot take the outermost (nor itself) as its cause. */
  FUZZ_REQUIRE(temporal_application_error_set_cause(errors[n - 1], errors[0]) == TEMPORAL_EINVAL);
  FUZZ_REQUIRE(temporal_application_error_cause(errors[n - 1]) == NULL);
  return errors[0];
}

/* The Failure the worker reports, through the wire, and what a client makes of it. */
static void check_failure(const temporal_application_error *error) {
  Temporal__Api__Failure__V1__Failure *wire = failure_on_the_wire(error);
  FUZZ_REQUIRE(wire);
  FUZZ_REQUIRE(same_error_as_failure(error, wire));

  temporal_failure_info info;
  FUZZ_REQUIRE(temporal__failure_info_from_proto(&info, wire) == 0);
  FUZZ_REQUIRE(strcmp(info.message, error->message) == 0);
  FUZZ_REQUIRE(strcmp(info.type, error->type[0] ? error->type : "ApplicationError") == 0);
  FUZZ_REQUIRE(info.non_retryable == error->non_retryable);
  const temporal_application_error *cause = error->cause;
  FUZZ_REQUIRE(!cause == !info.cause_message);
  if (cause) {
    FUZZ_REQUIRE(strcmp(info.cause_message, cause->message) == 0);
    FUZZ_REQUIRE(strcmp(info.cause_type, cause->type[0] ? cause->type : "ApplicationError") == 0);
  }
  free(info.message);
  free(info.type);
  free(info.cause_message);
  free(info.cause_type);
  protobuf_c_message_free_unpacked(&wire->base, NULL);
}

/* The result bytes a pool child sends for this error, read back by the parent. */
static void check_result_bytes(const temporal_result *result) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  FUZZ_REQUIRE(temporal__result_serialize(&bytes, &len, result) == 0);
  temporal_result *again = NULL;
  FUZZ_REQUIRE(temporal__result_deserialize(&again, bytes, len) == 0);
  FUZZ_REQUIRE(same_result(result, again));
  temporal_result_free(again);
  free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_input in = {data, size};
  temporal_result *result = temporal_result_error(read_chain(&in));
  FUZZ_REQUIRE(result->kind == TEMPORAL__RESULT_ERROR);
  check_failure(result->error);
  check_result_bytes(result);
  temporal_result_free(result);
  return 0;
}
