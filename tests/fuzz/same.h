/* Structural equality of the library's values, for the round-trip properties the targets check: what
 * one side encodes, the other decodes to the same thing. And the Failure wire trip two targets share. */
#ifndef TEMPORAL_FUZZ_SAME_H
#define TEMPORAL_FUZZ_SAME_H

#include <stdbool.h>

#include "converter/converter_internal.h"

/* Same metadata entries (keys and values, in order, duplicates included) and the same data. */
bool same_payload(const temporal_payload *a, const temporal_payload *b);
/* The same, against a payload proto (what a Payload proto holds once converted). */
bool same_payload_proto(const temporal_payload *a, const Temporal__Api__Common__V1__Payload *b);
/* Every field of every error of the two cause chains, and the same chain length. */
bool same_error_chain(const temporal_application_error *a, const temporal_application_error *b);
/* Same kind and the same value or error. */
bool same_result(const temporal_result *a, const temporal_result *b);
/* An application error chain against a Failure chain: each Failure an application failure whose
 * fields say what the error says, and as many causes. */
bool same_error_as_failure(const temporal_application_error *e, const Temporal__Api__Failure__V1__Failure *f);

/* The Failure the worker builds for `error`, packed and unpacked as a reader gets it (free it with
 * protobuf_c_message_free_unpacked); NULL when building it fails (out of memory). */
Temporal__Api__Failure__V1__Failure *failure_on_the_wire(const temporal_application_error *error);

#endif
