/* Private to src/client/: small builders for request messages and helpers for waiting on outcomes.
 * Messages are built by the convention of converter_internal.h (everything malloc'd, released with
 * protobuf_c_message_free_unpacked). */
#ifndef TEMPORAL_CLIENT_UTIL_H
#define TEMPORAL_CLIENT_UTIL_H

#include "client/client_internal.h"
#include "core/core.h"
#include "converter/converter_internal.h"
#include "google/protobuf/duration.pb-c.h"
#include "temporal/api/taskqueue/v1/message.pb-c.h"

/* Long polls (history, activity outcome) wait at most this long per call. */
#define TEMPORAL__LONG_POLL_TIMEOUT (70 * TEMPORAL_SECOND)
/* The server refuses long polls with less time than this (FAILED_PRECONDITION). */
#define TEMPORAL__MIN_LONG_POLL (2 * TEMPORAL_SECOND)

/* Sets a protobuf-c string field to a malloc'd copy of `value`; NULL or "" leaves the default. */
int temporal__client_set_string(char **field, const char *value);
/* A malloc'd Duration for `d`; *out = NULL when d <= 0 (field unset). */
int temporal__client_duration(Google__Protobuf__Duration **out, temporal_duration_ns d);
/* A malloc'd TaskQueue{name, kind = NORMAL}. */
int temporal__client_task_queue(Temporal__Api__Taskqueue__V1__TaskQueue **out, const char *name);
/* Input payloads for a request: NULL when there are no arguments. */
int temporal__client_input(Temporal__Api__Common__V1__Payloads **out, const temporal_payload *const *args,
                           size_t count);
/* The first payload of a result (binary/null when there is none). */
int temporal__client_result_payload(temporal_payload **out,
                                    const Temporal__Api__Common__V1__Payloads *payloads);
/* Fills `out` (may be NULL) with a failure of `type` and `message`, with no cause. */
int temporal__client_failure_simple(temporal_failure_info *out, const char *type, const char *message);

/* Sends a Start*Execution request (retried: its request id makes a repeat a no-op on the server) and
 * returns the response's run_id (malloc'd). `what` and `id` name the execution in errors, e.g. an
 * id already running: `workflow "x" is already running (...)`. */
int temporal__client_start(char **run_id_out, temporal_client *client, const char *method,
                           const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *response_descriptor, const char *what,
                           const char *id);

/* A monotonic deadline `timeout` from now (INT64_MAX when timeout <= 0: wait forever). */
int64_t temporal__client_deadline(temporal_duration_ns timeout);
/* The timeout of the next long poll before `deadline`: at most TEMPORAL__LONG_POLL_TIMEOUT; 0 when the
 * deadline has passed. */
temporal_duration_ns temporal__client_poll_timeout(int64_t deadline);
/* How a long poll of `poll` ns failed: 0 = a real error, 1 = it expired (DEADLINE_EXCEEDED: poll
 * again), 2 = the server refused to wait so little (FAILED_PRECONDITION on a poll under
 * TEMPORAL__MIN_LONG_POLL: the caller's own timeout is up). */
int temporal__client_poll_expired(const temporal__call_status *status, temporal_duration_ns poll);

#endif
