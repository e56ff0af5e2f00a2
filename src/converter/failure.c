/* Application errors -> Failure protos, as RespondActivityTaskFailed carries them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

#define FAILURE_SOURCE "temporal-c"

/* The fields of one application failure (no cause). */
typedef struct failure_fields {
  const char *type;
  const char *message;
  bool non_retryable;
  const temporal_payload *const *details;
  size_t detail_count;
  temporal_duration_ns next_retry_delay;
  temporal_error_category category;
} failure_fields;

/* Fills an initialised Failure; on failure it holds what was set so far (releasable as a whole). */
static int fill_failure(Temporal__Api__Failure__V1__Failure *f, const failure_fields *in) {
  if (!(f->message = strdup(in->message ? in->message : ""))) {
    f->message = (char *)protobuf_c_empty_string;
    return TEMPORAL_ENOMEM;
  }
  if (!(f->source = strdup(FAILURE_SOURCE))) {
    f->source = (char *)protobuf_c_empty_string;
    return TEMPORAL_ENOMEM;
  }
  Temporal__Api__Failure__V1__ApplicationFailureInfo *info = malloc(sizeof *info);
  if (!info) return TEMPORAL_ENOMEM;
  temporal__api__failure__v1__application_failure_info__init(info);
  f->failure_info_case = TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO;
  f->application_failure_info = info;
  if (!(info->type = strdup(in->type ? in->type : "Error"))) {
    info->type = (char *)protobuf_c_empty_string;
    return TEMPORAL_ENOMEM;
  }
  info->non_retryable = in->non_retryable;
  if (in->detail_count && temporal__payloads_to_proto(&info->details, in->details, in->detail_count) != 0)
    return TEMPORAL_ENOMEM;
  if (in->next_retry_delay > 0) {
    Google__Protobuf__Duration *d = malloc(sizeof *d);
    if (!d) return TEMPORAL_ENOMEM;
    google__protobuf__duration__init(d);
    d->seconds = in->next_retry_delay / TEMPORAL_SECOND;
    d->nanos = (int32_t)(in->next_retry_delay % TEMPORAL_SECOND);
    info->next_retry_delay = d;
  }
  info->category =
      in->category == TEMPORAL_ERROR_CATEGORY_BENIGN
          ? TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_BENIGN
          : TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_UNSPECIFIED;
  return 0;
}

/* A new Failure node, or NULL on ENOMEM. */
static Temporal__Api__Failure__V1__Failure *build_failure(const failure_fields *in) {
  Temporal__Api__Failure__V1__Failure *f = malloc(sizeof *f);
  if (!f) return NULL;
  temporal__api__failure__v1__failure__init(f);
  if (fill_failure(f, in) != 0) {
    protobuf_c_message_free_unpacked(&f->base, NULL);
    return NULL;
  }
  return f;
}

int temporal__failure_from_application_error(Temporal__Api__Failure__V1__Failure **out,
                                             const temporal_application_error *error) {
  if (!out || !error)
    return temporal__error(TEMPORAL_EINVAL, "temporal__failure_from_application_error: NULL argument");
  Temporal__Api__Failure__V1__Failure *head = NULL, **link = &head;
  unsigned int depth = 0;
  /* Iterative: each cause becomes the nested `cause` of the failure before it. */
  for (const temporal_application_error *e = error; e; e = e->cause) {
    failure_fields in = {
        e->type,         e->message,          e->non_retryable, (const temporal_payload *const *)e->details,
        e->detail_count, e->next_retry_delay, e->category};
    char omitted[160];
    if (++depth == TEMPORAL__FAILURE_MAX_CHAIN && e->cause) {
      size_t left = 0;
      for (const temporal_application_error *c = e; c; c = c->cause) left++;
      snprintf(omitted, sizeof omitted,
               "%zu more failures of this cause chain left out: a chain is cut at %d so every reader can "
               "decode it",
               left, TEMPORAL__FAILURE_MAX_CHAIN);
      in = (failure_fields){
          "TruncatedCauseChain", omitted, false, NULL, 0, 0, TEMPORAL_ERROR_CATEGORY_UNSPECIFIED};
    }
    Temporal__Api__Failure__V1__Failure *f = build_failure(&in);
    if (!f) {
      if (head) protobuf_c_message_free_unpacked(&head->base, NULL);
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    }
    *link = f;
    link = &f->cause;
    if (depth == TEMPORAL__FAILURE_MAX_CHAIN) break;
  }
  *out = head;
  return 0;
}

int temporal__failure_new(Temporal__Api__Failure__V1__Failure **out, const char *type, const char *message,
                          bool non_retryable) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal__failure_new: out is NULL");
  failure_fields in = {type, message, non_retryable, NULL, 0, 0, TEMPORAL_ERROR_CATEGORY_UNSPECIFIED};
  Temporal__Api__Failure__V1__Failure *f = build_failure(&in);
  if (!f) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  *out = f;
  return 0;
}
