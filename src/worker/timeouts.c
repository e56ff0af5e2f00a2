/* Local timeouts: the worker interrupts an activity itself when the server must already have timed
 * it out -- start_to_close + 5 s after it started, or heartbeat_timeout + 5 s after the last
 * heartbeat it recorded (or its start). Both deadlines are watched independently, so one never
 * masks the other. An activity interrupted this way is not reported (reason timed_out).
 *
 * One thread per worker scans the watched tasks (at most max_concurrent_activities) and sleeps
 * until the earliest deadline; heartbeats only move deadlines later, so only a new task wakes it. */
#include <stdlib.h>

#include "core/core.h"
#include "worker/timeouts.h"

#define LOCAL_TIMEOUT_MARGIN (5 * TEMPORAL_SECOND)

struct temporal__timeouts {
  pthread_mutex_t mu;
  temporal__queue entries; /* under mu */
  pthread_cond_t cond;
  bool stop;
  bool kicked;
  pthread_t thread;
};

/* The task's next local deadline (monotonic ns), 0 when it has none. */
static int64_t next_deadline(temporal__timeout_entry *e) {
  int64_t d = e->start_to_close_deadline;
  temporal_duration_ns hb = e->task->activity.info.heartbeat_timeout;
  if (hb > 0) {
    int64_t hb_deadline =
        temporal__add_sat(temporal__add_sat(atomic_load(&e->last_heartbeat), hb), LOCAL_TIMEOUT_MARGIN);
    if (!d || hb_deadline < d) d = hb_deadline;
  }
  return d;
}

static void *timeouts_thread(void *arg) {
  temporal__timeouts *to = arg;
  pthread_mutex_lock(&to->mu);
  while (!to->stop) {
    int64_t now = temporal__monotonic_ns(), next = 0;
    temporal__queue *node;
    TEMPORAL__QUEUE_FOREACH(node, &to->entries) {
      temporal__timeout_entry *e = TEMPORAL__QUEUE_DATA(node, temporal__timeout_entry, link);
      temporal__task *t = e->task;
      if (temporal__activity_is_finished(&t->activity) ||
          (temporal__task_interrupts(t) & TEMPORAL__INTERRUPT_TIMEOUT))
        continue;
      int64_t d = next_deadline(e);
      if (!d) continue;
      if (d <= now) {
        TLOG_WARN("activity %s (%s): local timeout, the server has timed it out; interrupting it",
                  t->activity.info.activity_id, t->activity.info.activity_type);
        temporal__task_interrupt(t, TEMPORAL__INTERRUPT_TIMEOUT, NULL);
      } else if (!next || d < next) {
        next = d;
      }
    }
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

void temporal__timeouts_add(temporal__timeouts *to, temporal__timeout_entry *e, temporal__task *t) {
  const temporal_activity_info *i = &t->activity.info;
  int64_t now_mono = temporal__monotonic_ns();
  e->task = t;
  e->start_to_close_deadline = 0;
  atomic_init(&e->last_heartbeat, now_mono);
  if (i->start_to_close_timeout > 0) {
    /* started_time is the server's clock; convert "started + timeout" to our monotonic clock. */
    temporal_time_ns started = i->started_time ? i->started_time : temporal__now_ns();
    int64_t left =
        temporal__add_sat(temporal__add_sat(started, i->start_to_close_timeout), -temporal__now_ns());
    e->start_to_close_deadline = temporal__add_sat(temporal__add_sat(now_mono, left), LOCAL_TIMEOUT_MARGIN);
  }
  pthread_mutex_lock(&to->mu);
  temporal__queue_insert_tail(&to->entries, &e->link);
  to->kicked = true;
  pthread_cond_signal(&to->cond);
  pthread_mutex_unlock(&to->mu);
}

void temporal__timeouts_heartbeat(temporal__timeout_entry *e) {
  atomic_store(&e->last_heartbeat, temporal__monotonic_ns());
}

void temporal__timeouts_remove(temporal__timeouts *to, temporal__timeout_entry *e) {
  pthread_mutex_lock(&to->mu);
  temporal__queue_remove(&e->link);
  pthread_mutex_unlock(&to->mu);
}

int temporal__timeouts_new(temporal__timeouts **out) {
  temporal__timeouts *to = calloc(1, sizeof *to);
  if (!to) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__queue_init(&to->entries);
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
