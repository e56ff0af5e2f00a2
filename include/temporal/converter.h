/* Payloads: the values that travel between workflows and activities.
 *
 * A payload is bytes plus metadata; its `encoding` metadata says how to read the bytes:
 *   binary/null   no value (empty data)             <-> JSON null / "nothing"
 *   binary/plain  raw bytes                         <-> bytes
 *   json/plain    compact UTF-8 JSON                <-> json_t * (jansson)
 * Values from other SDKs arrive in these encodings; any other encoding is a decode error.
 * Payloads are immutable once built: every call here is safe from any thread, concurrently on one
 * payload, and nothing the library hands you aliases a payload you built (it copies them). */
#ifndef TEMPORAL_CONVERTER_H
#define TEMPORAL_CONVERTER_H

#include <jansson.h>

#include "common.h"

TEMPORAL_BEGIN_DECLS

typedef struct temporal_payload temporal_payload;

#define TEMPORAL_ENCODING_NULL "binary/null"
#define TEMPORAL_ENCODING_BINARY "binary/plain"
#define TEMPORAL_ENCODING_JSON "json/plain"

/* Each constructor gives *out to the caller, who frees it with temporal_payload_free or hands it to
 * a function that takes it (temporal_result_payload). */

/* Build a json/plain payload from a JSON value (encoded now; the value stays the caller's; JSON null
 * gives binary/null). */
TEMPORAL_EXTERN int temporal_payload_new_json(temporal_payload **out, const json_t *value);
/* Build a json/plain payload holding a JSON string (the UTF-8 text is copied). */
TEMPORAL_EXTERN int temporal_payload_new_string(temporal_payload **out, const char *utf8);
/* Build a binary/plain payload (the bytes are copied). */
TEMPORAL_EXTERN int temporal_payload_new_bytes(temporal_payload **out, const void *data, size_t len);
/* Build a binary/null payload. */
TEMPORAL_EXTERN int temporal_payload_new_null(temporal_payload **out);
/* A deep copy. */
TEMPORAL_EXTERN int temporal_payload_copy(temporal_payload **out, const temporal_payload *payload);
/* Frees a payload the caller owns, once no thread reads it. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_payload_free(temporal_payload *payload);

/* The `encoding` metadata ("" when absent). Borrowed from the payload. */
TEMPORAL_EXTERN const char *temporal_payload_encoding(const temporal_payload *payload);
/* The data bytes, borrowed from the payload; *len_out receives the length. */
TEMPORAL_EXTERN const uint8_t *temporal_payload_data(const temporal_payload *payload, size_t *len_out);
/* A metadata value by key, borrowed; NULL when absent. */
TEMPORAL_EXTERN const uint8_t *temporal_payload_metadata(const temporal_payload *payload, const char *key,
                                                         size_t *len_out);

/* Decode a payload as JSON: json/plain is parsed, binary/null gives JSON null. Any other encoding,
 * or bytes that are not valid JSON, is TEMPORAL_EDECODE. A number that no json_t holds exactly (an
 * integer beyond 64 bits, a real beyond a double) is TEMPORAL_ERANGE: the payload's data keeps its
 * exact text. The caller owns the new reference. */
TEMPORAL_EXTERN int temporal_payload_to_json(json_t **out, const temporal_payload *payload);

/* ---- Application errors ------------------------------------------------------------------- */

/* An error an activity raises on purpose, as Temporal's ApplicationError: the workflow sees its
 * message, type, non_retryable flag and details. `type` is matched against the retry policy's
 * non_retryable_error_types. Owned by whoever created it until handed to a function that says it
 * takes it (temporal_result_error). Build it on one thread (the setters are not synchronised); the
 * getters may then run on any thread, and return what is borrowed from the error. */
typedef struct temporal_application_error temporal_application_error;

typedef enum temporal_error_category {
  TEMPORAL_ERROR_CATEGORY_UNSPECIFIED = 0,
  TEMPORAL_ERROR_CATEGORY_BENIGN = 1, /* expected: logged quietly, not counted as a failure */
} temporal_error_category;

/* A new error (type and message copied; NULL type = "Error", NULL message = ""); *out is the
 * caller's. */
TEMPORAL_EXTERN int temporal_application_error_new(temporal_application_error **out, const char *type,
                                                   const char *message);
/* Frees an error the caller still owns, with its details and causes. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_application_error_free(temporal_application_error *error);
TEMPORAL_EXTERN int temporal_application_error_set_non_retryable(temporal_application_error *error,
                                                                 bool non_retryable);
/* Appends one detail payload (copied). */
TEMPORAL_EXTERN int temporal_application_error_add_detail(temporal_application_error *error,
                                                          const temporal_payload *detail);
/* Overrides the retry policy's backoff before the next attempt (0 = no override). */
TEMPORAL_EXTERN int temporal_application_error_set_next_retry_delay(temporal_application_error *error,
                                                                    temporal_duration_ns delay);
TEMPORAL_EXTERN int temporal_application_error_set_category(temporal_application_error *error,
                                                            temporal_error_category category);
/* Chains `cause` (taken; freed with `error`). */
TEMPORAL_EXTERN int temporal_application_error_set_cause(temporal_application_error *error,
                                                         temporal_application_error *cause);

TEMPORAL_EXTERN const char *temporal_application_error_message(const temporal_application_error *error);
TEMPORAL_EXTERN const char *temporal_application_error_type(const temporal_application_error *error);
TEMPORAL_EXTERN bool temporal_application_error_non_retryable(const temporal_application_error *error);
TEMPORAL_EXTERN size_t temporal_application_error_detail_count(const temporal_application_error *error);
TEMPORAL_EXTERN const temporal_payload *temporal_application_error_detail(
    const temporal_application_error *error, size_t index);
TEMPORAL_EXTERN temporal_duration_ns
temporal_application_error_next_retry_delay(const temporal_application_error *error);
TEMPORAL_EXTERN temporal_error_category
temporal_application_error_category(const temporal_application_error *error);
TEMPORAL_EXTERN const temporal_application_error *temporal_application_error_cause(
    const temporal_application_error *error);

TEMPORAL_END_DECLS

#endif
