/* Internal: the pieces behind the "other" executor kind -- jobs, the shared state manager's slot
 * API as the running side (a pool child) uses it, the zygote and the process pool.
 *
 *   worker process                                 pool child (a fork of the zygote)
 *   temporal__job_submit: slot + bytes  --job-->   temporal_executor_run: runs the activity;
 *   monitor thread: heartbeats -> task  <--ssm--   heartbeat / is_cancelled / wait via the slot
 *   job_finish: result -> task          <-result-- the serialized result
 *
 * The slot API is Linux-specific (futexes on the shared mapping, an eventfd); it is the one place
 * that knows how the shared memory is laid out. */
#ifndef TEMPORAL_PROCESS_INTERNAL_H
#define TEMPORAL_PROCESS_INTERNAL_H

#include <sys/types.h>

#include "executor/executor_internal.h"

/* ---- Jobs (job.c) ----------------------------------------------------------------------------- */

/* The OTHER branch of temporal__executor_submit: takes a slot of `manager`, serializes the task
 * into a job and hands it to executor->vtable->submit. On error nothing is taken (the slot is
 * released, the task untouched) and the last error says why. */
int temporal__job_submit(temporal_executor *executor, temporal_shared_state_manager *manager,
                         temporal__task *task);

/* A job that is not an activity task: `done` is called exactly once, with the result bytes
 * (reason NULL) or the abandon reason (result NULL). For tests of executors and for anything that
 * wants an executor to run opaque bytes. `bytes` are copied. */
typedef void (*temporal__job_done_fn)(void *data, const uint8_t *result, size_t len, const char *reason);
int temporal__job_new_raw(temporal_executor_job **out, const uint8_t *bytes, size_t len,
                          temporal__job_done_fn done, void *data);

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

/* ---- Job bytes (job.c writes them, job_run.c reads them) --------------------------------------- */

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

/* ---- Shared state manager: slots ---------------------------------------------------------------- */

/* Number of slots, and the largest encoded heartbeat details a slot holds. */
uint32_t temporal__ssm_slot_count(const temporal_shared_state_manager *manager);
/* The event fd children write to announce heartbeats: a process pool's children keep it open. */
int temporal__ssm_event_fd(const temporal_shared_state_manager *manager);
size_t temporal__ssm_max_details(const temporal_shared_state_manager *manager);
/* The slot's current generation: bumped by each acquire, so a job names the slot use it belongs
 * to and a late writer cannot touch the next activity's state. */
uint32_t temporal__ssm_slot_generation(const temporal_shared_state_manager *manager, uint32_t slot);

/* Running side (any process sharing the mapping). A `generation` that is no longer current means
 * the job was abandoned: heartbeat fails with TEMPORAL_ESTATE, the activity reads as interrupted
 * (TEMPORAL__INTERRUPT_SHUTDOWN). */
/* Stores encoded heartbeat details (last value wins) and wakes the worker's monitor thread.
 * TEMPORAL_ETOOBIG when len exceeds temporal__ssm_max_details. */
int temporal__ssm_slot_heartbeat(temporal_shared_state_manager *manager, uint32_t slot, uint32_t generation,
                                 const uint8_t *details, size_t len);
unsigned int temporal__ssm_slot_interrupts(const temporal_shared_state_manager *manager, uint32_t slot,
                                           uint32_t generation);
/* Blocks until the slot is interrupted (returns 0) or `timeout` passes (TEMPORAL_ETIMEDOUT);
 * timeout <= 0 waits without limit. Also returns (TEMPORAL_ETIMEDOUT unless interrupted) once
 * `*stop` is true, checked whenever the slot is woken (temporal__ssm_slot_wake). */
int temporal__ssm_slot_wait(temporal_shared_state_manager *manager, uint32_t slot, uint32_t generation,
                            temporal_duration_ns timeout, const atomic_bool *stop);
/* Wakes whoever waits on the slot (either wait), in any process, to re-check their conditions. */
void temporal__ssm_slot_wake(temporal_shared_state_manager *manager, uint32_t slot);

/* Whether the worker began shutting down (temporal__ssm_set_worker_shutdown), and a wait for it:
 * 0 once it did, TEMPORAL_ETIMEDOUT after `timeout` (<= 0: no limit) or once `*stop` is true.
 * Reset by attach. */
bool temporal__ssm_worker_shutdown(const temporal_shared_state_manager *manager);
int temporal__ssm_wait_worker_shutdown(temporal_shared_state_manager *manager, temporal_duration_ns timeout,
                                       const atomic_bool *stop);

/* Worker side. */
/* Where the monitor delivers heartbeats; temporal__task_record_heartbeat unless a test swaps it.
 * Set before attach. */
