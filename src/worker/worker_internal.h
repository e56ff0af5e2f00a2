/* Internal: the worker object, the hub that wires the pollers, the dispatch, the runners (loop and
 * executor) and the services (heartbeats, timeouts, reporter). Only worker.c and dispatch.c see it;
 * every other part takes what it needs at creation. */
#ifndef TEMPORAL_WORKER_INTERNAL_H
#define TEMPORAL_WORKER_INTERNAL_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>

#include "activity/task.h"
#include "client/client_internal.h"
#include "executor/executor_internal.h"
#include "loop/loop.h"
#include "temporal/worker.h"
#include "worker/heartbeat.h"
#include "worker/poller.h"
#include "worker/registry.h"
#include "worker/report.h"
#include "worker/slots.h"
#include "worker/timeouts.h"

typedef enum temporal__worker_state {
  TEMPORAL__WORKER_NEW = 0,
  TEMPORAL__WORKER_RUNNING,
  TEMPORAL__WORKER_STOPPING,
  TEMPORAL__WORKER_STOPPED,
} temporal__worker_state;

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
  pthread_cond_t cond; /* state changes */
  temporal__worker_state state;
  temporal__slots slots;

  sem_t shutdown_sem; /* posted by temporal_worker_shutdown: async-signal-safe */
  atomic_bool shutdown_requested;
  atomic_llong shutdown_requested_at;        /* monotonic ns of the shutdown call: the grace counts from it */
  temporal__namespace_facts namespace_facts; /* read at start */
  atomic_bool is_shutting_down;              /* what activities see (is_worker_shutdown) */
  temporal__cancel_source *poll_cancel;
  temporal__pollers *pollers;

  temporal__heartbeats *heartbeats;
  temporal__reporter *reporter;
  temporal__loop *loop;
  temporal__timeouts *timeouts;
  uv_loop_t *user_loop;
};

/* The worker's record of one task in flight: the task and what the services keep about it. Freed
 * when the task's last reference goes. */
typedef struct temporal__inflight {
  temporal__task task; /* first */
  temporal__heartbeat_state heartbeat;
  temporal__report_state report;
  temporal__timeout_entry timeout;
  int64_t dispatched_mono; /* when it was handed to its runner, for the debug log */
} temporal__inflight;

#endif
