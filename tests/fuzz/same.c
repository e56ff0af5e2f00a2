/* Structural equality for the round-trip checks, and the Failure wire trip they compare across
 * (same.h). Each comparison says only whether the two agree; the target that calls it says which
 * property failed. */
#include "same.h"

#include "check.h"

#include <stdlib.h>
#include <string.h>

#define CASE_APPLICATION TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO
#define CATEGORY_BENIGN \
  TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_BENIGN

static bool same_bytes(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len) {
  return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

static bool same_string(const char *a, const char *b) {
  return strcmp(a ? a : "", b ? b : "") == 0;
}

bool same_payload(const temporal_payload *a, const temporal_payload *b) {
  if (!a || !b) return a == b;
  if (a->meta_count != b->meta_count) return false;
  for (size_t i = 0; i < a->meta_count; i++) {
    if (strcmp(a->meta[i].key, b->meta[i].key) != 0) return false;
    if (!same_bytes(a->meta[i].value, a->meta[i].len, b->meta[i].value, b->meta[i].len)) return false;
  }
  return same_bytes(a->data, a->len, b->data, b->len);
}

bool same_payload_proto(const temporal_payload *a, const Temporal__Api__Common__V1__Payload *b) {
  if (!a || !b) return !a && !b;
  if (a->meta_count != b->n_metadata) return false;
  for (size_t i = 0; i < a->meta_count; i++) {
    const Temporal__Api__Common__V1__Payload__MetadataEntry *e = b->metadata[i];
    if (!same_string(a->meta[i].key, e->key)) return false;
    if (!same_bytes(a->meta[i].value, a->meta[i].len, e->value.data, e->value.len)) return false;
  }
  return same_bytes(a->data, a->len, b->data.data, b->data.len);
}

/* One error's own fields, not its cause. */
static bool same_error_fields(const temporal_application_error *a, const temporal_application_error *b) {
  if (!same_string(a->type, b->type) || !same_string(a->message, b->message)) return false;
  if (a->non_retryable != b->non_retryable || a->next_retry_delay != b->next_retry_delay ||
      a->category != b->category || a->detail_count != b->detail_count)
    return false;
  for (size_t i = 0; i < a->detail_count; i++)
    if (!same_payload(a->details[i], b->details[i])) return false;
  return true;
}

bool same_error_chain(const temporal_application_error *a, const temporal_application_error *b) {
  for (; a && b; a = a->cause, b = b->cause)
    if (!same_error_fields(a, b)) return false;
  return !a && !b;
}

bool same_result(const temporal_result *a, const temporal_result *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case TEMPORAL__RESULT_VALUE: return same_payload(a->value, b->value);
    case TEMPORAL__RESULT_ERROR: return same_error_chain(a->error, b->error);
    default: return true;
  }
}

static temporal_duration_ns duration_ns(const Google__Protobuf__Duration *d) {
  return d ? d->seconds * TEMPORAL_SECOND + d->nanos : 0;
}

/* One error against one Failure node, not the causes. */
static bool same_error_as_failure_node(const temporal_application_error *e,
                                       const Temporal__Api__Failure__V1__Failure *f) {
  const Temporal__Api__Failure__V1__ApplicationFailureInfo *info = f->application_failure_info;
  if (f->failure_info_case != CASE_APPLICATION || !info) return false;
  if (!same_string(e->type, info->type) || !same_string(e->message, f->message)) return false;
  if (e->non_retryable != (bool)info->non_retryable) return false;
  if ((e->category == TEMPORAL_ERROR_CATEGORY_BENIGN) != (info->category == CATEGORY_BENIGN)) return false;
  if (e->next_retry_delay != duration_ns(info->next_retry_delay)) return false;
  size_t n = info->details ? info->details->n_payloads : 0;
  if (e->detail_count != n) return false;
  for (size_t i = 0; i < n; i++)
    if (!same_payload_proto(e->details[i], info->details->payloads[i])) return false;
  return true;
}

bool same_error_as_failure(const temporal_application_error *e,
                           const Temporal__Api__Failure__V1__Failure *f) {
  for (; e && f; e = e->cause, f = f->cause)
    if (!same_error_as_failure_node(e, f)) return false;
  return !e && !f;
}

Temporal__Api__Failure__V1__Failure *failure_on_the_wire(const temporal_application_error *error) {
  Temporal__Api__Failure__V1__Failure *built = NULL;
  if (temporal__failure_from_application_error(&built, error) != 0) return NULL;
  size_t len = protobuf_c_message_get_packed_size(&built->base);
  uint8_t *bytes = malloc(len ? len : 1);
  FUZZ_REQUIRE(bytes);
  FUZZ_REQUIRE(protobuf_c_message_pack(&built->base, bytes) == len);
  protobuf_c_message_free_unpacked(&built->base, NULL);
  Temporal__Api__Failure__V1__Failure *wire = temporal__api__failure__v1__failure__unpack(NULL, len, bytes);
  free(bytes);
  FUZZ_REQUIRE(wire);
  return wire;
}
