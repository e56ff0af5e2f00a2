/* Private to src/transport/ (and the client, which shares its retry view): the transport's state,
 * the pure status logic (code names, error mapping, retry classification, error details) and the
 * cancel-source hooks the call loop uses. */
#ifndef TEMPORAL_TRANSPORT_PRIVATE_H
#define TEMPORAL_TRANSPORT_PRIVATE_H

#include <stdatomic.h>

#include <grpc/grpc.h>

#include "core/core.h"
#include "transport/transport.h"

#define TEMPORAL__SERVICE_PATH "/temporal.api.workflowservice.v1.WorkflowService/"
#define TEMPORAL__DEFAULT_CALL_TIMEOUT (10 * TEMPORAL_SECOND)
/* DEFAULT retry mode: attempts per call (the first one included). */
#define TEMPORAL__DEFAULT_MAX_ATTEMPTS 10

struct temporal__transport {
  grpc_channel *channel;
  char *target;
  /* Metadata values, as reference-counted slices: gRPC references what it keeps of a call's
   * metadata, so nothing it keeps can outlive their bytes; the transport drops its own references
   * when it is freed, after its last call (see temporal__attempt_start). */
  grpc_slice namespace_md;
  grpc_slice authorization_md; /* "Bearer <key>"; empty without an API key */
  atomic_bool internal_error_differentiation;

  /* The connectivity watcher (connectivity.c). `mu` guards the channel against the watcher while the
   * transport is freed, and the list of retry sleeps to wake when the channel becomes ready. */
  pthread_mutex_t mu;
  pthread_cond_t ready_cond;          /* broadcast with ready_epoch: wakes retry sleeps without a source */
  atomic_uint ready_epoch;            /* +1 each time the channel becomes READY */
  temporal__cancel_source **sleepers; /* the sources of retry sleeps in progress (repeats allowed) */
  size_t sleeper_count, sleeper_cap;
  bool stopping;
  bool watcher_started;
  pthread_t watcher;
  grpc_completion_queue *watch_cq;

  /* The engine of asynchronous calls (call_async.c): one completion queue and the one thread that
   * drives it, both made by the first asynchronous call. */
  pthread_mutex_t engine_mu;
  bool engine_started; /* under engine_mu */
  pthread_t engine_thread;
  grpc_completion_queue *engine_cq;
};

/* ---- One attempt of a unary call (call.c), for the blocking and the asynchronous calls -------------- */

/* An attempt in progress: one batch (send metadata + message + close, receive metadata + message +
 * status) on a completion queue of the caller's, whose completion carries the caller's tag. */
typedef struct temporal__attempt {
  grpc_call *call;
  temporal__cancel_source *cancel; /* registered with, or NULL */
  grpc_metadata md[4];
  grpc_byte_buffer *send, *recv;
  grpc_metadata_array initial, trailing;
  grpc_status_code code;
  grpc_slice details;
  /* Stored (release) just before the batch starts, loaded (acquire) first when it has completed: the
   * completion may be read on another thread, and gRPC's own hand-over is invisible to ThreadSanitizer
   * (tests/sanitizers/tsan.supp), so this makes the order of what the starter wrote explicit. */
  atomic_bool started;
} temporal__attempt;

/* What an attempt ended with. */
typedef struct temporal__attempt_result {
  grpc_status_code code;
  char message[512];
  char detail_type[128];
  grpc_byte_buffer *response; /* owned; set only with GRPC_STATUS_OK */
} temporal__attempt_result;

/* Starts an attempt sending `request` (which it references) to `path`, with a deadline `timeout`
 * from now; the batch completes on `cq` with `tag`. 0, or a TEMPORAL_E* code with the last error set
 * (nothing to release then). `cancel` (may be NULL) can cancel it. */
int temporal__attempt_start(temporal__attempt *a, temporal__transport *t, const char *method, grpc_slice path,
                            grpc_slice request, temporal_duration_ns timeout, temporal__cancel_source *cancel,
                            grpc_completion_queue *cq, void *tag);
/* After the batch completed: moves its outcome into *out and releases the attempt. */
void temporal__attempt_finish(temporal__attempt *a, temporal__attempt_result *out);

