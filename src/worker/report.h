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
  unsigned int threads;
  /* Ends the task's heartbeats and hands over its pending details (the reporter frees them), which
   * ride on a failure or cancellation report. */
  void (*take_heartbeats)(temporal__task *task, temporal_payload ***details_out, size_t *count_out,
                          void *data);
  /* The task was reported and no context call can reach the worker through it any more: release it. */
  void (*reported)(temporal__task *task, void *data);
  void *data;
} temporal__reporter_config;

int temporal__reporter_new(temporal__reporter **out, const temporal__reporter_config *config);
/* Queues a finished task for its report (through the task's `queue` link). Any thread. */
void temporal__reporter_push(temporal__reporter *reporter, temporal__task *task);
/* Reports what is queued, then joins the threads. */
void temporal__reporter_free(temporal__reporter *reporter);

#endif
