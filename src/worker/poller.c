/* Pollers: threads that each reserve a free slot, long-poll the task queue, and dispatch what they
 * get. The slot is reserved before polling because a task the server hands out must be run. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker/worker_internal.h"

#define POLL_TIMEOUT (70 * TEMPORAL_SECOND)

/* Waits for a free slot; false when the worker stops polling first. */
static bool reserve_slot(temporal_worker *w) {
  pthread_mutex_lock(&w->mu);
  while (w->free_slots == 0 && !atomic_load(&w->shutdown_requested)) pthread_cond_wait(&w->cond, &w->mu);
  bool ok = !atomic_load(&w->shutdown_requested);
  if (ok) w->free_slots--;
  pthread_mutex_unlock(&w->mu);
  return ok;
}

static void release_slot(temporal_worker *w) {
  pthread_mutex_lock(&w->mu);
  w->free_slots++;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->mu);
}

/* Adds a polled task to the worker's in-flight list (it holds the slot the poller reserved). */
static void track_task(temporal_worker *w, temporal__task *t) {
  pthread_mutex_lock(&w->mu);
  t->prev = NULL;
  t->next = w->tasks;
  if (w->tasks) w->tasks->prev = t;
  w->tasks = t;
  w->in_flight++;
  pthread_mutex_unlock(&w->mu);
}

void temporal__worker_task_done(temporal_worker *w, temporal__task *t) {
  pthread_mutex_lock(&w->mu);
  if (t->prev)
    t->prev->next = t->next;
  else
    w->tasks = t->next;
  if (t->next) t->next->prev = t->prev;
  w->in_flight--;
  w->free_slots++;
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->mu);
  temporal__task_unref(t);
}

static int poll_once(temporal_worker *w, Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse **out) {
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  tq.name = w->task_queue;
  tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_REQUEST__INIT;
  req.namespace_ = w->namespace_;
  req.task_queue = &tq;
  req.identity = w->identity;
  req.worker_instance_key = w->instance_key;
  temporal__call_options opts = {.timeout = POLL_TIMEOUT, .retry = TEMPORAL__RETRY_FOREVER, .cancel = w->poll_cancel};
  return temporal__transport_call(w->transport, "PollActivityTaskQueue", &req.base,
                                  &temporal__api__workflowservice__v1__poll_activity_task_queue_response__descriptor,
                                  (ProtobufCMessage **)out, &opts, NULL);
}

static void *poller_thread(void *arg) {
  temporal_worker *w = arg;
  temporal__backoff backoff;
  temporal__backoff_init(&backoff, 200 * TEMPORAL_MS, 10 * TEMPORAL_SECOND);
  while (reserve_slot(w)) {
    Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp = NULL;
    int rc = poll_once(w, &resp);
    if (rc != 0) {
      release_slot(w);
      if (rc == TEMPORAL_ECANCELLED || atomic_load(&w->shutdown_requested)) break;
      /* The transport already retried what is retryable; anything else (e.g. a namespace deleted
       * under us) is logged and polled again after a pause rather than ending the worker. */
      TLOG_ERROR("polling task queue %s failed: %s", w->task_queue, temporal_error_last());
      /* A pause that shutdown cuts short (it cancels the polls' source). */
      if (!temporal__cancel_source_sleep(w->poll_cancel, temporal__backoff_next(&backoff))) break;
      continue;
    }
    temporal__backoff_reset(&backoff);
    if (resp->task_token.len == 0) { /* the long poll expired with no task */
      protobuf_c_message_free_unpacked(&resp->base, NULL);
      release_slot(w);
      continue;
    }
    temporal__task *t = NULL;
    if (temporal__task_new(&t, w, resp) != 0) {
      /* Out of memory: the server will time the task out and retry it elsewhere. */
      TLOG_ERROR("dropping an activity task: %s", temporal_error_last());
      if (t) temporal__task_unref(t);
      release_slot(w);
      continue;
    }
    temporal__timeouts_prepare(t);
    track_task(w, t);
    temporal__timeouts_kick(w->timeouts);
    temporal__task_dispatch(t);
  }
  atomic_fetch_sub(&w->pollers_running, 1);
  pthread_mutex_lock(&w->mu);
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

int temporal__pollers_start(temporal_worker *w) {
  w->pollers = calloc(w->poller_count, sizeof *w->pollers);
  if (!w->pollers) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (; w->pollers_started < w->poller_count; w->pollers_started++) {
    atomic_fetch_add(&w->pollers_running, 1);
    if (pthread_create(&w->pollers[w->pollers_started], NULL, poller_thread, w) != 0) {
      atomic_fetch_sub(&w->pollers_running, 1);
      return temporal__error(TEMPORAL_ESYSTEM, "could not start a poller thread");
    }
  }
  return 0;
}

void temporal__pollers_join(temporal_worker *w) {
  for (unsigned int i = 0; i < w->pollers_started; i++) pthread_join(w->pollers[i], NULL);
  w->pollers_started = 0;
  free(w->pollers);
  w->pollers = NULL;
}