typedef int (*temporal__ssm_heartbeat_sink)(temporal__task *task, const temporal_payload *const *details,
                                            size_t count);
void temporal__ssm_set_heartbeat_sink(temporal_shared_state_manager *manager,
                                      temporal__ssm_heartbeat_sink sink);
/* The task interrupt hook for a task that holds `slot`: pass temporal__ssm_hook_data(manager,
 * slot) as its data. It interrupts the slot, then calls the slot's listener (if the slot still
 * belongs to `task`). */
void temporal__ssm_interrupt_hook(temporal__task *task, unsigned int reasons, void *data);
void *temporal__ssm_hook_data(temporal_shared_state_manager *manager, uint32_t slot);
/* Who else hears about the slot's interrupts (the job). Cleared by release (or replaced by the
 * next set), under the same lock the hook holds: once it is cleared the listener is never called
 * again, and then `drop(data)` runs (if not NULL), outside every lock of the manager, so the owner
 * of `data` can let go of the reference the listener held. */
typedef void (*temporal__ssm_listener)(void *data, unsigned int reasons);
typedef void (*temporal__ssm_listener_drop)(void *data);
void temporal__ssm_slot_set_listener(temporal_shared_state_manager *manager, uint32_t slot,
                                     temporal__ssm_listener listener, temporal__ssm_listener_drop drop,
                                     void *data);

/* ---- Zygote (zygote.c) ------------------------------------------------------------------------ */

/* What runs in each child: `sock` is its end of the connection to the parent. Must not return
 * (end with _exit). */
typedef void (*temporal__child_main)(int sock, void *data);

typedef struct temporal__zygote temporal__zygote;

typedef enum temporal__zygote_event_kind {
  TEMPORAL__ZYGOTE_CHILD_STARTED = 1, /* pid, fd (the parent's end; the caller owns it) */
  TEMPORAL__ZYGOTE_CHILD_EXITED = 2,  /* pid, status (as from waitpid) */
  TEMPORAL__ZYGOTE_SPAWN_FAILED = 3,  /* error (an errno value) */
  TEMPORAL__ZYGOTE_GONE = 4,          /* the zygote itself died or hung up */
} temporal__zygote_event_kind;

typedef struct temporal__zygote_event {
  temporal__zygote_event_kind kind;
  pid_t pid;
  int fd;
  int status;
  int error;
} temporal__zygote_event;

/* Forks the zygote now. `main` and `data` are what the children run. The zygote and its children keep
 * stdin, stdout, stderr, their own sockets and the keep_count (at most 7) descriptors in keep[]
 * (the shared state manager's); every other descriptor of the worker is closed in them. Forking is
 * safest while the process has no threads that matter to the children (before gRPC starts). */
int temporal__zygote_start(temporal__zygote **out, temporal__child_main main, void *data, const int *keep,
                           size_t keep_count);
/* The parent's control socket: poll it for POLLIN, then call temporal__zygote_read_event. */
int temporal__zygote_fd(const temporal__zygote *zygote);
/* Asks for one more child (answered by a CHILD_STARTED or SPAWN_FAILED event). */
int temporal__zygote_spawn(temporal__zygote *zygote);
/* Asks the zygote to SIGKILL one of its children (safe against pid reuse: the zygote only signals
 * a child it has not reaped). */
int temporal__zygote_kill(temporal__zygote *zygote, pid_t pid);
/* Reads one event without blocking: 1 = *out filled, 0 = nothing pending, <0 = error. */
int temporal__zygote_read_event(temporal__zygote *zygote, temporal__zygote_event *out);
/* Kills the zygote's children, reaps the zygote (bounded wait, then SIGKILL) and frees. */
void temporal__zygote_stop(temporal__zygote *zygote);
/* The zygote's pid (tests). */
pid_t temporal__zygote_pid(const temporal__zygote *zygote);

/* How a child ended, into buf: "was killed by signal 11 (SIGSEGV)" / "exited with status 3". */
void temporal__describe_wait_status(char *buf, size_t size, int status);

/* ---- Process pool (process_pool.c) ------------------------------------------------------------- */

/* What a child does with a job: temporal_executor_run unless a test injects another function. */
typedef int (*temporal__pool_run_fn)(uint8_t **result_out, size_t *len_out,
                                     temporal_shared_state_manager *manager, const uint8_t *job, size_t len);
int temporal__process_pool_new(temporal_executor **out, temporal_shared_state_manager *manager,
                               const temporal_process_pool_options *opts, temporal__pool_run_fn run);
/* The pids of the live children (tests): up to `cap` into `out`; returns how many there are. */
size_t temporal__process_pool_pids(temporal_executor *executor, pid_t *out, size_t cap);
pid_t temporal__process_pool_zygote_pid(temporal_executor *executor);

#endif
