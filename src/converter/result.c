/* Results: what an activity hands back. The constructors never return NULL, so an activity can
 * always `return temporal_result_...(...)`; when memory runs out they return one shared, static
 * "out of memory" failure (retryable, so the server tries the activity again). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

static char oom_type[] = "OutOfMemoryError";
static char oom_message[] = "out of memory";
static temporal_application_error oom_error = {.type = oom_type, .message = oom_message};
static temporal_result oom_result = {
    .kind = TEMPORAL__RESULT_ERROR, .value = NULL, .error = &oom_error, .is_static = true};

static temporal_result *result_alloc(temporal__result_kind kind) {
  temporal_result *r = calloc(1, sizeof *r);
  if (r) r->kind = kind;
  return r;
}

/* Takes `payload` (which may be NULL after a failed constructor: then out of memory). */
static temporal_result *value_result(temporal_payload *payload) {
  temporal_result *r = payload ? result_alloc(TEMPORAL__RESULT_VALUE) : NULL;
  if (!r) {
    temporal_payload_free(payload);
    return &oom_result;
  }
  r->value = payload;
  return r;
}

temporal_result *temporal_result_error(temporal_application_error *error) {
  if (!error) return temporal_result_errorf("TemporalError", "temporal_result_error was given a NULL error");
  temporal_result *r = result_alloc(TEMPORAL__RESULT_ERROR);
  if (!r) {
    temporal_application_error_free(error);
    return &oom_result;
  }
  r->error = error;
  return r;
}

/* A retryable application error; `message` is copied. */
static temporal_result *error_result(const char *type, const char *message) {
  temporal_application_error *e = NULL;
  if (temporal_application_error_new(&e, type, message) != 0) return &oom_result;
  return temporal_result_error(e);
}

temporal_result *temporal_result_errorf(const char *type, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  char *message = NULL;
  int n = vasprintf(&message, format ? format : "", ap);
  va_end(ap);
  if (n < 0) return &oom_result;
  temporal_result *r = error_result(type ? type : "Error", message);
  free(message);
  return r;
}

temporal_result *temporal_result_from_code(int code) {
  const char *last = temporal_error_last();
  /* Copied before anything below can overwrite the thread's last error. */
  char message[1024];
  snprintf(message, sizeof message, "%s", last[0] ? last : temporal_strerror(code));
  return error_result("TemporalError", message);
}

temporal_result *temporal_result_json(json_t *value) {
  if (!value)
    return temporal_result_errorf("TemporalError",
                                  "temporal_result_json was given NULL (did a jansson constructor fail?)");
  temporal_payload *payload = NULL;
  int rc = temporal_payload_new_json(&payload, value);
  json_decref(value);
  if (rc == TEMPORAL_ENOMEM) return &oom_result;
  if (rc != 0)
    return temporal_result_errorf("TemporalError", "could not encode the result: %s", temporal_error_last());
  return value_result(payload);
}

temporal_result *temporal_result_string(const char *utf8) {
  if (!utf8) return temporal_result_errorf("TemporalError", "temporal_result_string was given NULL");
  temporal_payload *payload = NULL;
  int rc = temporal_payload_new_string(&payload, utf8);
  if (rc == TEMPORAL_ENOMEM) return &oom_result;
  if (rc != 0)
    return temporal_result_errorf("TemporalError", "could not encode the result: %s", temporal_error_last());
  return value_result(payload);
}

temporal_result *temporal_result_bytes(const void *data, size_t len) {
  if (!data && len)
    return temporal_result_errorf("TemporalError", "temporal_result_bytes was given NULL data");
  temporal_payload *payload = NULL;
  if (temporal_payload_new_bytes(&payload, data, len) != 0) return &oom_result;
  return value_result(payload);
}

temporal_result *temporal_result_payload(temporal_payload *payload) {
  if (!payload) return temporal_result_errorf("TemporalError", "temporal_result_payload was given NULL");
  return value_result(payload);
}

temporal_result *temporal_result_none(void) {
  temporal_payload *payload = NULL;
  if (temporal_payload_new_null(&payload) != 0) return &oom_result;
  return value_result(payload);
}

temporal_result *temporal_result_async(void) {
  temporal_result *r = result_alloc(TEMPORAL__RESULT_ASYNC);
  return r ? r : &oom_result;
}

temporal_result *temporal_result_cancelled(void) {
  temporal_result *r = result_alloc(TEMPORAL__RESULT_CANCELLED);
  return r ? r : &oom_result;
}

void temporal_result_free(temporal_result *result) {
  if (!result || result->is_static) return;
  temporal_payload_free(result->value);
  temporal_application_error_free(result->error);
  free(result);
}

int temporal__result_value_to_proto(Temporal__Api__Common__V1__Payload **out, const temporal_result *result) {
  if (!out || !result)
    return temporal__error(TEMPORAL_EINVAL, "temporal__result_value_to_proto: NULL argument");
  if (result->kind != TEMPORAL__RESULT_VALUE)
    return temporal__error(TEMPORAL_EINVAL, "temporal__result_value_to_proto: the result is not a value");
  if (result->value) return temporal__payload_to_proto(out, result->value);
  /* A value result without a payload means "nothing": binary/null. */
  temporal_payload *none = NULL;
  int rc = temporal_payload_new_null(&none);
  if (rc != 0) return rc;
  rc = temporal__payload_to_proto(out, none);
  temporal_payload_free(none);
  return rc;
}
