/* Internal: the running activity (struct temporal_activity), shared by the worker process and by the
 * processes of non-thread-pool executors. The context calls go through `ops`, so the same public
 * functions work in the worker (the task of activity/task.h), in a pool child (the shared state
 * manager's slot) and in the test environment.
 *
 * A leaf: it depends on core/ and converter/ only. */
#ifndef TEMPORAL_ACTIVITY_ACTIVITY_H
#define TEMPORAL_ACTIVITY_ACTIVITY_H

#include <pthread.h>
#include <stdatomic.h>

#include "temporal/activity.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

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

typedef struct temporal__activity_ops {
  int (*heartbeat)(temporal_activity *activity, const temporal_payload *const *details, size_t count);
  bool (*is_cancelled)(const temporal_activity *activity);
  int (*wait_for_cancelled)(temporal_activity *activity, temporal_duration_ns timeout);
  /* The TEMPORAL__INTERRUPT_* bits so far; NULL = derive from is_cancelled. */
  unsigned int (*interrupts)(const temporal_activity *activity);
  /* Worker shutdown began; NULL = never. */
  bool (*is_worker_shutdown)(const temporal_activity *activity);
  int (*wait_for_worker_shutdown)(temporal_activity *activity, temporal_duration_ns timeout);
  /* Async kind: takes the outcome (temporal_activity_complete checked the kind already). */
  int (*complete)(temporal_activity *activity, temporal_result *result);
  /* Async kind: a cancel callback was just registered; deliver it if the activity was already
   * cancelled (as cancelling an asyncio task that has not reached its first await). NULL = none. */
  void (*cancel_registered)(temporal_activity *activity);
  /* Async kind: a worker-shutdown callback was just registered; deliver it if shutdown already
   * began. NULL = none. */
  void (*worker_shutdown_registered)(temporal_activity *activity);
  /* Wakes the threads blocked in wait_for_cancelled / wait_for_worker_shutdown, which then see that
   * the activity finished. Called once, by temporal__activity_mark_finished. NULL = none block. */
  void (*wake_waiters)(temporal_activity *activity);
  /* Frees the activity and whatever holds it, when its last reference goes. */
  void (*destroy)(temporal_activity *activity);
} temporal__activity_ops;

struct temporal_activity {
  const temporal__activity_ops *ops;
  temporal_activity_info info;
  temporal_args *args;               /* NULL when the input did not decode */
  temporal_args *heartbeat_details;  /* never NULL after init */
  temporal_activity_definition defn; /* the definition that runs it */
  /* The polled task: owns the strings `info` points into. */
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task;
  char *namespace_;
  char *task_queue;
  const char **non_retryable_types; /* info.retry_policy's array (strings owned by task) */
  /* Async kind only. */
  uv_loop_t *loop;
  temporal_cancel_cb cancel_cb;
  void *cancel_data;
  bool cancel_delivered; /* the cancel callback ran (loop thread only) */
  temporal_worker_shutdown_cb shutdown_cb;
  void *shutdown_data;
  bool shutdown_delivered; /* the worker-shutdown callback ran (loop thread only) */
  void *owner;             /* the worker's task, or the executor-side state */

  /* Lifetime (life.c). The owner holds the first reference; users may take more
   * (temporal_activity_ref) to hand the activity to other threads. Once `finished`, no context call
   * reaches the owner: each returns TEMPORAL_ESTATE or what was true at the finish (`final_*`).
   * `calls` counts context calls that passed the finished check and may still be using the owner's
   * state; the owner waits for it to reach 0 (temporal__activity_wait_calls) before it tears down
   * what the ops reach. */
  atomic_int refs;
  atomic_bool finished;
  pthread_mutex_t life_mu;
  pthread_cond_t life_cond;
  unsigned int calls;            /* under life_mu */
  unsigned int final_interrupts; /* set under life_mu when finished */
  bool final_worker_shutdown;    /* likewise */
};

/* Fills `activity` from a polled task (taken). Info always; args decoded once; the lifetime set up
 * with one reference (the caller's) and `ops`. Returns 0, or TEMPORAL_EDECODE when an argument does not
 * decode (info is set, args NULL, the message says which argument and why), or TEMPORAL_ENOMEM. Call
 * temporal__activity_destroy in every case (from ops->destroy, once the last reference went). */
int temporal__activity_init(temporal_activity *activity, const temporal__activity_ops *ops,
                            Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task,
                            const char *namespace_, const char *task_queue);
/* For activities built another way (the test environment): zeroes it and sets up the lifetime with
 * one reference and `ops`. */
void temporal__activity_init_empty(temporal_activity *activity, const temporal__activity_ops *ops);
/* Releases what the activity holds (args, task, strings, the lifetime's lock); not the struct. */
void temporal__activity_destroy(temporal_activity *activity);

/* References: ops->destroy runs when the last one goes. Any thread. */
void temporal__activity_ref(temporal_activity *activity);
void temporal__activity_unref(temporal_activity *activity);

/* The owner says the activity finished (its outcome was taken): from now on no context call reaches
 * the owner. Records what cancellation and worker shutdown looked like at the end and wakes blocked
 * waiters. Returns false if it had already finished (the caller's outcome is a duplicate). */
bool temporal__activity_mark_finished(temporal_activity *activity);
bool temporal__activity_is_finished(const temporal_activity *activity);
/* Blocks until no context call is using the owner's state (call after mark_finished, before the
 * owner tears that state down). Never call it from inside a context call. */
void temporal__activity_wait_calls(temporal_activity *activity);

/* For the public context calls (calls.c): every call that may reach the owner runs
 * between enter (false: the activity finished, do not touch the owner) and leave. */
bool temporal__activity_enter(const temporal_activity *activity);
void temporal__activity_leave(const temporal_activity *activity);
/* TEMPORAL_ESTATE with a message naming the call. */
int temporal__activity_finished_error(const temporal_activity *activity, const char *call);
/* What was true at the finish (read only once finished). */
unsigned int temporal__activity_final_interrupts(const temporal_activity *activity);
bool temporal__activity_final_worker_shutdown(const temporal_activity *activity);
/* The TEMPORAL__INTERRUPT_* bits through the ops (derived from is_cancelled when an owner has no
 * interrupts op). Only while the ops may run. */
unsigned int temporal__activity_interrupts(const temporal_activity *activity);

/* ---- Running a definition (run.c) ------------------------------------------------------------- */

/* The outcome of an input that does not decode, wherever the activity would have run: a retryable
 * application error "Failed decoding arguments" whose cause (type DecodeError) says why. */
temporal_result *temporal__decode_failure(const char *why);

/* Runs a sync definition and returns its result, never NULL (a NULL return from the user's function
 * means "no result", binary/null). */
temporal_result *temporal__activity_call_sync(temporal_activity *activity);

#endif
