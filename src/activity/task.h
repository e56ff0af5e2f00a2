/* Internal: one activity task in the worker process, from poll to report -- the port between the
 * task's owner and the runner that runs it.
 *
 * Like nng's aio, the task knows neither side by name. Its owner (the worker) creates it with a
 * table of callbacks: where the outcome goes, where heartbeats go, whether the worker is shutting
 * down, and how to free the memory around it. A runner (the loop, the thread pool, a job of another
 * executor) takes the task and plugs in its own callbacks, which carry interruptions to where the
 * activity runs; it ends the task with temporal__task_finish. The owner interrupts the task (server
 * answers, local timeouts, shutdown) through temporal__task_interrupt.
 *
 * Depends on activity/activity.h only; no runner or service includes the worker's headers. */
#ifndef TEMPORAL_ACTIVITY_TASK_H
#define TEMPORAL_ACTIVITY_TASK_H

#include "activity/activity.h"
#include "core/queue.h"

typedef struct temporal__task temporal__task;

/* The owner's side, fixed for the task's life; `data` is passed back to each callback. */
typedef struct temporal__task_owner {
  /* The outcome was taken (temporal__task_result): report it. Once per task, on the finishing
   * thread. */
  void (*finished)(temporal__task *task, void *data);
  /* The activity recorded heartbeat details (borrowed: copy what you keep). Any thread. */
  int (*heartbeat)(temporal__task *task, const temporal_payload *const *details, size_t count, void *data);
  /* Whether the worker began shutting down. Any thread. */
  bool (*is_worker_shutdown)(void *data);
  /* The last reference went and the task released what it holds: free the memory around it (the
   * owner may embed the task in a larger record). */
  void (*destroy)(temporal__task *task, void *data);
} temporal__task_owner;

/* The runner's side, set when the task starts (temporal__task_set_runner); NULL members = not
 * needed. Each is called with the runner's `data`, on the thread that caused it, with no lock of
 * the task held. */
typedef struct temporal__task_runner {
  /* A new interrupt reason; `reasons` holds all so far. Carries the cancellation to the activity. */
  void (*interrupted)(temporal__task *task, unsigned int reasons, void *data);
  /* The worker began shutting down (for runners that must carry the news themselves). */
  void (*worker_shutdown)(temporal__task *task, void *data);
  /* Async kind: the activity registered a cancel / worker-shutdown callback just now; deliver it if
   * the event already happened (as cancelling an asyncio task before its first await). */
  void (*cancel_registered)(temporal__task *task, void *data);
  void (*worker_shutdown_registered)(temporal__task *task, void *data);
} temporal__task_runner;

struct temporal__task {
  temporal_activity activity; /* first: temporal__task_of casts back */
  const temporal__task_owner *owner;
  void *owner_data;
  /* The link of the one FIFO that holds the task at a time: its runner's queue before it runs, the
   * owner's reporter after it finished. Guarded by that queue's lock. */
  temporal__queue queue;
  /* The owner's list of tasks in flight (guarded by the owner's lock). */
  temporal__queue owner_link;

  /* The rest is private to task.c. */
  const temporal__task_runner *runner;
  void *runner_data;
  atomic_uint interrupts;
  pthread_mutex_t mu; /* guards the cond waits, the runner and the strings below */
  pthread_cond_t cond;
  char *heartbeat_error;      /* why a heartbeat failed, for the final failure */
  bool heartbeat_error_final; /* ... and retrying cannot help (a size limit): non-retryable */
  char *decode_error;         /* why the input did not decode (args NULL) */
  temporal_result *result;    /* the outcome, once finished */
};

/* Fills `task` (memory the owner provides, zeroed or not) from a polled response (taken in every
 * case). The task holds one reference: the owner's. An input that does not decode is not an error
 * here (temporal__task_decode_error says why; the dispatch fails the attempt after the type lookup).
 * On TEMPORAL_ENOMEM the task is still valid: drop the reference with temporal__task_unref. */
int temporal__task_init(temporal__task *task, const temporal__task_owner *owner, void *owner_data,
                        Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp,
                        const char *namespace_, const char *task_queue);

temporal_activity *temporal__task_activity(temporal__task *task);
temporal__task *temporal__task_of(const temporal_activity *activity);
/* Why the input did not decode; NULL when it did. Valid while the task lives. */
const char *temporal__task_decode_error(const temporal__task *task);

/* References: the owner's, a runner's message, a service's. Any thread. */
void temporal__task_ref(temporal__task *task);
void temporal__task_unref(temporal__task *task);

/* The runner plugs in before the activity starts (an interrupt that came earlier is in
 * temporal__task_interrupts; the runner checks it after plugging in). Any thread. */
void temporal__task_set_runner(temporal__task *task, const temporal__task_runner *runner, void *data);

/* Takes the outcome (NULL = no result) and tells the owner. The first call wins; a later one frees
 * its result and returns TEMPORAL_ESTATE. Any thread. */
int temporal__task_finish(temporal__task *task, temporal_result *result);
/* Runs a sync definition on this thread and finishes the task with its result. */
void temporal__task_run_sync(temporal__task *task);
/* The outcome; only after the owner's `finished` callback. */
const temporal_result *temporal__task_result(const temporal__task *task);

/* Records heartbeat details through the owner. Any thread. */
int temporal__task_record_heartbeat(temporal__task *task, const temporal_payload *const *details,
                                    size_t count);

/* The interrupt reasons so far (0 = none). Any thread. */
unsigned int temporal__task_interrupts(const temporal__task *task);
/* Adds interrupt reasons (and the first heartbeat error, if given): wakes the activity's waiters and
 * tells the runner of each new reason. Ignored once the task finished. Any thread. */
void temporal__task_interrupt(temporal__task *task, unsigned int reasons, const char *heartbeat_error);
/* A heartbeat can never be sent (its details exceed a size limit): interrupts the task with a
 * heartbeat error that fails the attempt as non-retryable, `why` as its message. */
void temporal__task_fail_heartbeats(temporal__task *task, const char *why);
/* Why heartbeating failed (a copy, caller frees; NULL when it did not) and whether retrying cannot
 * help. */
char *temporal__task_heartbeat_error(temporal__task *task, bool *final_out);
/* The owner began shutting down (its is_worker_shutdown already answers true): wakes the activity's
 * waiters and tells the runner. */
void temporal__task_worker_shutdown(temporal__task *task);

#endif
