/* Reading a temporal_result: what tests assert on. The result's layout stays private to the
 * converter; these only look. */
#include "converter/converter_internal.h"
#include "core/core.h"
#include "temporal/testing.h"

/* The public kinds are the internal ones, number for number, so the kind is a plain conversion. */
_Static_assert((int)TEMPORAL_RESULT_VALUE == (int)TEMPORAL__RESULT_VALUE, "result kinds differ");
_Static_assert((int)TEMPORAL_RESULT_ERROR == (int)TEMPORAL__RESULT_ERROR, "result kinds differ");
_Static_assert((int)TEMPORAL_RESULT_CANCELLED == (int)TEMPORAL__RESULT_CANCELLED, "result kinds differ");
_Static_assert((int)TEMPORAL_RESULT_ASYNC == (int)TEMPORAL__RESULT_ASYNC, "result kinds differ");

temporal_result_kind temporal_result_kind_of(const temporal_result *result) {
  return result ? (temporal_result_kind)result->kind : (temporal_result_kind)0;
}

const temporal_payload *temporal_result_value(const temporal_result *result) {
  return result && result->kind == TEMPORAL__RESULT_VALUE ? result->value : NULL;
}

const temporal_application_error *temporal_result_get_error(const temporal_result *result) {
  return result && result->kind == TEMPORAL__RESULT_ERROR ? result->error : NULL;
}

int temporal_result_value_json(json_t **out, const temporal_result *result) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "result_value_json: out is NULL");
  if (!result) return temporal__error(TEMPORAL_EINVAL, "result_value_json: result is NULL");
  switch (result->kind) {
    case TEMPORAL__RESULT_VALUE: break;
    case TEMPORAL__RESULT_ERROR: {
      /* The error itself is what a test wants to see when it expected a value. */
      const temporal_application_error *e = result->error;
      return temporal__error(TEMPORAL_ETYPE, "the result is an error, not a value: %s: %s",
                             e && e->type ? e->type : "", e && e->message ? e->message : "");
    }
    case TEMPORAL__RESULT_CANCELLED:
      return temporal__error(TEMPORAL_ETYPE, "the result is a cancellation, not a value");
    case TEMPORAL__RESULT_ASYNC:
      return temporal__error(TEMPORAL_ETYPE,
                             "the result says the activity completes asynchronously, not a value");
    default: return temporal__error(TEMPORAL_ETYPE, "the result is of unknown kind %d", (int)result->kind);
  }
  if (!result->value) {
    /* A value without a payload means "nothing", as it does on the wire (binary/null). */
    *out = json_null();
    return 0;
  }
  return temporal_payload_to_json(out, result->value);
}
