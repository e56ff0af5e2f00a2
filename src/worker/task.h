/* Internal: one activity task in flight in the worker, from poll to report. The executors and the
 * loop drive it through these calls. */
#ifndef TEMPORAL_TASK_H
#define TEMPORAL_TASK_H

#include "temporal/activity.h"
#include "worker/activity_context.h"

typedef struct temporal__task temporal__task;

/* Why an activity was interrupted (bit flags; several may be set). */
enum {
  TEMPORAL__INTERRUPT_CANCEL = 1u << 0,
  TEMPORAL__INTERRUPT_PAUSE = 1u << 1,
  TEMPORAL__INTERRUPT_RESET = 1u << 2,
  TEMPORAL__INTERRUPT_TIMEOUT = 1u << 3,
  TEMPORAL__INTERRUPT_NOT_FOUND = 1u << 4,
  TEMPORAL__INTERRUPT_SHUTDOWN = 1u << 5,
  TEMPORAL__INTERRUPT_HEARTBEAT_ERROR = 1u << 6,
};

temporal_activity *temporal__task_activity(temporal__task *task);
temporal__task *temporal__task_of(const temporal_activity *activity);

/* Hands the outcome (taken) to the reporter, which reports it and releases the task's slot. The
 * first call wins; a later one frees its result and returns TEMPORAL_ESTATE. Any thread. */
int temporal__task_finish(temporal__task *task, temporal_result *result);

/* Records heartbeat details (copied) with the worker's heartbeat manager. Any thread. */
int temporal__task_record_heartbeat(temporal__task *task, const temporal_payload *const *details, size_t count);

/* The interrupt reasons so far (0 = none). Any thread. */
unsigned int temporal__task_interrupts(const temporal__task *task);

/* Called on the thread that interrupts the task (heartbeat manager, timeouts, shutdown) each time a
 * new reason is added, with all reasons so far: lets an executor carry the cancellation to where the
 * activity runs. Set before the activity starts. */
typedef void (*temporal__interrupt_hook)(temporal__task *task, unsigned int reasons, void *data);
void temporal__task_set_interrupt_hook(temporal__task *task, temporal__interrupt_hook hook, void *data);
/* Called (with reasons 0) when the worker begins shutting down, on the shutting-down thread, for a
 * runner that must carry the news itself (the loop's on_worker_shutdown callbacks). Shares the
 * interrupt hook's data. Set before the activity starts. */
void temporal__task_set_shutdown_hook(temporal__task *task, temporal__interrupt_hook hook);

/* A heartbeat can never be sent (its details exceed a size limit): interrupts the task with a
 * heartbeat error that fails the attempt as non-retryable, `why` as its message. */
void temporal__task_fail_heartbeats(temporal__task *task, const char *why);

/* The worker began shutting down (its flag is already set): wakes the task's waiters and runs the
 * shutdown hook. */
void temporal__task_worker_shutdown(temporal__task *task);

#endif
