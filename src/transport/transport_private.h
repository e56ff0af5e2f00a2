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
  /* Metadata values, sent as static slices: they live as long as the transport. */
  char *namespace_;
  char *authorization; /* "Bearer <key>", or NULL */
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
};

/* "NOT_FOUND" for 5, ... ("UNKNOWN_CODE" for codes gRPC does not define). Never NULL. */
const char *temporal__grpc_code_name(int grpc_code);

/* Whether a status is the "message larger than max" refusal (either direction): never retried. */
bool temporal__grpc_is_too_big(int grpc_code, const char *message);

/* The TEMPORAL_E* code for a failed call's final status (see transport.h). `cancelled` says the call
 * was cancelled through its cancel source, which wins over the status. */
int temporal__grpc_status_to_error(int grpc_code, const char *message, bool cancelled);

/* Whether a failed attempt should be tried again under `mode`. FOREVER also retries
 * DEADLINE_EXCEEDED: an expired long poll is normal and polling simply goes on. */
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
