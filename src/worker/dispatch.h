/* Internal: where a polled task runs and where its outcome goes. */
#ifndef TEMPORAL_WORKER_DISPATCH_H
#define TEMPORAL_WORKER_DISPATCH_H

#include "activity/task.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"

/* The pollers' `deliver` (data: the worker): makes the task of a polled response (taken), which holds
 * the poller's slot, and starts it on the loop or the executor; or fails it at once (an unknown
 * type, an input that does not decode, a runner that refused it). */
void temporal__dispatch(Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp,
                        void *worker);

/* The reporter's callback (data: the worker): a task's release once reported. */
void temporal__dispatch_reported(temporal__task *task, void *worker);

#endif
