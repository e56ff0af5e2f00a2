/* Internal: the running activity (struct temporal_activity), shared by the worker process and by the
 * processes of non-thread-pool executors. The context calls go through `ops`, so the same public
 * functions work in the worker (heartbeat manager, in-process flags) and in a pool child (shared
 * state manager). */
#ifndef TEMPORAL_ACTIVITY_CONTEXT_H
#define TEMPORAL_ACTIVITY_CONTEXT_H

#include <stdatomic.h>

#include "temporal/activity.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

typedef struct temporal__activity_ops {
  int (*heartbeat)(temporal_activity *activity, const temporal_payload *const *details, size_t count);
  bool (*is_cancelled)(const temporal_activity *activity);
  int (*wait_for_cancelled)(temporal_activity *activity, temporal_duration_ns timeout);
  /* The TEMPORAL__INTERRUPT_* bits (worker/task.h) so far; NULL = derive from is_cancelled. */
  unsigned int (*interrupts)(const temporal_activity *activity);
  /* Worker shutdown began; NULL = never. */
  bool (*is_worker_shutdown)(const temporal_activity *activity);
  int (*wait_for_worker_shutdown)(temporal_activity *activity, temporal_duration_ns timeout);
  /* Async kind: takes the outcome (temporal_activity_complete checked the kind already). */
  int (*complete)(temporal_activity *activity, temporal_result *result);
  /* Async kind: a cancel callback was just registered; deliver it if the activity was already
   * cancelled (as cancelling an asyncio task that has not reached its first await). NULL = none. */
  void (*cancel_registered)(temporal_activity *activity);
} temporal__activity_ops;

struct temporal_activity {
  const temporal__activity_ops *ops;
  temporal_activity_info info;
  temporal_args *args;              /* NULL when the input did not decode */
  temporal_args *heartbeat_details; /* never NULL after init */
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
  void *owner; /* the worker's task, or the executor-side state */
};

/* Fills `activity` from a polled task (taken). Info always; args decoded once. Returns 0, or
 * TEMPORAL_EDECODE when an argument does not decode (info is set, args NULL, the message says which
 * argument and why), or TEMPORAL_ENOMEM. Call temporal__activity_destroy in every case. */
int temporal__activity_init(temporal_activity *activity,
                            Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task,
                            const char *namespace_, const char *task_queue);
void temporal__activity_destroy(temporal_activity *activity);

/* The outcome of an input that does not decode, wherever the activity would have run: a retryable
 * application error "Failed decoding arguments" whose cause (type DecodeError) says why. */
temporal_result *temporal__decode_failure(const char *why);

/* Runs a sync definition and returns its result, never NULL (a NULL return from the user's function
 * means "no result", binary/null). */
temporal_result *temporal__activity_call_sync(temporal_activity *activity);

#endif
