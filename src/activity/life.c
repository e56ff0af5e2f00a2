/* The running activity's lifetime: references, "finished", and the guard every context call passes
 * so that none reaches the owner (worker, executor, test environment) once the activity finished.
 *
 * A user thread may outlive the activity it was handed (a helper that heartbeats, a late callback).
 * It holds a reference, so the memory stays; and every context call first checks `finished` and
 * counts itself in `calls` under the same lock, so the owner, which marks the activity finished and
 * then waits for `calls` to drain before tearing its own state down, is never reached by a late
 * call. */
#include <string.h>

#include "core/core.h"
#include "activity/activity.h"

void temporal__activity_init_empty(temporal_activity *a, const temporal__activity_ops *ops) {
  memset(a, 0, sizeof *a);
  a->ops = ops;
  atomic_init(&a->refs, 1);
  atomic_init(&a->finished, false);
  pthread_mutex_init(&a->life_mu, NULL);
  temporal__cond_init(&a->life_cond);
}

void temporal__activity_ref(temporal_activity *a) {
  atomic_fetch_add(&a->refs, 1);
}

void temporal__activity_unref(temporal_activity *a) {
  if (a && atomic_fetch_sub(&a->refs, 1) == 1) a->ops->destroy(a);
}

/* Interrupt bits through the ops, for runtimes that only answer is_cancelled. */
unsigned int temporal__activity_interrupts(const temporal_activity *a) {
  if (a->ops->interrupts) return a->ops->interrupts(a);
  return a->ops->is_cancelled(a) ? TEMPORAL__INTERRUPT_CANCEL : 0;
}

bool temporal__activity_mark_finished(temporal_activity *a) {
  /* Read through the ops while they may still run: what a late caller will be told. */
  unsigned int bits = temporal__activity_interrupts(a);
  bool down = a->ops->is_worker_shutdown && a->ops->is_worker_shutdown(a);
  pthread_mutex_lock(&a->life_mu);
  bool first = !atomic_load(&a->finished);
  if (first) {
    a->final_interrupts = bits;
    a->final_worker_shutdown = down;
    atomic_store(&a->finished, true);
  }
  pthread_mutex_unlock(&a->life_mu);
  if (first && a->ops->wake_waiters) a->ops->wake_waiters(a);
  return first;
}

bool temporal__activity_is_finished(const temporal_activity *a) {
  return atomic_load(&a->finished);
}

void temporal__activity_wait_calls(temporal_activity *a) {
  pthread_mutex_lock(&a->life_mu);
  while (a->calls) pthread_cond_wait(&a->life_cond, &a->life_mu);
  pthread_mutex_unlock(&a->life_mu);
}

/* Every context call that may reach the owner runs between enter (false: the activity finished, do
 * not touch the owner) and leave. */
bool temporal__activity_enter(const temporal_activity *ca) {
  temporal_activity *a = (temporal_activity *)ca;
  if (atomic_load(&a->finished)) return false;
  pthread_mutex_lock(&a->life_mu);
  bool live = !atomic_load(&a->finished);
  if (live) a->calls++;
  pthread_mutex_unlock(&a->life_mu);
  return live;
}

void temporal__activity_leave(const temporal_activity *ca) {
  temporal_activity *a = (temporal_activity *)ca;
  pthread_mutex_lock(&a->life_mu);
  if (--a->calls == 0) pthread_cond_broadcast(&a->life_cond);
  pthread_mutex_unlock(&a->life_mu);
}

int temporal__activity_finished_error(const temporal_activity *a, const char *call) {
  return temporal__error(TEMPORAL_ESTATE, "%s: activity %s has already finished", call, a->info.activity_id);
}

/* The final snapshot, read after finished: written before it under life_mu, never again. */
unsigned int temporal__activity_final_interrupts(const temporal_activity *ca) {
  temporal_activity *a = (temporal_activity *)ca;
  pthread_mutex_lock(&a->life_mu);
  unsigned int bits = a->final_interrupts;
  pthread_mutex_unlock(&a->life_mu);
  return bits;
}

bool temporal__activity_final_worker_shutdown(const temporal_activity *ca) {
  temporal_activity *a = (temporal_activity *)ca;
  pthread_mutex_lock(&a->life_mu);
  bool down = a->final_worker_shutdown;
  pthread_mutex_unlock(&a->life_mu);
  return down;
}
