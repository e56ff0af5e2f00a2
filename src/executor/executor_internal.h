/* Internal: the executor object behind temporal_executor, as the worker hands tasks to it. Jobs
 * (the "other" kind) are in executor/job.h, the shared state manager in executor/shared_state.h. */
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

#endif
