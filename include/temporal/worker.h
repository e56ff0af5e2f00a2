/* The worker: polls a task queue for activity tasks and runs the registered activities.
 *
 *   temporal_worker_new    validates the options (duplicate names, missing executor, ...)
 *   temporal_worker_start  checks the namespace, starts the pollers (and the loop thread)
 *   temporal_worker_shutdown  asks it to stop: safe from any thread and from a signal handler
 *   temporal_worker_wait   waits until polling stopped and every running activity was reported
 *   temporal_worker_free   shuts down if needed, joins every thread, frees everything
 * temporal_worker_run = start + wait.
 * The worker borrows its client, executor, shared state manager and loop: free it before them. */
#ifndef TEMPORAL_WORKER_H
#define TEMPORAL_WORKER_H

#include "activity.h"
#include "client.h"
#include "common.h"
#include "executor.h"

TEMPORAL_BEGIN_DECLS

typedef struct temporal_worker temporal_worker;

typedef struct temporal_worker_options {
  unsigned int version;
  const char *task_queue; /* required */
  /* The mapping from names to callables (copied; names must be unique, at most one dynamic). */
  const temporal_activity_definition *activities;
  size_t activity_count;
  /* Runs sync activities: required when any activity is sync. */
  temporal_executor *activity_executor;
  /* Required when activity_executor is not a thread pool. */
  temporal_shared_state_manager *shared_state_manager;
  /* The loop async activities run on. NULL = the worker runs a loop on a thread of its own. A loop
   * you provide must be run by you; the worker only adds one handle to it and starts activities on it.
   * Call temporal_worker_start before the loop runs (or on its thread), keep the loop running until
   * temporal_worker_free returns, and call temporal_worker_wait/free from another thread (they wait
   * for activities that finish on the loop). */
  uv_loop_t *loop;
  unsigned int max_concurrent_activities;     /* slots; 0 = 100 */
  unsigned int max_concurrent_activity_polls; /* 0 = 5 */
  const char *identity;                       /* NULL = the client's identity */
  /* How long running activities may go on after shutdown was asked before they are cancelled.
   * 0 = cancel them at once (the Python SDK's default). */
  temporal_duration_ns graceful_shutdown_timeout;
} temporal_worker_options;
#define TEMPORAL_WORKER_OPTIONS_VERSION 1
#define TEMPORAL_WORKER_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_worker_options, TEMPORAL_WORKER_OPTIONS_VERSION)

/* Checks the options and makes a worker that polls nothing yet. `opts` is required (task_queue has no
 * default): NULL is TEMPORAL_EINVAL. It is read during the call: the activity definitions and the
 * strings are copied (a definition's `data` is kept as given). *out is the caller's:
 * temporal_worker_free. Any thread. */
TEMPORAL_EXTERN int temporal_worker_new(temporal_worker **out, temporal_client *client,
                                        const temporal_worker_options *opts);
/* Checks the namespace (one RPC) and starts polling. Once; any thread (with a loop of yours: before
 * it runs, or on its thread). */
TEMPORAL_EXTERN int temporal_worker_start(temporal_worker *worker);
/* Asks the worker to stop; returns at once. Any thread, and from a signal handler; any number of
 * times. */
TEMPORAL_EXTERN void temporal_worker_shutdown(temporal_worker *worker);
/* Blocks until temporal_worker_shutdown was called, polling stopped and every outcome was reported.
 * Any thread but the worker's own (an activity, or the loop of async activities). */
TEMPORAL_EXTERN int temporal_worker_wait(temporal_worker *worker);
/* temporal_worker_start, then temporal_worker_wait; the same threads. */
TEMPORAL_EXTERN int temporal_worker_run(temporal_worker *worker);
/* Shuts the worker down if it runs, waits for it, joins its threads and frees it. Once, from any
 * thread but the worker's own. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_worker_free(temporal_worker *worker);

/* Makes SIGINT and SIGTERM call temporal_worker_shutdown(worker) (once; a second signal of either
 * kind restores the default action). Pass NULL to remove the handlers. The handlers are the
 * process's: one worker at a time (a later call replaces the earlier worker), and
 * temporal_worker_free forgets its worker. Call from one thread at a time, e.g. main's. */
TEMPORAL_EXTERN int temporal_worker_shutdown_on_signals(temporal_worker *worker);

TEMPORAL_END_DECLS

#endif
