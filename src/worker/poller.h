/* Internal: the pollers, threads that each reserve a free slot, long-poll the task queue and hand
 * what they get to the worker. */
#ifndef TEMPORAL_WORKER_POLLER_H
#define TEMPORAL_WORKER_POLLER_H

#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "transport/transport.h"
#include "worker/slots.h"

typedef struct temporal__pollers temporal__pollers;

/* What the pollers need of the worker, copied at start (everything it points to must outlive them). */
typedef struct temporal__pollers_config {
  temporal__transport *transport;
  const char *namespace_;
  const char *task_queue;
  const char *identity;
  const char *instance_key;
  unsigned int count;
  temporal__slots *slots;
  temporal__cancel_source *cancel; /* cancelled at shutdown: ends polls and error pauses */
  const atomic_bool *stop;         /* shutdown was asked: a failed poll is not retried */
  /* A task was polled (the response is taken) and holds the slot its poller reserved. */
  void (*deliver)(Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp, void *data);
  void *data;
} temporal__pollers_config;

/* Starts the threads. On error the threads that started are running: stop them as usual. */
int temporal__pollers_start(temporal__pollers **out, const temporal__pollers_config *config);
/* Waits until every poller thread ended, or the monotonic deadline (0 = none); true when all did. */
bool temporal__pollers_wait(temporal__pollers *pollers, int64_t deadline);
/* Joins the threads (they end once the slots are closed and the polls come back) and frees. */
void temporal__pollers_free(temporal__pollers *pollers);

#endif
