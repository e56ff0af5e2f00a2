/* Internal side of the data converter: payloads <-> protobuf-c messages, decoded arguments,
 * results, and application errors <-> Failure protos.
 *
 * Convention for protobuf-c messages we build (not unpack): every field, string, byte array,
 * repeated array and sub-message is malloc'd (or left at its default), so the whole tree is released
 * with protobuf_c_message_free_unpacked(&msg->base, NULL), exactly like an unpacked message. */
#ifndef TEMPORAL_CONVERTER_INTERNAL_H
#define TEMPORAL_CONVERTER_INTERNAL_H

#include <jansson.h>

#include "temporal/activity.h"
#include "temporal/client.h"
#include "temporal/converter.h"
#include "temporal/api/common/v1/message.pb-c.h"
#include "temporal/api/failure/v1/message.pb-c.h"

/* A payload: metadata entries and data, all owned. */
typedef struct temporal__meta {
  char *key;
  uint8_t *value;
  size_t len;
} temporal__meta;

struct temporal_payload {
  temporal__meta *meta;
  size_t meta_count;
  uint8_t *data;
  size_t len;
};

/* Proto -> payload (deep copy). */
int temporal__payload_from_proto(temporal_payload **out, const Temporal__Api__Common__V1__Payload *proto);
/* Payload -> a newly built proto (free with protobuf_c_message_free_unpacked). */
int temporal__payload_to_proto(Temporal__Api__Common__V1__Payload **out, const temporal_payload *payload);
/* The size of the Payloads message these payloads make on the wire (what the server's payload
 * size limit measures). */
size_t temporal__payloads_encoded_size(const temporal_payload *const *payloads, size_t count);
/* Payload list -> a newly built Payloads proto (count may be 0). */
int temporal__payloads_to_proto(Temporal__Api__Common__V1__Payloads **out,
                                const temporal_payload *const *payloads, size_t count);
/* A Payloads message whose payloads borrow the bytes (data, metadata keys and values) of `payloads`
 * instead of copying them: for a request that is packed while they live, where a copy would only
 * double a result or heartbeat details that may be megabytes. It must not outlive them, nor be freed
 * with protobuf_c_message_free_unpacked; release it with temporal__payloads_view_release. Count 0
 * gives an empty message. TEMPORAL_EINVAL for a NULL payload, TEMPORAL_ENOMEM. */
typedef struct temporal__payloads_view {
  Temporal__Api__Common__V1__Payloads payloads;
  Temporal__Api__Common__V1__Payload *items; /* what payloads.payloads points to, and their entries: */
  Temporal__Api__Common__V1__Payload__MetadataEntry *entries, **entry_ptrs;
} temporal__payloads_view;
int temporal__payloads_view_init(temporal__payloads_view *view, const temporal_payload *const *payloads,
                                 size_t count);
void temporal__payloads_view_release(temporal__payloads_view *view); /* no-op on a zeroed or released view */

/* Positional arguments, decoded once: json/plain is parsed, binary/null is JSON null, binary/plain
 * stays bytes (json NULL). */
struct temporal_args {
  size_t count;
  temporal_payload **payloads;
  json_t **json;   /* json[i] NULL for binary/plain */
  bool *undecoded; /* raw mode only: undecoded[i] when payload i did not decode (json[i] NULL) */
  /* out_of_range[i]: why payload i, valid JSON, holds a number no json_t holds exactly (json[i]
   * NULL); its typed getters fail with TEMPORAL_ERANGE, its raw payload stays readable. NULL when
   * no argument is out of range. */
  char **out_of_range;
};
/* Decodes every payload of `input` (NULL = no arguments). On a payload that does not decode returns
 * TEMPORAL_EDECODE with a message naming the argument index and the reason. */
int temporal__args_new(temporal_args **out, const Temporal__Api__Common__V1__Payloads *input);
/* The dynamic activity's arguments: the raw payloads, each decoded when it can be; one that does
 * not decode is still there for temporal_args_get_payload (the typed getters report it). */
