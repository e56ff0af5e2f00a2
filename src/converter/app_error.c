/* Application errors: what an activity raises on purpose (message, type, non_retryable, details,
 * next_retry_delay, category, and a chain of causes). */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

int temporal_application_error_new(temporal_application_error **out, const char *type, const char *message) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_new: out is NULL");
  temporal_application_error *e = calloc(1, sizeof *e);
  if (!e) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  /* The same default as temporal_result_errorf, so every error has a type to match retry policies on. */
  e->type = strdup(type ? type : "Error");
  e->message = strdup(message ? message : "");
  if (!e->type || !e->message) {
    temporal_application_error_free(e);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  *out = e;
  return 0;
}

/* Frees one error, not its cause. */
static void free_one(temporal_application_error *e) {
  free(e->type);
  free(e->message);
  temporal__payload_array_free(e->details, e->detail_count);
  free(e);
}

void temporal_application_error_free(temporal_application_error *error) {
  /* Iterative, so a long cause chain cannot exhaust the stack. */
  while (error) {
    temporal_application_error *cause = error->cause;
    free_one(error);
    error = cause;
  }
}

int temporal_application_error_set_non_retryable(temporal_application_error *error, bool non_retryable) {
  if (!error)
    return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_set_non_retryable: error is NULL");
  error->non_retryable = non_retryable;
  return 0;
}

int temporal_application_error_add_detail(temporal_application_error *error, const temporal_payload *detail) {
  if (!error || !detail)
    return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_add_detail: NULL argument");
  temporal_payload *copy = NULL;
  int rc = temporal_payload_copy(&copy, detail);
  if (rc != 0) return rc;
  temporal_payload **grown = realloc(error->details, (error->detail_count + 1) * sizeof *grown);
  if (!grown) {
    temporal_payload_free(copy);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  grown[error->detail_count++] = copy;
  error->details = grown;
  return 0;
}

int temporal_application_error_set_next_retry_delay(temporal_application_error *error,
                                                    temporal_duration_ns delay) {
  if (!error)
    return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_set_next_retry_delay: error is NULL");
  if (delay < 0) return temporal__error(TEMPORAL_EINVAL, "next_retry_delay must not be negative");
  error->next_retry_delay = delay;
  return 0;
}

int temporal_application_error_set_category(temporal_application_error *error,
                                            temporal_error_category category) {
  if (!error)
    return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_set_category: error is NULL");
  if (category != TEMPORAL_ERROR_CATEGORY_UNSPECIFIED && category != TEMPORAL_ERROR_CATEGORY_BENIGN)
    return temporal__error(TEMPORAL_EINVAL, "unknown error category %d", (int)category);
  error->category = category;
  return 0;
}

static bool chain_contains(const temporal_application_error *chain, const temporal_application_error *e) {
  for (; chain; chain = chain->cause)
    if (chain == e) return true;
  return false;
}

int temporal_application_error_set_cause(temporal_application_error *error,
                                         temporal_application_error *cause) {
  if (!error) {
    temporal_application_error_free(cause); /* taken, even when the call fails */
    return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_set_cause: error is NULL");
  }
  if (cause == error->cause) return 0;
  /* Refused without taking `cause`: it is already part of one of the two chains, and freeing or
   * linking it would free it twice or make a cycle. */
  if (chain_contains(error, cause) || chain_contains(cause, error))
    return temporal__error(TEMPORAL_EINVAL, "temporal_application_error_set_cause: that would make a cycle");
  temporal_application_error_free(error->cause);
  error->cause = cause;
  return 0;
}

const char *temporal_application_error_message(const temporal_application_error *error) {
  return error && error->message ? error->message : "";
}

const char *temporal_application_error_type(const temporal_application_error *error) {
  return error && error->type ? error->type : "";
}

bool temporal_application_error_non_retryable(const temporal_application_error *error) {
  return error && error->non_retryable;
}

size_t temporal_application_error_detail_count(const temporal_application_error *error) {
  return error ? error->detail_count : 0;
}

const temporal_payload *temporal_application_error_detail(const temporal_application_error *error,
                                                          size_t index) {
  return error && index < error->detail_count ? error->details[index] : NULL;
}

temporal_duration_ns temporal_application_error_next_retry_delay(const temporal_application_error *error) {
  return error ? error->next_retry_delay : 0;
}

temporal_error_category temporal_application_error_category(const temporal_application_error *error) {
  return error ? error->category : TEMPORAL_ERROR_CATEGORY_UNSPECIFIED;
}

const temporal_application_error *temporal_application_error_cause(const temporal_application_error *error) {
  return error ? error->cause : NULL;
}
