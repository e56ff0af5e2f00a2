/* Local timeouts: the worker interrupts an activity itself when the server must already have timed
 * it out -- start_to_close + 5 s after it started, or heartbeat_timeout + 5 s after the last
 * heartbeat it recorded (or its start). Both deadlines are watched independently, so one never
 * masks the other. An activity interrupted this way is not reported (reason timed_out).
 *
 * One thread per worker scans the in-flight tasks (at most max_concurrent_activities) and sleeps
 * until the earliest deadline; new tasks and heartbeats only move deadlines later, except a new
 * task, which wakes it. */
#include <stdlib.h>

#include "core/core.h"
#include "worker/worker_internal.h"

#define LOCAL_TIMEOUT_MARGIN (5 * TEMPORAL_SECOND)

struct temporal__timeouts {
  temporal_worker *worker;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  bool stop;
  bool kicked;
  pthread_t thread;
};

/* The task's next local deadline (monotonic ns), 0 when it has none. */
static int64_t task_deadline(const temporal__task *t) {
  int64_t d = 0;
  if (t->start_to_close_deadline) d = t->start_to_close_deadline;
  temporal_duration_ns hb = t->activity.info.heartbeat_timeout;
  if (hb > 0) {
    int64_t hb_deadline =
        temporal__add_sat(temporal__add_sat(atomic_load(&((temporal__task *)t)->last_heartbeat_mono), hb),
                          LOCAL_TIMEOUT_MARGIN);
    if (!d || hb_deadline < d) d = hb_deadline;
  }
  return d;
}

static void *timeouts_thread(void *arg) {
  temporal__timeouts *to = arg;
  temporal_worker *w = to->worker;
  pthread_mutex_lock(&to->mu);
  while (!to->stop) {
    int64_t now = temporal__monotonic_ns(), next = 0;
    pthread_mutex_unlock(&to->mu);
    pthread_mutex_lock(&w->mu);
    for (temporal__task *t = w->tasks; t; t = t->next) {
      if (temporal__activity_is_finished(&t->activity) ||
          (temporal__task_interrupts(t) & TEMPORAL__INTERRUPT_TIMEOUT))
        continue;
      int64_t d = task_deadline(t);
      if (!d) continue;
      if (d <= now) {
        TLOG_WARN("activity %s (%s): local timeout, the server has timed it out; interrupting it",
                  t->activity.info.activity_id, t->activity.info.activity_type);
        temporal__task_interrupt(t, TEMPORAL__INTERRUPT_TIMEOUT, NULL);
      } else if (!next || d < next) {
        next = d;
      }
    }
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_lock(&to->mu);
    if (to->stop) break;
    if (!to->kicked) {
      if (next) {
        struct timespec ts = temporal__monotonic_ts(next);
        pthread_cond_timedwait(&to->cond, &to->mu, &ts);
      } else {
        pthread_cond_wait(&to->cond, &to->mu);
      }
    }
    to->kicked = false;
  }
  pthread_mutex_unlock(&to->mu);
  return NULL;
}

void temporal__timeouts_prepare(temporal__task *t) {
  const temporal_activity_info *i = &t->activity.info;
  int64_t now_mono = temporal__monotonic_ns();
  atomic_store(&t->last_heartbeat_mono, now_mono);
  if (i->start_to_close_timeout > 0) {
    /* started_time is the server's clock; convert "started + timeout" to our monotonic clock. */
    temporal_time_ns started = i->started_time ? i->started_time : temporal__now_ns();
    int64_t left =
        temporal__add_sat(temporal__add_sat(started, i->start_to_close_timeout), -temporal__now_ns());
    t->start_to_close_deadline = temporal__add_sat(temporal__add_sat(now_mono, left), LOCAL_TIMEOUT_MARGIN);
  }
}

void temporal__timeouts_kick(temporal__timeouts *to) {
  if (!to) return;
  pthread_mutex_lock(&to->mu);
  to->kicked = true;
  pthread_cond_signal(&to->cond);
  pthread_mutex_unlock(&to->mu);
}

int temporal__timeouts_new(temporal__timeouts **out, temporal_worker *worker) {
  temporal__timeouts *to = calloc(1, sizeof *to);
  if (!to) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  to->worker = worker;
  pthread_mutex_init(&to->mu, NULL);
  temporal__cond_init(&to->cond);
  if (pthread_create(&to->thread, NULL, timeouts_thread, to) != 0) {
    pthread_mutex_destroy(&to->mu);
    pthread_cond_destroy(&to->cond);
    free(to);
    return temporal__error(TEMPORAL_ESYSTEM, "could not start the timeout thread");
  }
  *out = to;
  return 0;
}

void temporal__timeouts_free(temporal__timeouts *to) {
  if (!to) return;
  pthread_mutex_lock(&to->mu);
  to->stop = true;
  pthread_cond_signal(&to->cond);
  pthread_mutex_unlock(&to->mu);
  pthread_join(to->thread, NULL);
  pthread_mutex_destroy(&to->mu);
  pthread_cond_destroy(&to->cond);
  free(to);
}
