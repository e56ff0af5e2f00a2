/* Internal: the heartbeat manager, one thread per worker that throttles heartbeats and starts their
 * calls (which run on the transport's engine, any number at once), and turns the server's answers
 * into interruptions of the task (docs/PROTOCOL.md, "Heartbeats"). */
#ifndef TEMPORAL_WORKER_HEARTBEAT_H
#define TEMPORAL_WORKER_HEARTBEAT_H

#include "activity/task.h"
#include "transport/transport.h"

typedef struct temporal__heartbeats temporal__heartbeats;

/* What the manager needs of the worker, copied at creation (the strings must outlive it). */
typedef struct temporal__heartbeats_config {
  temporal__transport *transport;
  const char *namespace_;
  const char *identity;
  int64_t blob_size_limit; /* the namespace's payload limit; 0 = unknown */
} temporal__heartbeats_config;

/* What is left to do once a task's heartbeats are closed: `details` are its pending details (the
 * callee frees them), for a failure or cancellation report. */
typedef void (*temporal__heartbeats_closed)(temporal_payload **details, size_t count, void *data);

/* One task's heartbeat state, in memory the owner provides next to the task (zeroed before the first
 * record). Guarded by the manager's lock. */
typedef struct temporal__heartbeat_state {
  temporal__heartbeats *manager;
  temporal__task *task; /* set when first recorded; the manager holds a reference while registered */
  bool registered, closed, in_flight, has_pending;
  temporal_payload **pending;
  size_t pending_count;
  temporal_payload **sending; /* the details of the call in flight */
  size_t sending_count;
  temporal__heartbeats_closed then; /* closed while a call was in flight: run when it ends */
  void *then_data;
  int64_t next_allowed;     /* monotonic ns */
  int64_t last_started;     /* when the latest call began (0 = none yet) */
  int64_t previous_started; /* when the one before it began, for the debug log */
  temporal_duration_ns interval;
  temporal__queue link; /* the manager's list of registered tasks */
} temporal__heartbeat_state;

int temporal__heartbeats_new(temporal__heartbeats **out, const temporal__heartbeats_config *config);
/* Stops the thread and waits for the calls in flight; every state must have been closed. */
void temporal__heartbeats_free(temporal__heartbeats *heartbeats);

/* Records details (copied) for `task`, whose state `state` is: the first goes out at once, later
 * ones when the task's throttle window ends (last value wins). Details over the namespace's limit
 * are refused with TEMPORAL_ETOOBIG and fail the attempt for good. TEMPORAL_ESTATE once closed.
 * Any thread. */
int temporal__heartbeats_record(temporal__heartbeats *heartbeats, temporal__heartbeat_state *state,
                                temporal__task *task, const temporal_payload *const *details, size_t count);
/* Stops heartbeating and hands the pending details to `then`: at once, on the caller's thread, or,
 * when a heartbeat is on the wire, once its call has ended (on the transport's engine thread), so the
 * final report never overtakes it. Never blocks. Any thread, once per state. */
void temporal__heartbeats_close(temporal__heartbeats *heartbeats, temporal__heartbeat_state *state,
                                temporal__heartbeats_closed then, void *data);

#endif
