/* Internal: the shared state manager's slot API, both sides of it (the worker's in shared_state.c,
 * the running side's in shared_state_run.c).
 *
 * One slot per activity in flight, in memory shared with the processes that run the activities.
 * The worker side owns the slots: it hands one to each task's job, carries the task's interrupts
 * into it and receives the heartbeats recorded there. The running side (a pool child, or any
 * process or thread that calls temporal_executor_run) names a slot and its generation, as the
 * job's bytes carry them, and only reads interrupts, waits and writes heartbeats.
 *
 * Linux-specific (futexes on the shared mapping, an eventfd). How the shared memory is laid out is
 * private to those two files (shared_state_internal.h). */
#ifndef TEMPORAL_EXECUTOR_SHARED_STATE_H
#define TEMPORAL_EXECUTOR_SHARED_STATE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "temporal/converter.h"
#include "temporal/executor.h"

/* Only passed by pointer here; activity/task.h has its calls. */
typedef struct temporal__task temporal__task;

/* ---- either side ---------------------------------------------------------------------------- */

/* Number of slots. */
uint32_t temporal__ssm_slot_count(const temporal_shared_state_manager *manager);
/* The largest encoded heartbeat details a slot holds. */
size_t temporal__ssm_max_details(const temporal_shared_state_manager *manager);
/* The event fd the running side writes to announce heartbeats: a process pool's children keep it
 * open. */
int temporal__ssm_event_fd(const temporal_shared_state_manager *manager);
/* The slot's current generation: bumped by each acquire, so a job names the slot use it belongs
 * to and a late writer cannot touch the next activity's state. */
uint32_t temporal__ssm_slot_generation(const temporal_shared_state_manager *manager, uint32_t slot);

/* ---- worker side ---------------------------------------------------------------------------- */

/* The worker attaches once: heartbeats that the running side records are delivered to the slot's
 * task by the manager's monitor thread. Detach joins that thread. */
int temporal__ssm_attach(temporal_shared_state_manager *manager);
void temporal__ssm_detach(temporal_shared_state_manager *manager);

/* Where the monitor delivers heartbeats; temporal__task_record_heartbeat unless a test swaps it.
 * Set before attach. */
typedef int (*temporal__ssm_heartbeat_sink)(temporal__task *task, const temporal_payload *const *details,
                                            size_t count);
void temporal__ssm_set_heartbeat_sink(temporal_shared_state_manager *manager,
                                      temporal__ssm_heartbeat_sink sink);

/* Reserves a slot for `task` (TEMPORAL_ESTATE when all are taken). Release delivers the slot's
 * pending heartbeat, if any, so details the activity recorded just before it ended reach the task
 * before its outcome; then the slot's generation moves on. */
int temporal__ssm_slot_acquire(temporal_shared_state_manager *manager, temporal__task *task,
                               uint32_t *slot_out);
void temporal__ssm_slot_release(temporal_shared_state_manager *manager, uint32_t slot);

/* Marks the slot's activity interrupted with `reasons` (TEMPORAL__INTERRUPT_* bits). */
void temporal__ssm_slot_interrupt(temporal_shared_state_manager *manager, uint32_t slot,
                                  unsigned int reasons);
/* Tells every activity running through the manager that the worker is shutting down (their
 * is_worker_shutdown turns true). NULL is a no-op. */
void temporal__ssm_set_worker_shutdown(temporal_shared_state_manager *manager);

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

/* ---- running side (any process sharing the mapping) ----------------------------------------- */

/* A `generation` that is no longer current means the job was abandoned: heartbeat fails with
 * TEMPORAL_ESTATE, the activity reads as interrupted (TEMPORAL__INTERRUPT_SHUTDOWN). */

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

#endif
