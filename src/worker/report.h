/* Internal: the reporter, which tells the server how each activity ended (docs/PROTOCOL.md, "Final
 * report of an attempt") so that activities never wait on the network to finish. */
#ifndef TEMPORAL_WORKER_REPORT_H
#define TEMPORAL_WORKER_REPORT_H

#include "activity/task.h"
#include "transport/transport.h"

typedef struct temporal__reporter temporal__reporter;

/* What the reporter needs of the worker, copied at creation (the strings must outlive it). */
typedef struct temporal__reporter_config {
  temporal__transport *transport;
  const char *namespace_;
  const char *identity;
  int64_t blob_size_limit; /* the namespace's payload limit; 0 = unknown */
  /* The task was reported and no context call can reach the worker through it any more: release it.
   * Called on the transport's engine thread or the reporter's; must not block. */
  void (*reported)(temporal__task *task, void *data);
  void *data;
} temporal__reporter_config;

/* One task's report in progress, in memory the owner provides next to the task. The reporter's. */
typedef struct temporal__report_state {
  temporal__reporter *reporter;
  temporal__task *task;
  temporal__queue link; /* the reporter's queue */
  temporal_payload **heartbeat_details;
  size_t heartbeat_count;
  int stage; /* which call is in flight (report.c) */
} temporal__report_state;

int temporal__reporter_new(temporal__reporter **out, const temporal__reporter_config *config);
/* Queues a finished task for its report, with its pending heartbeat details (the reporter frees
 * them), which ride on a failure or cancellation report. Any thread. */
void temporal__reporter_push(temporal__reporter *reporter, temporal__report_state *state,
                             temporal__task *task, temporal_payload **heartbeat_details,
                             size_t heartbeat_count);
/* Waits until every pushed task is reported, then stops the reporter's thread. */
void temporal__reporter_free(temporal__reporter *reporter);

#endif