/* The response of a successful attempt, unpacked as `descriptor` (depth-checked first). */
int temporal__decode_response(ProtobufCMessage **out, const char *method, grpc_byte_buffer *buffer,
                              const ProtobufCMessageDescriptor *descriptor);

/* ---- The retry policy (call.c), shared by both kinds of call ------------------------------------- */

typedef struct temporal__retry {
  const temporal__call_options *opts;
  bool differentiation;
  int attempts; /* finished so far */
  temporal__backoff normal, exhausted;
} temporal__retry;

void temporal__retry_init(temporal__retry *r, const temporal__call_options *opts, bool differentiation);
/* After a failed attempt: whether to try again, and after *delay_out. Logs the retry. */
bool temporal__retry_again(temporal__retry *r, const char *method, const temporal__attempt_result *a,
                           temporal_duration_ns *delay_out);
/* A call's final failure: sets *status (may be NULL) and the last error; returns the TEMPORAL_E* code. */
int temporal__call_failed(const char *method, const temporal__attempt_result *a, bool cancelled,
                          temporal__call_status *status);
/* Checks a call's arguments and packs the request: *payload (unref it) and path "<service>/<method>". */
int temporal__call_prepare(const char *method, const ProtobufCMessage *request, char *path, size_t path_cap,
                           grpc_slice *payload, temporal__call_status *status);
void temporal__call_set_status(temporal__call_status *status, int code, const char *message);

/* Stops the engine (every asynchronous call has completed; the channel is destroyed). */
void temporal__engine_stop(temporal__transport *t);

/* "NOT_FOUND" for 5, ... ("UNKNOWN_CODE" for codes gRPC does not define). Never NULL. */
const char *temporal__grpc_code_name(int grpc_code);

/* Whether a status is the "message larger than max" refusal (either direction): never retried. */
bool temporal__grpc_is_too_big(int grpc_code, const char *message);

/* The TEMPORAL_E* code for a failed call's final status (see transport.h). `cancelled` says the call
 * was cancelled through its cancel source, which wins over the status. */
int temporal__grpc_status_to_error(int grpc_code, const char *message, bool cancelled);

/* Whether a failed attempt should be tried again under `mode`. FOREVER also retries
 * DEADLINE_EXCEEDED (an expired long poll is normal and polling simply goes on), and so does UNTIL (a
 * report that got no answer in time is sent again while it can still matter). */
bool temporal__grpc_is_retryable(int grpc_code, const char *message, temporal__retry_mode mode,
                                 bool internal_error_differentiation);

/* The type name of the first detail in a packed google.rpc.Status (the value of the
 * grpc-status-details-bin trailer), e.g. "NamespaceNotFoundFailure", copied into `out` (cap bytes).
 * Returns false and leaves out = "" when there is no parsable detail. */
bool temporal__status_detail_type(char *out, size_t cap, const uint8_t *data, size_t len);

/* Starts the connectivity watcher on a new transport (channel made); stops it and destroys the channel
 * (before the rest of the transport is freed). */
int temporal__connectivity_start(temporal__transport *t);
void temporal__connectivity_stop_and_destroy_channel(temporal__transport *t);

/* A retry's pause: sleeps `d`, but ends early when the channel becomes READY (the server is back, so
 * the call goes again at once instead of waiting out a backoff that grew during the outage). Asks
 * the channel to connect meanwhile. False when `cancel` was cancelled. */
bool temporal__transport_retry_sleep(temporal__transport *t, temporal__cancel_source *cancel,
                                     temporal_duration_ns d);

/* Cancel-source internals for the retry sleep: sleep until cancelled, `d` passed, or *epoch differs
 * from `seen` (checked whenever the source is woken); and a wake-up. */
bool temporal__cancel_source_sleep_while(temporal__cancel_source *src, temporal_duration_ns d,
                                         const atomic_uint *epoch, unsigned int seen);
void temporal__cancel_source_wake(temporal__cancel_source *src);

/* Cancel-source hooks for the call loop. _add registers an in-flight call (TEMPORAL_ECANCELLED if
 * the source is already cancelled, TEMPORAL_ENOMEM); _remove unregisters it before it is unref'd. */
int temporal__cancel_source_add(temporal__cancel_source *src, grpc_call *call);
void temporal__cancel_source_remove(temporal__cancel_source *src, grpc_call *call);

#endif
