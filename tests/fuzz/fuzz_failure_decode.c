/* Failure conversion, from the wire: a packed temporal.api.failure.v1.Failure (what the server sends
 * a client for a failed workflow or activity) through the library's conversions and back.
 *
 *   Failure bytes -> temporal__failure_info_from_proto (the client's flat view, failure_info.c)
 *   Failure chain -> the serialized-result format -> temporal__result_deserialize (the application
 *                    error a pool child reports, result_serialize.c) -> temporal__result_serialize
 *   that error    -> temporal__failure_from_application_error (failure.c) -> packed -> unpacked
 *
 * Properties: the client view always converts and names a type; the result format takes the chain
 * exactly when every failure in it is a valid application failure, and then holds the same fields;
 * the Failure rebuilt from that error, packed and unpacked, says the same again, with source
 * "temporal-c"; serializing the error and reading it back gives the same error.
 *
 * Every input first goes through the nesting walk the transport runs on each response before
 * protobuf-c unpacks it (core/proto_depth.h; protobuf-c unpacks recursively, so a deep enough chain
 * would overflow the stack): the walk itself is fuzzed, and only what it lets through is unpacked.
 * The limit here is the cause chain the library builds whole (TEMPORAL__FAILURE_MAX_CHAIN), so the
 * round trips below compare whole chains; the transport's own limit (100) is checked first. */
#include <string.h>

#include "check.h"
#include "converter/converter_internal.h"
#include "core/proto_depth.h"
#include "temporal/errors.h"
#include "same.h"
#include "temporal/log.h"

#define CASE_APPLICATION TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  temporal_log_set_level(TEMPORAL_LOG_OFF);
  return 0;
}

/* ---- the client's view ----------------------------------------------------------------------------- */

static void check_client_view(const Temporal__Api__Failure__V1__Failure *f) {
  temporal_failure_info info;
  FUZZ_REQUIRE(temporal__failure_info_from_proto(&info, f) == 0);
  FUZZ_REQUIRE(info.message && info.type && info.type[0]);
  /* Without encoded attributes the message is the Failure's own. */
  if (!f->encoded_attributes) FUZZ_REQUIRE(strcmp(info.message, f->message) == 0);
  FUZZ_REQUIRE(!f->cause == !info.cause_type);
  FUZZ_REQUIRE(!f->cause == !info.cause_message);
  if (info.cause_type) FUZZ_REQUIRE(info.cause_type[0] != '\0');
  free(info.message);
  free(info.type);
  free(info.cause_message);
  free(info.cause_type);
}

/* ---- the result format ------------------------------------------------------------------------------ */

/* Whether the result format takes this failure as an application error (result_serialize.c). */
static bool is_valid_application_failure(const Temporal__Api__Failure__V1__Failure *f) {
  const Temporal__Api__Failure__V1__ApplicationFailureInfo *info = f->application_failure_info;
  if (f->failure_info_case != CASE_APPLICATION || !info) return false;
  if (info->category != 0 && info->category != 1) return false;
  const Google__Protobuf__Duration *d = info->next_retry_delay;
  /* A delay is any non-negative int64 of nanoseconds, the longest included. */
  return !d || (d->seconds >= 0 && d->nanos >= 0 && d->nanos < 1000000000 &&
                (d->seconds < INT64_MAX / TEMPORAL_SECOND ||
                 (d->seconds == INT64_MAX / TEMPORAL_SECOND && d->nanos <= INT64_MAX % TEMPORAL_SECOND)));
}

static void put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* The chain as a pool child would send it: "TCR" 1, kind ERROR, the count, then each Failure packed
 * without its cause. NULL when memory runs out, or when protobuf-c cannot read back what it packed:
 * it keeps an unknown field numbered 0 (invalid) when the input spells its key in more than one
 * byte, writes it back in one, and then refuses that. A quirk of protobuf-c 1.4.1's parser, not of
 * the bytes a child sends (the library builds those Failures itself, without unknown fields). */
