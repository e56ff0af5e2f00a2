/* Writing your own executor (the "other" kind of sync activity executor). Less stable than the rest
 * of the API: it may change between minor versions.
 *
 * The worker hands the executor a job: the activity task serialized to bytes. The executor carries
 * the bytes wherever it runs activities (another process forked from this program, a thread of its
 * own, ...), calls temporal_executor_run() there, which runs the activity with heartbeats and
 * cancellation routed through the shared state manager, and carries the result bytes back to the
 * worker process, where temporal_executor_job_finish() reports them. The bytes name the activity's
 * function by address, so the running side must be this program or a fork of it. */
#ifndef TEMPORAL_SYS_EXECUTOR_H
#define TEMPORAL_SYS_EXECUTOR_H

#include "../executor.h"

TEMPORAL_BEGIN_DECLS

typedef struct temporal_executor_job temporal_executor_job;

typedef struct temporal_executor_vtable {
  unsigned int version; /* TEMPORAL_EXECUTOR_VTABLE_VERSION */
  /* Takes the job; must eventually call temporal_executor_job_finish or _abandon on it exactly once,
   * from any thread. Returns 0, or an error code if the job was not taken (the worker fails it).
   * Called on the worker's poller threads, several at once: it must be thread-safe, and should not
   * block (a poller waits for it). */
  int (*submit)(void *self, temporal_executor_job *job);
  /* Called once by temporal_executor_free, on its caller's thread: finish or abandon outstanding
   * jobs, release `self`. May be NULL. */
  void (*shutdown)(void *self);
} temporal_executor_vtable;
#define TEMPORAL_EXECUTOR_VTABLE_VERSION 1

/* Wraps a user executor. `vtable` is required (with a submit function) and borrowed: it must outlive
 * the executor. `self` is handed to its functions as is and stays yours (shutdown is where to release
 * it). *out is the caller's: temporal_executor_free. Any thread. */
TEMPORAL_EXTERN int temporal_executor_new_custom(temporal_executor **out,
                                                 const temporal_executor_vtable *vtable, void *self);

/* The job's serialized task (borrowed from the job, valid until finish/abandon). Any thread. */
TEMPORAL_EXTERN const uint8_t *temporal_executor_job_bytes(const temporal_executor_job *job, size_t *len_out);
/* Reports the job's outcome: bytes produced by temporal_executor_run (borrowed for the call). Consumes
 * the job. Any thread, in the worker's process. */
TEMPORAL_EXTERN void temporal_executor_job_finish(temporal_executor_job *job, const uint8_t *result,
                                                  size_t len);
/* The executor lost the job (its process died, ...): the attempt fails with a retryable application
 * error carrying `reason` (copied; NULL = a generic one; type "ExecutorError"). Consumes the job. Any
 * thread, in the worker's process. */
TEMPORAL_EXTERN void temporal_executor_job_abandon(temporal_executor_job *job, const char *reason);

/* Runs a serialized job on the calling thread, in this process or a fork of the worker's, and returns
 * the serialized outcome in *result_out (free with free()). Context calls of the activity go through
 * `manager`. Returns 0, or an error code when the bytes are not a job. Any thread, not one of the
 * worker's own; the job bytes are borrowed for the call, *result_out is the caller's. */
TEMPORAL_EXTERN int temporal_executor_run(uint8_t **result_out, size_t *len_out,
                                          temporal_shared_state_manager *manager, const uint8_t *job,
                                          size_t len);

TEMPORAL_END_DECLS

#endif
