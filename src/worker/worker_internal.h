/* Internal: the worker object and the parts that share it (poller, task lifecycle, heartbeat
 * manager, reporter, loop). Lock order: worker->mu before heartbeats->mu before task->mu. */
#ifndef TEMPORAL_WORKER_INTERNAL_H
#define TEMPORAL_WORKER_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "client/client_internal.h"
#include "executor/executor_internal.h"
#include "temporal/worker.h"
#include "worker/registry.h"
#include "worker/task.h"

typedef struct temporal__heartbeats temporal__heartbeats;
typedef struct temporal__reporter temporal__reporter;
typedef struct temporal__loop temporal__loop;
typedef struct temporal__timeouts temporal__timeouts;

typedef enum temporal__worker_state {
  TEMPORAL__WORKER_NEW = 0,
  TEMPORAL__WORKER_RUNNING,
  TEMPORAL__WORKER_STOPPING,
  TEMPORAL__WORKER_STOPPED,
} temporal__worker_state;

struct temporal__task {
  temporal_activity activity; /* first: temporal__task_of casts back */
  temporal_worker *worker;
  /* References and "finished" are the activity's (worker/activity_context.h). */
  atomic_uint interrupts;
  temporal__interrupt_hook hook;
  temporal__interrupt_hook shutdown_hook;
  void *hook_data;
  pthread_mutex_t mu; /* guards cond waits and error_message */
  pthread_cond_t cond;
  char *heartbeat_error; /* why a heartbeat failed, for the final failure */
  bool heartbeat_error_final; /* ... and retrying cannot help (a size limit): non-retryable */
  char *decode_error;    /* why the input did not decode (args NULL) */
  /* Local timeouts (timeouts.c): monotonic ns; the deadline is fixed at start, the heartbeat time
   * moves with every recorded heartbeat. */
  int64_t start_to_close_deadline;
  int64_t dispatched_mono; /* when the task was handed to its executor or loop */
  atomic_llong last_heartbeat_mono;
  temporal_result *result;
  /* Heartbeat state, guarded by the heartbeat manager's mutex. */
  struct {
    bool registered, closed, in_flight, has_pending;
    temporal_payload **pending;
    size_t pending_count;
    int64_t next_allowed; /* monotonic ns */
    int64_t last_started; /* when the previous send began (0 = none yet), for the debug log */
    temporal_duration_ns interval;
    temporal__task *next;
  } hb;
  /* The worker's list of tasks in flight, guarded by worker->mu. */
  temporal__task *prev, *next;
  /* The reporter's queue, guarded by its mutex. */
  temporal__task *report_next;
};

struct temporal_worker {
  temporal_client *client;
  temporal__transport *transport;
  char *task_queue;
  char *identity;
  char *namespace_;
  char instance_key[37];
  temporal__registry registry;
  temporal_executor *executor;
  temporal_shared_state_manager *ssm;
  bool ssm_attached;
  unsigned int max_slots;
  unsigned int poller_count;
  temporal_duration_ns graceful_shutdown_timeout;

  pthread_mutex_t mu;
  pthread_cond_t cond; /* slots freed, tasks done, state changes */
  unsigned int free_slots;
  size_t in_flight; /* tasks polled and not yet reported */
  temporal__task *tasks;
  temporal__worker_state state;

  sem_t shutdown_sem; /* posted by temporal_worker_shutdown: async-signal-safe */
  atomic_bool shutdown_requested;
  atomic_llong shutdown_requested_at;        /* monotonic ns of the shutdown call: the grace counts from it */
  temporal__namespace_facts namespace_facts; /* read at start */
  atomic_bool is_shutting_down; /* what activities see (is_worker_shutdown) */
  temporal__cancel_source *poll_cancel;
  pthread_t *pollers;
  unsigned int pollers_started;
  atomic_uint pollers_running;

  temporal__heartbeats *heartbeats;
  temporal__reporter *reporter;
  temporal__loop *loop;
  temporal__timeouts *timeouts;
  uv_loop_t *user_loop;
};

/* task.c */
int temporal__task_new(temporal__task **out, temporal_worker *worker,
                       Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp);
void temporal__task_ref(temporal__task *task);
void temporal__task_unref(temporal__task *task);
/* Sets interrupt reasons; the first interrupt runs the hook and wakes waiters. */
void temporal__task_interrupt(temporal__task *task, unsigned int reasons, const char *heartbeat_error);
/* Dispatches a freshly polled task: unknown type, undecodable input, or to the executor / loop. */
void temporal__task_dispatch(temporal__task *task);

/* heartbeat.c */
int temporal__heartbeats_new(temporal__heartbeats **out, temporal_worker *worker);
int temporal__heartbeats_record(temporal__heartbeats *hb, temporal__task *task, const temporal_payload *const *details,
                                size_t count);
/* Stops heartbeating the task; hands over its pending details (caller frees) for a failure report. */
void temporal__heartbeats_close(temporal__heartbeats *hb, temporal__task *task, temporal_payload ***details_out,
                                size_t *count_out);
void temporal__heartbeats_free(temporal__heartbeats *hb);

/* report.c */
int temporal__reporter_new(temporal__reporter **out, temporal_worker *worker, unsigned int threads);
/* Queues a finished task for its report; after the report the task leaves the worker. */
void temporal__reporter_push(temporal__reporter *r, temporal__task *task);
void temporal__reporter_free(temporal__reporter *r);

/* poller.c */
int temporal__pollers_start(temporal_worker *worker);
void temporal__pollers_join(temporal_worker *worker);
/* Removes a reported task from the worker and frees its slot. */
void temporal__worker_task_done(temporal_worker *worker, temporal__task *task);

/* timeouts.c */
int temporal__timeouts_new(temporal__timeouts **out, temporal_worker *worker);
/* Computes the task's deadlines from its info: before the task joins the worker's list, whose lock
 * the watcher reads them under. */
void temporal__timeouts_prepare(temporal__task *task);
/* Wakes the watcher to consider a task just added. */
void temporal__timeouts_kick(temporal__timeouts *timeouts);
void temporal__timeouts_free(temporal__timeouts *timeouts);

/* signals.c */
/* A freed worker must not be signalled: forget it if it is the one the handlers target. */
void temporal__signals_forget(temporal_worker *worker);

/* loop/ (async activities) */
int temporal__loop_new(temporal__loop **out, temporal_worker *worker, uv_loop_t *user_loop);
int temporal__loop_submit(temporal__loop *loop, temporal__task *task);
/* The worker's `complete` op: finishes the task with the async activity's outcome. */
int temporal__loop_complete(temporal_activity *activity, temporal_result *result);
void temporal__loop_cancel_registered(temporal_activity *activity);
void temporal__loop_worker_shutdown_registered(temporal_activity *activity);
void temporal__loop_free(temporal__loop *loop);

#endif
