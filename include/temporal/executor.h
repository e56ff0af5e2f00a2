/* Executors: where sync activities run.
 *
 * A worker with sync activities needs an `activity_executor`:
 *   - a thread pool (temporal_thread_pool_executor_new): activities run on its threads, in process;
 *   - anything else (the built-in process pool, or your own executor, see <temporal/sys/executor.h>):
 *     activities run elsewhere and the worker also needs a `shared_state_manager`, through which
 *     heartbeats and cancellation cross the process boundary.
 * An executor may serve one worker at a time. Free it after the worker that used it. The functions
 * here may run on any thread but a thread of the executor itself (an activity); create the process
 * pool early, while the program has one thread (below). */
#ifndef TEMPORAL_EXECUTOR_H
#define TEMPORAL_EXECUTOR_H

#include "common.h"

TEMPORAL_BEGIN_DECLS

typedef struct temporal_executor temporal_executor;
typedef struct temporal_shared_state_manager temporal_shared_state_manager;

/* ---- Thread pool ------------------------------------------------------------------------------- */

typedef struct temporal_thread_pool_options {
  unsigned int version;
  unsigned int threads; /* at most this many at once, started as activities need them; 0 = default: 32 */
} temporal_thread_pool_options;
#define TEMPORAL_THREAD_POOL_OPTIONS_VERSION 1
#define TEMPORAL_THREAD_POOL_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_thread_pool_options, TEMPORAL_THREAD_POOL_OPTIONS_VERSION)

/* A pool of threads that run sync activities in this process. NULL `opts` = the defaults. *out is the
 * caller's: temporal_executor_free. */
TEMPORAL_EXTERN int temporal_thread_pool_executor_new(temporal_executor **out,
                                                      const temporal_thread_pool_options *opts);
/* Frees any executor, after the worker that used it was freed: joins a thread pool's threads; stops a
 * process pool's children and zygote; calls a custom executor's shutdown. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_executor_free(temporal_executor *executor);

/* ---- Shared state manager ---------------------------------------------------------------------- */

typedef struct temporal_shared_state_manager_options {
  unsigned int version;
  unsigned int max_activities;       /* activities in flight at once; 0 = default 256 */
  size_t max_heartbeat_details_size; /* bytes of encoded details per heartbeat; 0 = default 256 KiB */
} temporal_shared_state_manager_options;
#define TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_VERSION 1
#define TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_shared_state_manager_options, TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_VERSION)

/* Shared memory for the state of activities running in other processes, and a notification fd.
 * Create it before the process pool (its children inherit the mapping). NULL `opts` = the defaults.
 * *out is the caller's: temporal_shared_state_manager_free. */
TEMPORAL_EXTERN int temporal_shared_state_manager_new(temporal_shared_state_manager **out,
                                                      const temporal_shared_state_manager_options *opts);
/* Frees the manager after the worker and every executor that use it were freed. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_shared_state_manager_free(temporal_shared_state_manager *manager);

/* ---- Process pool ------------------------------------------------------------------------------ */

typedef struct temporal_process_pool_options {
  unsigned int version;
  unsigned int processes;          /* 0 = default: the number of CPUs */
  temporal_duration_ns kill_grace; /* a cancelled child still running after this is killed; 0 = 10 s */
} temporal_process_pool_options;
#define TEMPORAL_PROCESS_POOL_OPTIONS_VERSION 1
#define TEMPORAL_PROCESS_POOL_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_process_pool_options, TEMPORAL_PROCESS_POOL_OPTIONS_VERSION)

/* A pool of processes that run sync activities. Call it early in main, before any client connects:
 * it forks a single-threaded zygote then (fork is unsafe once gRPC has started threads), and the
 * zygote forks the children, which hold every function of the program. A child that crashes fails
 * only its own attempt and is replaced. `manager` (required) is borrowed: it must outlive the executor.
 * NULL `opts` = the defaults. *out is the caller's: temporal_executor_free. */
TEMPORAL_EXTERN int temporal_process_pool_executor_new(temporal_executor **out,
                                                       temporal_shared_state_manager *manager,
                                                       const temporal_process_pool_options *opts);

TEMPORAL_END_DECLS

#endif
