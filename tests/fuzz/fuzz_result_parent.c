/* Job bytes, what the parent reads: the result bytes a process-pool child (or a user executor) hands
 * back, decoded by temporal__result_deserialize (result_serialize.c) in the worker, where a broken
 * child must never crash it; then what the worker does with the result (the value as a Payload, the
 * error as a Failure) and the round trip through the child's side again.
 *
 * Properties: bytes that are not a result fail with TEMPORAL_EDECODE only; a result that decodes is
 * complete (a value has a payload, an error has a message and a type); serializing it and reading
 * that back gives the same result, and serializing that gives the same bytes (one spelling once
 * normalised); the value becomes the same Payload proto and the error the same Failure chain. */
#include <string.h>

#include "check.h"
#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "same.h"
#include "temporal/log.h"

/* Longer error chains are still decoded and round-tripped, only not turned into one nested Failure,
 * which the library cuts at TEMPORAL__FAILURE_MAX_CHAIN (the comparison here wants it whole). */
#define MAX_FAILURE_CHAIN 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  temporal_log_set_level(TEMPORAL_LOG_OFF);
  return 0;
}

static void require_complete(const temporal_result *r) {
  switch (r->kind) {
    case TEMPORAL__RESULT_VALUE: FUZZ_REQUIRE(r->value && !r->error); break;
    case TEMPORAL__RESULT_ERROR:
      FUZZ_REQUIRE(r->error && !r->value);
      for (const temporal_application_error *e = r->error; e; e = e->cause) {
        FUZZ_REQUIRE(e->type && e->message);
        FUZZ_REQUIRE(e->next_retry_delay >= 0);
        FUZZ_REQUIRE(e->category == TEMPORAL_ERROR_CATEGORY_UNSPECIFIED ||
                     e->category == TEMPORAL_ERROR_CATEGORY_BENIGN);
        for (size_t i = 0; i < e->detail_count; i++) FUZZ_REQUIRE(e->details[i]);
      }
      break;
    case TEMPORAL__RESULT_CANCELLED:
    case TEMPORAL__RESULT_ASYNC: FUZZ_REQUIRE(!r->value && !r->error); break;
    default: FUZZ_REQUIRE(!"a result of an unknown kind decoded");
  }
}

/* What the reporter sends for it: the value's Payload, or the error's Failure chain. */
static void check_reported(const temporal_result *r) {
  if (r->kind == TEMPORAL__RESULT_VALUE) {
    Temporal__Api__Common__V1__Payload *p = NULL;
    FUZZ_REQUIRE(temporal__result_value_to_proto(&p, r) == 0);
    FUZZ_REQUIRE(same_payload_proto(r->value, p));
    protobuf_c_message_free_unpacked(&p->base, NULL);
    return;
  }
  if (r->kind != TEMPORAL__RESULT_ERROR) return;
  size_t chain = 0;
  for (const temporal_application_error *e = r->error; e; e = e->cause) chain++;
  if (chain > MAX_FAILURE_CHAIN) return;
  Temporal__Api__Failure__V1__Failure *f = NULL;
  FUZZ_REQUIRE(temporal__failure_from_application_error(&f, r->error) == 0);
  FUZZ_REQUIRE(same_error_as_failure(r->error, f));
  protobuf_c_message_free_unpacked(&f->base, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  temporal_result *r = NULL;
  int rc = temporal__result_deserialize(&r, data, size);
  if (rc != 0) {
    FUZZ_REQUIRE(rc == TEMPORAL_EDECODE && !r);
    return 0;
  }
  require_complete(r);
  check_reported(r);

  uint8_t *once = NULL, *twice = NULL;
  size_t once_len = 0, twice_len = 0;
  FUZZ_REQUIRE(temporal__result_serialize(&once, &once_len, r) == 0);
  temporal_result *again = NULL;
  FUZZ_REQUIRE(temporal__result_deserialize(&again, once, once_len) == 0);
  FUZZ_REQUIRE(same_result(r, again));
  FUZZ_REQUIRE(temporal__result_serialize(&twice, &twice_len, again) == 0);
  FUZZ_REQUIRE(twice_len == once_len && memcmp(once, twice, once_len) == 0);
  free(once);
  free(twice);
  temporal_result_free(again);
  temporal_result_free(r);
  return 0;
}
