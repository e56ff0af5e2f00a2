/* Internal: the executor object behind temporal_executor, and the shared state manager's API as
 * the worker and the process pool use it. */
#ifndef TEMPORAL_EXECUTOR_INTERNAL_H
#define TEMPORAL_EXECUTOR_INTERNAL_H

#include <stdatomic.h>

#include "temporal/executor.h"
#include "temporal/sys/executor.h"
#include "activity/task.h"

typedef enum temporal__executor_kind {
  TEMPORAL__EXECUTOR_THREAD_POOL = 1, /* runs tasks in process, context calls direct */
  TEMPORAL__EXECUTOR_OTHER = 2,       /* runs serialized jobs; needs a shared state manager */
} temporal__executor_kind;

struct temporal_executor {
  temporal__executor_kind kind;
  atomic_bool in_use; /* one worker at a time */
  /* THREAD_POOL: run the task (temporal__task_run_sync) on a pool thread. */
  int (*submit_task)(temporal_executor *executor, temporal__task *task);
  /* OTHER: the job interface (built-in process pool or a user's). */
  const temporal_executor_vtable *vtable;
  void *self;
  /* Releases the implementation (joins threads/processes). */
  void (*destroy)(temporal_executor *executor);
  void *impl;
};

/* Hands a task to an executor: THREAD_POOL submits it as is; OTHER serializes it into a job that
 * uses a slot of `manager` for heartbeats and cancellation. On error the task is not taken. */
int temporal__executor_submit(temporal_executor *executor, temporal_shared_state_manager *manager,
                              temporal__task *task);

/* The number of threads of a thread pool (0 for other kinds). */
unsigned int temporal__thread_pool_size(const temporal_executor *executor);

/* The OTHER branch (task_job.c): serializes the task into a job and submits it through the vtable. */
int temporal__job_submit(temporal_executor *executor, temporal_shared_state_manager *manager, temporal__task *task);

/* ---- Shared state manager (used by the job code in the worker, and by children) ----------------- */

/* The worker side attaches once: heartbeats that children record are delivered to
 * temporal__task_record_heartbeat of the slot's task, from the manager's monitor thread. */
int temporal__ssm_attach(temporal_shared_state_manager *manager);
void temporal__ssm_detach(temporal_shared_state_manager *manager);
/* Reserves a slot for a task; TEMPORAL_EEXISTS-like failure TEMPORAL_ESTATE when all are taken. */
int temporal__ssm_slot_acquire(temporal_shared_state_manager *manager, temporal__task *task, uint32_t *slot_out);
void temporal__ssm_slot_release(temporal_shared_state_manager *manager, uint32_t slot);
/* Worker side: tells every activity running through the manager that the worker is shutting down
 * (their is_worker_shutdown turns true). NULL is a no-op. */
void temporal__ssm_set_worker_shutdown(temporal_shared_state_manager *manager);
/* Worker side: marks the slot's activity interrupted with `reasons` (TEMPORAL__INTERRUPT_* bits). */
void temporal__ssm_slot_interrupt(temporal_shared_state_manager *manager, uint32_t slot, unsigned int reasons);

#endif
