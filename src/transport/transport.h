/* Internal transport: one gRPC channel to the server and unary calls on it.
 *
 * Calls are blocking (temporal__transport_call) or asynchronous (temporal__transport_call_async, run
 * by the transport's engine thread: transport/call_async.c), thread-safe either way; each attempt
 * has a deadline. Retries follow docs/PROTOCOL.md ("Calls and
 * deadlines"): the retryable codes (UNAVAILABLE, UNKNOWN, ABORTED, RESOURCE_EXHAUSTED, INTERNAL unless the
 * server differentiates internal errors) back off from 200 ms, doubling, +-20 % jitter; polls retry forever
 * (200 ms -> 10 s; RESOURCE_EXHAUSTED 1 s -> 10 s). "message larger than max" is never retried. */
#ifndef TEMPORAL_TRANSPORT_H
#define TEMPORAL_TRANSPORT_H

#include <protobuf-c/protobuf-c.h>

#include "temporal/client.h"

typedef struct temporal__transport temporal__transport;

/* A set of in-flight calls that can be cancelled together (e.g. the worker's polls at shutdown).
 * After temporal__cancel_source_cancel, calls using it fail at once with TEMPORAL_ECANCELLED. */
typedef struct temporal__cancel_source temporal__cancel_source;
int temporal__cancel_source_new(temporal__cancel_source **out);
void temporal__cancel_source_cancel(temporal__cancel_source *src); /* any thread */
bool temporal__cancel_source_is_cancelled(const temporal__cancel_source *src);
/* Sleeps `d`, or less if the source is cancelled meanwhile: true when the whole time passed, false
 * once cancelled. A NULL source only sleeps. */
bool temporal__cancel_source_sleep(temporal__cancel_source *src, temporal_duration_ns d);
void temporal__cancel_source_free(temporal__cancel_source *src);

typedef enum temporal__retry_mode {
  TEMPORAL__RETRY_DEFAULT = 0, /* retryable codes, a bounded number of attempts (about 10) */
  TEMPORAL__RETRY_NONE = 1,
  TEMPORAL__RETRY_FOREVER = 2, /* polls: until success, a non-retryable code or cancellation */
  /* reports: the retryable codes and DEADLINE_EXCEEDED, backing off from 200 ms to 10 s, until the
   * options' retry_until */
  TEMPORAL__RETRY_UNTIL = 3,
} temporal__retry_mode;

typedef struct temporal__call_options {
  temporal_duration_ns timeout; /* per attempt; 0 = 10 s */
  temporal__retry_mode retry;
  temporal__cancel_source *cancel; /* optional; blocking calls only */
  int64_t retry_until;             /* TEMPORAL__RETRY_UNTIL: monotonic ns after which no retry starts */
} temporal__call_options;

/* The last status of a call. grpc_code is a grpc_status_code (0 = OK). */
typedef struct temporal__call_status {
  int grpc_code;
  char message[512];
} temporal__call_status;

int temporal__transport_new(temporal__transport **out, const temporal_client_options *opts);
void temporal__transport_free(temporal__transport *t);
/* Whether the server's capabilities (from GetSystemInfo) say internal errors are differentiated. */
void temporal__transport_set_internal_error_differentiation(temporal__transport *t, bool on);

/* One unary call of /temporal.api.workflowservice.v1.WorkflowService/<method>. On success *resp_out
 * is the unpacked response (free with protobuf_c_message_free_unpacked(resp, NULL)).
 * Errors: TEMPORAL_ENOTFOUND (NOT_FOUND), TEMPORAL_EINVAL (INVALID_ARGUMENT), TEMPORAL_EEXISTS
 * (ALREADY_EXISTS), TEMPORAL_ECANCELLED (cancelled through opts->cancel), TEMPORAL_ETIMEDOUT
 * (DEADLINE_EXCEEDED), TEMPORAL_ETOOBIG (message larger than max), TEMPORAL_ETRANSPORT
 * (UNAVAILABLE after retries), TEMPORAL_ESERVER (any other code), TEMPORAL_EDECODE (bad response).
 * The thread's last error names the method, the code and the server's message. */
int temporal__transport_call(temporal__transport *t, const char *method, const ProtobufCMessage *request,
                             const ProtobufCMessageDescriptor *response_descriptor,
                             ProtobufCMessage **resp_out, const temporal__call_options *opts,
                             temporal__call_status *status_out);

/* How an asynchronous call ended: rc and the last error as temporal__transport_call's, `response`
 * (NULL unless rc == 0) borrowed for the callback only, `status` its last status. */
typedef void (*temporal__call_done)(int rc, const ProtobufCMessage *response,
                                    const temporal__call_status *status, void *data);

/* The same call, without a thread waiting for it: `request` is packed before this returns (the caller
 * may free it at once), the attempts and their retry pauses run on the transport's engine thread, and
 * `done` is called there once, when the call has ended. `done` must not block: every asynchronous
 * call of the transport waits for it. Returns 0 when the call started; otherwise a TEMPORAL_E* code
 * (EINVAL, ETOOBIG, ENOMEM, ESYSTEM) with the last error set, and `done` is never called. opts->cancel
 * must be NULL. Every asynchronous call must have ended before the transport is freed. Any thread,
 * the engine's own included (a callback may start the next call). */
int temporal__transport_call_async(temporal__transport *t, const char *method,
                                   const ProtobufCMessage *request,
                                   const ProtobufCMessageDescriptor *response_descriptor,
                                   const temporal__call_options *opts, temporal__call_done done, void *data);

#endif
