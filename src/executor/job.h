/* Internal: jobs, the unit of work of the "other" executor kind (job.c), an activity task as a job
 * (task_job.c), and the bytes a job carries (job_bytes.c; task_job.c writes them, job_run.c reads
 * them).
 *
 *   worker process                                 running side (a pool child, a user's executor)
 *   temporal__job_submit: slot + bytes  --job-->   temporal_executor_run: runs the activity;
 *   monitor thread: heartbeats -> task  <--ssm--   heartbeat / is_cancelled / wait via the slot
 *   job_finish: result -> task          <-result-- the serialized result
 *
 * The slot is the shared state manager's (executor/shared_state.h). */
#ifndef TEMPORAL_EXECUTOR_JOB_H
#define TEMPORAL_EXECUTOR_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "temporal/sys/executor.h"

/* Only passed by pointer here; activity/task.h has its calls. */
typedef struct temporal__task temporal__task;

/* ---- jobs -------------------------------------------------------------------------------------- */

/* The OTHER branch of temporal__executor_submit (task_job.c): takes a slot of `manager`, serializes the task
 * into a job and hands it to executor->vtable->submit. On error nothing is taken (the slot is
 * released, the task untouched) and the last error says why. */
int temporal__job_submit(temporal_executor *executor, temporal_shared_state_manager *manager,
                         temporal__task *task);

/* A job: `bytes` (copied) for the executor to carry; `done` is called exactly once, with the result
 * bytes (reason NULL) or the abandon reason (result NULL), after which the executor's reference
 * goes. The task's job (task_job.c) is one; tests make others. */
typedef void (*temporal__job_done_fn)(void *data, const uint8_t *result, size_t len, const char *reason);
int temporal__job_new(temporal_executor_job **out, const uint8_t *bytes, size_t len,
                      temporal__job_done_fn done, void *data);
/* The same, taking `bytes` (malloc'd; freed on error too) instead of copying them. */
int temporal__job_adopt(temporal_executor_job **out, uint8_t *bytes, size_t len, temporal__job_done_fn done,
                        void *data);
/* Drops a reference; for a job the executor never took (its done callback is not called). */
void temporal__job_unref(temporal_executor_job *job);

/* The interrupt reasons the job's activity received so far (0 = none). Any thread. */
unsigned int temporal__job_interrupts(const temporal_executor_job *job);
/* Marks the job interrupted (what the task's interrupt hook does; tests call it directly) and
 * calls the watcher, if one is set. Any thread. */
void temporal__job_interrupt(temporal_executor_job *job, unsigned int reasons);
/* Makes the job hear the interrupts of `slot` (what job_submit does for a task's job): the slot's
 * listener takes a reference on the job, dropped when the slot is released, so an interrupt that
 * races the job's finish never reaches a freed job. */
void temporal__job_listen(temporal_executor_job *job, temporal_shared_state_manager *manager, uint32_t slot);
/* Lets an executor learn at once when the job is interrupted: `notify(data)` is called from the
 * interrupting thread, with no lock of the executor held, so it must only wake the executor (the
 * process pool writes to its wake fd). If the job was already interrupted, notify runs before
 * this returns. Set once, before the job can be finished. */
void temporal__job_watch(temporal_executor_job *job, void (*notify)(void *data), void *data);

/* ---- job bytes --------------------------------------------------------------------------------- */

/* The decoded header of a job. Strings point into the bytes and are NOT NUL-terminated. */
typedef struct temporal__job_header {
  uint32_t slot;
  uint32_t generation;
  uintptr_t sync_fn;
  uintptr_t data;
  uint32_t flags;
  const char *name;
  size_t name_len;
  const char *namespace_;
  size_t namespace_len;
  const char *task_queue;
  size_t task_queue_len;
  const uint8_t *task; /* packed PollActivityTaskQueueResponse */
  size_t task_len;
} temporal__job_header;

/* Encodes a job (malloc'd into *out). */
int temporal__job_encode(uint8_t **out, size_t *len_out, const temporal__job_header *header);
/* Decodes and bounds-checks a job; TEMPORAL_EDECODE with a message on anything malformed. */
int temporal__job_decode(temporal__job_header *out, const uint8_t *bytes, size_t len);

#endif
