/* Pollers: threads that each reserve a free slot, long-poll the task queue, and hand what they get
 * to the worker. The slot is reserved before polling because a task the server hands out must be
 * run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "worker/poller.h"

#define POLL_TIMEOUT (70 * TEMPORAL_SECOND)

struct temporal__pollers {
  temporal__pollers_config config;
  pthread_mutex_t mu;
  pthread_cond_t cond; /* a poller thread ended */
  unsigned int running;
  unsigned int started;
  pthread_t *threads;
};

static int poll_once(const temporal__pollers_config *c,
                     Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse **out) {
  Temporal__Api__Taskqueue__V1__TaskQueue tq = TEMPORAL__API__TASKQUEUE__V1__TASK_QUEUE__INIT;
  tq.name = (char *)c->task_queue;
  tq.kind = TEMPORAL__API__ENUMS__V1__TASK_QUEUE_KIND__TASK_QUEUE_KIND_NORMAL;
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__POLL_ACTIVITY_TASK_QUEUE_REQUEST__INIT;
  req.namespace_ = (char *)c->namespace_;
  req.task_queue = &tq;
  req.identity = (char *)c->identity;
  req.worker_instance_key = (char *)c->instance_key;
  temporal__call_options opts = {
      .timeout = POLL_TIMEOUT, .retry = TEMPORAL__RETRY_FOREVER, .cancel = c->cancel};
  return temporal__transport_call(
      c->transport, "PollActivityTaskQueue", &req.base,
      &temporal__api__workflowservice__v1__poll_activity_task_queue_response__descriptor,
      (ProtobufCMessage **)out, &opts, NULL);
}

static void *poller_thread(void *arg) {
  temporal__pollers *p = arg;
  const temporal__pollers_config *c = &p->config;
  temporal__backoff backoff;
  temporal__backoff_init(&backoff, 200 * TEMPORAL_MS, 10 * TEMPORAL_SECOND);
  while (temporal__slots_reserve(c->slots)) {
    Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp = NULL;
    int rc = poll_once(c, &resp);
    if (rc != 0) {
      temporal__slots_release(c->slots);
      if (rc == TEMPORAL_ECANCELLED || atomic_load(c->stop)) break;
      /* The transport already retried what is retryable; anything else (e.g. a namespace deleted
       * under us) is logged and polled again after a pause rather than ending the worker. */
      TLOG_ERROR("polling task queue %s failed: %s", c->task_queue, temporal_error_last());
      /* A pause that shutdown cuts short (it cancels the polls' source). */
      if (!temporal__cancel_source_sleep(c->cancel, temporal__backoff_next(&backoff))) break;
      continue;
    }
    temporal__backoff_reset(&backoff);
    if (resp->task_token.len == 0) { /* the long poll expired with no task */
      protobuf_c_message_free_unpacked(&resp->base, NULL);
      temporal__slots_release(c->slots);
      continue;
    }
    c->deliver(resp, c->data);
  }
  pthread_mutex_lock(&p->mu);
  p->running--;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

int temporal__pollers_start(temporal__pollers **out, const temporal__pollers_config *config) {
  temporal__pollers *p = calloc(1, sizeof *p);
  if (!p || !(p->threads = calloc(config->count, sizeof *p->threads))) {
    free(p);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  p->config = *config;
  pthread_mutex_init(&p->mu, NULL);
  temporal__cond_init(&p->cond);
  *out = p;
  for (; p->started < config->count; p->started++) {
    pthread_mutex_lock(&p->mu);
    p->running++;
    pthread_mutex_unlock(&p->mu);
    if (pthread_create(&p->threads[p->started], NULL, poller_thread, p) != 0) {
      pthread_mutex_lock(&p->mu);
      p->running--;
      pthread_mutex_unlock(&p->mu);
      return temporal__error(TEMPORAL_ESYSTEM, "could not start a poller thread");
    }
  }
  return 0;
}

bool temporal__pollers_wait(temporal__pollers *p, int64_t deadline) {
  if (!p) return true;
  pthread_mutex_lock(&p->mu);
  while (p->running > 0) {
    if (!deadline) {
      pthread_cond_wait(&p->cond, &p->mu);
      continue;
    }
    struct timespec ts = temporal__monotonic_ts(deadline);
    if (pthread_cond_timedwait(&p->cond, &p->mu, &ts) == ETIMEDOUT) break;
  }
  bool done = p->running == 0;
  pthread_mutex_unlock(&p->mu);
  return done;
}

void temporal__pollers_free(temporal__pollers *p) {
  if (!p) return;
  for (unsigned int i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cond);
  free(p->threads);
  free(p);
}