int temporal__args_new_raw(temporal_args **out, const Temporal__Api__Common__V1__Payloads *input);
/* Builds args from payloads (copied) -- for the testing environment and heartbeat details. */
int temporal__args_from_payloads(temporal_args **out, const temporal_payload *const *payloads, size_t count);
void temporal__args_free(temporal_args *args);

/* What an activity produced. */
typedef enum temporal__result_kind {
  TEMPORAL__RESULT_VALUE = 1,     /* payload (binary/null for none) */
  TEMPORAL__RESULT_ERROR = 2,     /* application error */
  TEMPORAL__RESULT_CANCELLED = 3, /* the activity stopped because it was cancelled */
  TEMPORAL__RESULT_ASYNC = 4,     /* it will be completed later through a client */
} temporal__result_kind;

struct temporal_result {
  temporal__result_kind kind;
  temporal_payload *value;
  temporal_application_error *error;
  bool is_static; /* the shared out-of-memory result: never freed */
};

struct temporal_application_error {
  char *type;
  char *message;
  bool non_retryable;
  temporal_payload **details;
  size_t detail_count;
  temporal_duration_ns next_retry_delay;
  temporal_error_category category;
  temporal_application_error *cause;
};

/* The most failures a built Failure nests. protobuf-c packs, unpacks and frees nested messages
 * recursively, and readers refuse deep messages (this library past 100 levels: core/proto_depth.h,
 * Google's runtimes likewise), so a longer cause chain is cut: the last failure kept says how many
 * causes were left out. 64 leaves room for the envelope around a failure (request, history event,
 * the details' payloads) under 100. */
#define TEMPORAL__FAILURE_MAX_CHAIN 64

/* Application error -> a newly built Failure proto with application_failure_info (and the cause
 * chain as nested failures, cut at TEMPORAL__FAILURE_MAX_CHAIN). source is "temporal-c". */
int temporal__failure_from_application_error(Temporal__Api__Failure__V1__Failure **out,
                                             const temporal_application_error *error);
/* Shorthand: a Failure for an application error of `type` with a message. */
int temporal__failure_new(Temporal__Api__Failure__V1__Failure **out, const char *type, const char *message,
                          bool non_retryable);
/* A Failure proto (as the server returns it) -> the flat description the client API gives. */
int temporal__failure_info_from_proto(temporal_failure_info *out,
                                      const Temporal__Api__Failure__V1__Failure *failure);

/* Encodes a result's value as a Payload proto; for non-value results returns TEMPORAL_EINVAL. */
int temporal__result_value_to_proto(Temporal__Api__Common__V1__Payload **out, const temporal_result *result);

/* Serialization of a result to bytes and back (used to carry results across processes). */
int temporal__result_serialize(uint8_t **out, size_t *len_out, const temporal_result *result);
int temporal__result_deserialize(temporal_result **out, const uint8_t *data, size_t len);

/* Payload lists to/from bytes (a packed Payloads proto), for heartbeat details across processes. */
int temporal__payloads_serialize(uint8_t **out, size_t *len_out, const temporal_payload *const *payloads,
                                 size_t count);
int temporal__payloads_deserialize(temporal_payload ***out, size_t *count_out, const uint8_t *data,
                                   size_t len);
void temporal__payload_array_free(temporal_payload **payloads, size_t count);

/* ---- JSON strings without jansson's parser or serializer (json_fast.c) -------------------------- */

/* A JSON text that is one plain string ("..." with no escape, valid UTF-8) becomes a json_t string
 * without the parser: 1 (*out set), 0 (not that simple: parse it with jansson, which gives the same
 * value or its own error), or TEMPORAL_ENOMEM. */
int temporal__json_string_fast_parse(json_t **out, const uint8_t *text, size_t len);
/* The compact JSON text of a UTF-8 string, as jansson would write it (malloc'd, NUL-terminated, the
 * NUL not counted); TEMPORAL_EINVAL "the string is not valid UTF-8", or TEMPORAL_ENOMEM. */
int temporal__json_string_fast_dump(uint8_t **out, size_t *len_out, const char *utf8, size_t len);
/* A json/plain payload that takes `data` (malloc'd, len bytes); on error `data` is freed. */
int temporal__payload_adopt_json(temporal_payload **out, uint8_t *data, size_t len);

#endif
