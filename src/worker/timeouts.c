/* Local timeouts: the worker interrupts an activity itself when the server must already have timed
 * it out -- start_to_close + 5 s after it started, or heartbeat_timeout + 5 s after the last
 * heartbeat it recorded (or its start). Both deadlines are watched independently, so one never
 * masks the other. An activity interrupted this way is not reported (reason timed_out).
 *
 * One thread per worker sleeps until the earliest deadline of a heap (core/deadline_heap.h): a new
 * task costs O(log n), never a scan of the others. Heartbeats move a task's deadline only later and
 * touch no lock (an atomic store): the heap keeps the deadline it had, and when that comes the
 * thread reads the real one and moves the task down if a heartbeat came meanwhile. Only a new task
 * that is due first wakes the thread. */
#include <stdlib.h>

#include "core/core.h"
#include "core/deadline_heap.h"
#include "worker/timeouts.h"

#define LOCAL_TIMEOUT_MARGIN (5 * TEMPORAL_SECOND)

struct temporal__timeouts {
  pthread_mutex_t mu;
  temporal__deadline_heap heap; /* the entries with a deadline, under mu */
  pthread_cond_t cond;
  bool stop;
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

/* The entry due first is due now: moved down if a heartbeat came since, else interrupted (and no
 * longer watched: a task times out once). mu held. */
static void expire(temporal__timeouts *to, temporal__timeout_entry *e, int64_t now) {
  temporal__task *t = e->task;
  if (temporal__activity_is_finished(&t->activity) ||
      (temporal__task_interrupts(t) & TEMPORAL__INTERRUPT_TIMEOUT)) {
    temporal__deadline_heap_remove(&to->heap, &e->node);
    return;
  }
  int64_t d = next_deadline(e);
  if (d > now) {
    temporal__deadline_heap_update(&to->heap, &e->node, d);
    return;
  }
  temporal__deadline_heap_remove(&to->heap, &e->node);
  TLOG_WARN("activity %s (%s): local timeout, the server has timed it out; interrupting it",
            t->activity.info.activity_id, t->activity.info.activity_type);
  temporal__task_interrupt(t, TEMPORAL__INTERRUPT_TIMEOUT, NULL);
}

static void *timeouts_thread(void *arg) {
  temporal__timeouts *to = arg;
  pthread_mutex_lock(&to->mu);
  while (!to->stop) {
    int64_t now = temporal__monotonic_ns();
    temporal__heap_node *top = temporal__deadline_heap_top(&to->heap);
    if (top && top->due <= now) {
      expire(to, TEMPORAL__QUEUE_DATA(top, temporal__timeout_entry, node), now);
      continue;
    }
    if (top) {
      struct timespec ts = temporal__monotonic_ts(top->due);
      pthread_cond_timedwait(&to->cond, &to->mu, &ts);
    } else {
      pthread_cond_wait(&to->cond, &to->mu);
    }
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
  temporal__heap_node_init(&e->node);
  e->node.due = next_deadline(e);
  if (!e->node.due) return; /* nothing to watch */
  pthread_mutex_lock(&to->mu);
  if (temporal__deadline_heap_push(&to->heap, &e->node) != 0)
    TLOG_ERROR("activity %s: its local timeouts are not watched: %s", t->activity.info.activity_id,
               temporal_error_last());
  else if (e->node.index == 0)
    pthread_cond_signal(&to->cond); /* due before everything the thread sleeps on */
  pthread_mutex_unlock(&to->mu);
}

void temporal__timeouts_heartbeat(temporal__timeout_entry *e) {
  atomic_store(&e->last_heartbeat, temporal__monotonic_ns());
}

void temporal__timeouts_remove(temporal__timeouts *to, temporal__timeout_entry *e) {
  pthread_mutex_lock(&to->mu);
  temporal__deadline_heap_remove(&to->heap, &e->node);
  pthread_mutex_unlock(&to->mu);
}

int temporal__timeouts_new(temporal__timeouts **out) {
  temporal__timeouts *to = calloc(1, sizeof *to);
  if (!to) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__deadline_heap_init(&to->heap);
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
  temporal__deadline_heap_destroy(&to->heap);
  pthread_mutex_destroy(&to->mu);
  pthread_cond_destroy(&to->cond);
  free(to);
}
