/* Internal: the activity environment of <temporal/testing.h>, shared by its files (lifecycle and
 * triggers, info copies, the activity ops, the run). */
#ifndef TEMPORAL_ENVIRONMENT_INTERNAL_H
#define TEMPORAL_ENVIRONMENT_INTERNAL_H

#include <pthread.h>
#include <uv.h>

#include "temporal/testing.h"
#include "activity/activity.h"

struct temporal_activity_environment {
  /* Guards the triggers and the run state; `cond` (CLOCK_MONOTONIC) is broadcast on every trigger,
   * so wait_for_cancelled / wait_for_worker_shutdown wake from any thread. */
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool cancelled;
  temporal_cancellation_details reason;
  bool worker_shutdown;
  bool running;            /* a run is in progress */
  bool completed;          /* the async activity called temporal_activity_complete */
  temporal_result *result; /* what it completed with, until the run takes it */

  /* Settings: written by the test's thread outside runs, read by the activity during runs. */
  temporal_activity_info info;      /* every string and array owned (env_info.c) */
  temporal_args *heartbeat_details; /* never NULL */
  temporal_activity_environment_heartbeat_cb heartbeat_cb;
  void *heartbeat_data;

  /* The current (or last) run's activity (its own copy of the info and details, so a reference the
   * test or the activity keeps stays readable whatever the environment does next). The environment
   * holds one reference until the next run or free, because handles an async activity leaves open may
   * still point at it after run returns. */
  temporal_activity *activity;

  /* The loop async activities run on. `wake` (unreferenced, so it never keeps the loop alive by
   * itself) carries triggers and completions from other threads; `drain` bounds the wait for
   * closing handles after completion. */
  uv_loop_t loop;
  uv_async_t wake;
  uv_timer_t drain;
  bool drain_expired;
};

/* Info with the Python SDK's defaults (owned strings). Returns 0 or TEMPORAL_ENOMEM (nothing to free). */
int temporal__env_info_defaults(temporal_activity_info *out);
/* A deep copy of `in` (may alias strings of another owned info). 0 or TEMPORAL_ENOMEM (nothing to free). */
int temporal__env_info_copy(temporal_activity_info *out, const temporal_activity_info *in);
/* Frees what an owned info holds. */
void temporal__env_info_free(temporal_activity_info *info);

/* The context calls of an activity run by the environment (owner = the environment). */
extern const temporal__activity_ops temporal__env_activity_ops;
/* A new activity for one run, with the environment's ops and a copy of its info and details, one
 * reference held by the caller. NULL when out of memory. */
temporal_activity *temporal__env_activity_new(temporal_activity_environment *env,
                                              const temporal_activity_definition *definition);

/* Loop thread: calls the running async activity's worker-shutdown and cancel callbacks, each at
 * most once per run, if its trigger fired, the callback is registered and the activity has not
 * completed. */
void temporal__env_deliver_callbacks(temporal_activity_environment *env);

#endif
