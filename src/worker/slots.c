/* The worker's execution slots and its list of tasks in flight (slots.h). */
#include <errno.h>

#include "core/core.h"
#include "worker/slots.h"

void temporal__slots_init(temporal__slots *s, unsigned int count) {
  pthread_mutex_init(&s->mu, NULL);
  temporal__cond_init(&s->cond);
  s->free = count;
  s->in_flight = 0;
  temporal__queue_init(&s->tasks);
  s->closed = false;
}

void temporal__slots_destroy(temporal__slots *s) {
  pthread_mutex_destroy(&s->mu);
  pthread_cond_destroy(&s->cond);
}

bool temporal__slots_reserve(temporal__slots *s) {
  pthread_mutex_lock(&s->mu);
  while (s->free == 0 && !s->closed) pthread_cond_wait(&s->cond, &s->mu);
  bool ok = !s->closed;
  if (ok) s->free--;
  pthread_mutex_unlock(&s->mu);
  return ok;
}

void temporal__slots_release(temporal__slots *s) {
  pthread_mutex_lock(&s->mu);
  s->free++;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
}

void temporal__slots_close(temporal__slots *s) {
  pthread_mutex_lock(&s->mu);
  s->closed = true;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
}

void temporal__slots_add(temporal__slots *s, temporal__task *t) {
  pthread_mutex_lock(&s->mu);
  temporal__queue_insert_tail(&s->tasks, &t->owner_link);
  s->in_flight++;
  pthread_mutex_unlock(&s->mu);
}

void temporal__slots_done(temporal__slots *s, temporal__task *t) {
  pthread_mutex_lock(&s->mu);
  temporal__queue_remove(&t->owner_link);
  s->in_flight--;
  s->free++;
  pthread_cond_broadcast(&s->cond);
  pthread_mutex_unlock(&s->mu);
  temporal__task_unref(t);
}

void temporal__slots_each(temporal__slots *s, void (*fn)(temporal__task *task, void *data), void *data) {
  pthread_mutex_lock(&s->mu);
  temporal__queue *node;
  TEMPORAL__QUEUE_FOREACH(node, &s->tasks) fn(TEMPORAL__QUEUE_DATA(node, temporal__task, owner_link), data);
  pthread_mutex_unlock(&s->mu);
}

bool temporal__slots_wait_empty(temporal__slots *s, int64_t deadline) {
  pthread_mutex_lock(&s->mu);
  while (s->in_flight > 0) {
    if (!deadline) {
      pthread_cond_wait(&s->cond, &s->mu);
      continue;
    }
    struct timespec ts = temporal__monotonic_ts(deadline);
    if (pthread_cond_timedwait(&s->cond, &s->mu, &ts) == ETIMEDOUT) break;
  }
  bool empty = s->in_flight == 0;
  pthread_mutex_unlock(&s->mu);
  return empty;
}