static uint8_t *chain_as_result(Temporal__Api__Failure__V1__Failure *head, size_t *len_out) {
  size_t count = 0, len = 5 + 4;
  for (Temporal__Api__Failure__V1__Failure *f = head; f; f = f->cause) {
    Temporal__Api__Failure__V1__Failure *cause = f->cause;
    f->cause = NULL;
    len += 4 + protobuf_c_message_get_packed_size(&f->base);
    f->cause = cause;
    count++;
  }
  uint8_t *buf = malloc(len);
  if (!buf) return NULL;
  memcpy(buf, "TCR\x01", 4);
  buf[4] = TEMPORAL__RESULT_ERROR;
  put_u32(buf + 5, (uint32_t)count);
  size_t pos = 9;
  for (Temporal__Api__Failure__V1__Failure *f = head; f; f = f->cause) {
    Temporal__Api__Failure__V1__Failure *cause = f->cause;
    f->cause = NULL;
    size_t n = protobuf_c_message_pack(&f->base, buf + pos + 4);
    f->cause = cause;
    ProtobufCMessage *reread =
        protobuf_c_message_unpack(&temporal__api__failure__v1__failure__descriptor, NULL, n, buf + pos + 4);
    if (!reread) {
      free(buf);
      return NULL;
    }
    protobuf_c_message_free_unpacked(reread, NULL);
    put_u32(buf + pos, (uint32_t)n);
    pos += 4 + n;
  }
  *len_out = pos;
  return buf;
}

/* The error back to a Failure, as the worker reports it, and through the wire. */
static void check_back_to_failure(const temporal_application_error *error) {
  Temporal__Api__Failure__V1__Failure *wire = failure_on_the_wire(error);
  if (!wire) return; /* out of memory */
  FUZZ_REQUIRE(same_error_as_failure(error, wire));
  for (const Temporal__Api__Failure__V1__Failure *f = wire; f; f = f->cause)
    FUZZ_REQUIRE(strcmp(f->source, "temporal-c") == 0);
  protobuf_c_message_free_unpacked(&wire->base, NULL);
}

/* The error as a child serializes it and the parent reads it back. */
static void check_reserialized(const temporal_result *result) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  if (temporal__result_serialize(&bytes, &len, result) != 0) return; /* out of memory */
  temporal_result *again = NULL;
  FUZZ_REQUIRE(temporal__result_deserialize(&again, bytes, len) == 0);
  FUZZ_REQUIRE(same_result(result, again));
  temporal_result_free(again);
  free(bytes);
}

static void check_result_format(Temporal__Api__Failure__V1__Failure *f) {
  bool valid = true;
  for (const Temporal__Api__Failure__V1__Failure *c = f; c; c = c->cause)
    valid = valid && is_valid_application_failure(c);
  size_t len = 0;
  uint8_t *bytes = chain_as_result(f, &len);
  if (!bytes) return;
  temporal_result *result = NULL;
  int rc = temporal__result_deserialize(&result, bytes, len);
  free(bytes);
  FUZZ_REQUIRE(rc == (valid ? 0 : TEMPORAL_EDECODE));
  if (rc != 0) return;
  FUZZ_REQUIRE(result->kind == TEMPORAL__RESULT_ERROR);
  FUZZ_REQUIRE(same_error_as_failure(result->error, f));
  check_back_to_failure(result->error);
  check_reserialized(result);
  temporal_result_free(result);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const ProtobufCMessageDescriptor *d = &temporal__api__failure__v1__failure__descriptor;
  if (temporal__proto_check_depth(d, data, size, TEMPORAL__PROTO_MAX_DEPTH) != TEMPORAL__PROTO_DEPTH_OK)
    return 0;
  if (temporal__proto_check_depth(d, data, size, TEMPORAL__FAILURE_MAX_CHAIN) != TEMPORAL__PROTO_DEPTH_OK)
    return 0;
  Temporal__Api__Failure__V1__Failure *f = temporal__api__failure__v1__failure__unpack(NULL, size, data);
  if (!f) return 0;
  check_client_view(f);
  check_result_format(f);
  protobuf_c_message_free_unpacked(&f->base, NULL);
  return 0;
}
