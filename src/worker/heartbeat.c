/* The heartbeat manager: one thread per worker that throttles heartbeats and starts their calls, and
 * the calls' ends, which turn the server's answers into interruptions. The calls run on the
 * transport's engine (transport/call_async.c), so one that hangs holds up no other task's heartbeat.
 *
 * Per activity (docs/PROTOCOL.md, "Heartbeats"): last value wins; the first heartbeat goes out at
 * once; then at most one send per interval (0.8 x heartbeat_timeout, 30 s without one, never more
 * than 60 s). Details recorded inside an interval go out when it ends, whether or not the activity
 * calls again, so an activity that heartbeats more often than its timeout is never timed out. A
 * send always carries new details: an activity that stops heartbeating is timed out by the server.
 * Pending details are flushed only in a failure or cancellation report (temporal__heartbeats_close). */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "client/respond.h"
#include "worker/heartbeat.h"

#define HEARTBEAT_DEFAULT_INTERVAL (30 * TEMPORAL_SECOND)
#define HEARTBEAT_MAX_INTERVAL (60 * TEMPORAL_SECOND)

struct temporal__heartbeats {
  temporal__heartbeats_config config;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  pthread_cond_t sent; /* a call ended: free waits for those in flight */
  size_t calls;        /* in flight */
  bool stop;
  temporal__queue tasks; /* registered states (their `link`) */
  pthread_t thread;
};

static temporal_duration_ns throttle_interval(const temporal__task *t) {
  temporal_duration_ns hb = t->activity.info.heartbeat_timeout;
  temporal_duration_ns interval = hb > 0 ? hb / 10 * 8 : HEARTBEAT_DEFAULT_INTERVAL; /* no overflow */
  return interval > HEARTBEAT_MAX_INTERVAL ? HEARTBEAT_MAX_INTERVAL : interval;
}

static int copy_details(temporal_payload ***out, const temporal_payload *const *details, size_t count) {
  *out = NULL;
  if (!count) return 0;
  temporal_payload **copy = calloc(count, sizeof *copy);
  if (!copy) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    int rc = temporal_payload_copy(&copy[i], details[i]);
    if (rc != 0) {
      temporal__payload_array_free(copy, i);
      return rc;
    }
  }
  *out = copy;
  return 0;
}

int temporal__heartbeats_record(temporal__heartbeats *hb, temporal__heartbeat_state *st, temporal__task *t,
                                const temporal_payload *const *details, size_t count) {
  /* Details the server would refuse (its payload limit) are not recorded: they could not go out, nor
   * ride on the final report. The attempt is interrupted and, when it ends, fails for good: the same
   * details would be refused again on every retry. */
  int64_t limit = hb->config.blob_size_limit;
  size_t size = temporal__payloads_encoded_size(details, count);
  if (limit > 0 && size > (uint64_t)limit) {
    int rc =
        temporal__error(TEMPORAL_ETOOBIG,
                        "heartbeat details of activity %s are %zu bytes; the server accepts at most %lld "
                        "bytes of payloads (namespace limit blob_size_limit_error)",
                        t->activity.info.activity_id, size, (long long)limit);
    temporal__task_fail_heartbeats(t, temporal_error_last());
    return rc;
  }
  temporal_payload **copy = NULL;
  int rc = copy_details(&copy, details, count);
  if (rc != 0) return rc;
  pthread_mutex_lock(&hb->mu);
  if (st->closed) {
    pthread_mutex_unlock(&hb->mu);
    temporal__payload_array_free(copy, count);
    return temporal__error(TEMPORAL_ESTATE, "the activity has already finished");
  }
  temporal__payload_array_free(st->pending, st->pending_count);
  bool was_pending = st->has_pending;
  st->pending = copy;
  st->pending_count = count;
  st->has_pending = true;
  if (!st->registered) {
    st->registered = true;
    st->manager = hb;
    st->task = t;
    st->interval = throttle_interval(t);
    st->next_allowed = 0; /* the first heartbeat goes out at once */
    temporal__queue_insert_tail(&hb->tasks, &st->link);
    temporal__task_ref(t);
  }
  /* New pending details give the sender a new deadline: the end of this task's window, or now. It
   * may be asleep with no deadline at all (nothing was pending), so it must hear of every new one;
   * it then sends at once or sleeps until the window ends, with no further call from the activity.
   * Replacing details that were already pending changes no deadline. */
  if (!was_pending && !st->in_flight) pthread_cond_signal(&hb->cond);
  pthread_mutex_unlock(&hb->mu);
  return 0;
}

/* Under the lock, for a closed state with no call in flight: takes its pending details and takes it
 * off the list; returns the task whose reference the list held (NULL if it was never registered). */
static temporal__task *take_closed(temporal__heartbeat_state *st, temporal_payload ***details_out,
                                   size_t *count_out) {
  *details_out = st->has_pending ? st->pending : NULL;
  *count_out = st->has_pending ? st->pending_count : 0;
  if (!st->has_pending) temporal__payload_array_free(st->pending, st->pending_count);
  st->pending = NULL;
  st->pending_count = 0;
  st->has_pending = false;
  if (!st->registered) return NULL;
  temporal__queue_remove(&st->link);
  st->registered = false;
  return st->task;
}

void temporal__heartbeats_close(temporal__heartbeats *hb, temporal__heartbeat_state *st,
                                temporal__heartbeats_closed then, void *data) {
  pthread_mutex_lock(&hb->mu);
  st->closed = true;
  /* A heartbeat on the wire must land before the final report: otherwise the report may overtake it,
   * the server answer it NotFound, and its details be lost to the next attempt. Its end closes. */
  if (st->in_flight) {
    st->then = then;
    st->then_data = data;
    pthread_mutex_unlock(&hb->mu);
    return;
  }
  temporal_payload **details;
  size_t count;
  temporal__task *drop_ref = take_closed(st, &details, &count);
  pthread_mutex_unlock(&hb->mu);
  temporal__task_unref(drop_ref);
  then(details, count, data);
}

/* Applies the end of one heartbeat call to its task. */
static void apply_answer(temporal__task *t, int rc, const temporal__heartbeat_answer *answer,
                         temporal_payload **details, size_t count, int64_t since_previous) {
  if (rc == 0) {
    if (since_previous > 0)
      TLOG_DEBUG("activity %s: heartbeat sent (%zu details, %.3f s after the previous one)",
                 t->activity.info.activity_id, count, (double)since_previous / 1e9);
    else
      TLOG_DEBUG("activity %s: heartbeat sent (%zu details, the first)", t->activity.info.activity_id, count);
    unsigned int reasons = (answer->cancel_requested ? TEMPORAL__INTERRUPT_CANCEL : 0) |
                           (answer->activity_paused ? TEMPORAL__INTERRUPT_PAUSE : 0) |
                           (answer->activity_reset ? TEMPORAL__INTERRUPT_RESET : 0);
    if (reasons) temporal__task_interrupt(t, reasons, NULL);
  } else if (rc == TEMPORAL_ENOTFOUND) {
    /* Timed out or completed elsewhere: stop it, and report nothing for it. */
    TLOG_WARN("activity %s: heartbeat answered NotFound (timed out or completed elsewhere); interrupting it",
              t->activity.info.activity_id);
    temporal__task_interrupt(t, TEMPORAL__INTERRUPT_NOT_FOUND, NULL);
  } else if (rc == TEMPORAL_ETOOBIG) {
    /* Too large for the transport (no server limit was known): final, as above. */
    char why[700];
    snprintf(why, sizeof why, "heartbeat details of activity %s (%zu bytes of payloads) were refused: %s",
             t->activity.info.activity_id,
             temporal__payloads_encoded_size((const temporal_payload *const *)details, count),
             temporal_error_last());
    temporal__task_fail_heartbeats(t, why);
  } else if (rc == TEMPORAL_EINVAL || rc == TEMPORAL_ENOMEM) {
    /* The server refused these details, or no request could be built for them: the activity fails
     * with that error. */
    temporal__task_interrupt(t, TEMPORAL__INTERRUPT_HEARTBEAT_ERROR, temporal_error_last());
  } else {
    TLOG_WARN("activity %s: heartbeat not sent: %s", t->activity.info.activity_id, temporal_error_last());
  }
}

/* A heartbeat call ended (on the engine thread, or on the manager's when it could not start). */
static void heartbeat_sent(int rc, const temporal__call_status *status,
                           const temporal__heartbeat_answer *answer, void *data) {
  (void)status;
  temporal__heartbeat_state *st = data;
  temporal__heartbeats *hb = st->manager;
  temporal__task *task = st->task; /* the call's own reference */
  int64_t started = st->last_started;
  apply_answer(task, rc, answer, st->sending, st->sending_count,
               st->previous_started ? started - st->previous_started : 0);
  temporal__payload_array_free(st->sending, st->sending_count);

  pthread_mutex_lock(&hb->mu);
  st->sending = NULL;
  st->sending_count = 0;
  st->in_flight = false;
  st->next_allowed = started + st->interval;
  temporal__heartbeats_closed then = st->closed ? st->then : NULL;
  void *then_data = st->then_data;
  temporal_payload **details = NULL;
  size_t count = 0;
  temporal__task *drop_ref = then ? take_closed(st, &details, &count) : NULL;
  if (!then) pthread_cond_signal(&hb->cond); /* its window has a new end */
  pthread_mutex_unlock(&hb->mu);
  /* Nothing of the state is read past here: dropping the two references may free it with the task. */
  if (then) then(details, count, then_data);
  temporal__task_unref(drop_ref);
  temporal__task_unref(task);
  pthread_mutex_lock(&hb->mu);
  if (--hb->calls == 0) pthread_cond_broadcast(&hb->sent);
  pthread_mutex_unlock(&hb->mu);
}

/* Under the lock: starts the call for `st`'s pending details; the lock is released meanwhile. */
static void start_call(temporal__heartbeats *hb, temporal__heartbeat_state *st) {
  st->sending = st->pending;
  st->sending_count = st->pending_count;
  st->pending = NULL;
  st->pending_count = 0;
  st->has_pending = false;
  st->in_flight = true; /* close leaves the rest to the call's end: the state and its memory stay */
  st->previous_started = st->last_started;
  st->last_started = temporal__monotonic_ns();
  hb->calls++;
  temporal__task *task = st->task;
  temporal__task_ref(task);
  pthread_mutex_unlock(&hb->mu);
  const temporal__respond_target to = {.transport = hb->config.transport,
                                       .namespace_ = hb->config.namespace_,
                                       .identity = hb->config.identity,
                                       .task_token = task->activity.info.task_token,
                                       .task_token_len = task->activity.info.task_token_len};
  const temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_HEARTBEAT,
                                     .payloads = (const temporal_payload *const *)st->sending,
                                     .payload_count = st->sending_count};
  const temporal__call_options opts = {.timeout = 10 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_DEFAULT};
  int rc = temporal__respond_send_async(&to, &msg, &opts, heartbeat_sent, st);
  if (rc != 0) {
    const temporal__call_status status = {.grpc_code = 2 /* UNKNOWN: no call was made */};
    const temporal__heartbeat_answer none = {false, false, false};
    heartbeat_sent(rc, &status, &none, st);
  }
  pthread_mutex_lock(&hb->mu);
}

static void *heartbeat_thread(void *arg) {
  temporal__heartbeats *hb = arg;
  pthread_mutex_lock(&hb->mu);
  while (!hb->stop) {
    int64_t now = temporal__monotonic_ns();
    int64_t next_wake = 0;
    temporal__heartbeat_state *due = NULL;
    temporal__queue *node;
    TEMPORAL__QUEUE_FOREACH(node, &hb->tasks) {
      temporal__heartbeat_state *st = TEMPORAL__QUEUE_DATA(node, temporal__heartbeat_state, link);
      if (!st->has_pending || st->in_flight) continue;
      if (st->next_allowed <= now) {
        due = st;
        break;
      }
      if (!next_wake || st->next_allowed < next_wake) next_wake = st->next_allowed;
    }
    if (due) {
      start_call(hb, due);
    } else if (next_wake) {
      struct timespec ts = temporal__monotonic_ts(next_wake);
      pthread_cond_timedwait(&hb->cond, &hb->mu, &ts);
    } else {
      pthread_cond_wait(&hb->cond, &hb->mu);
    }
  }
  pthread_mutex_unlock(&hb->mu);
  return NULL;
}

int temporal__heartbeats_new(temporal__heartbeats **out, const temporal__heartbeats_config *config) {
  temporal__heartbeats *hb = calloc(1, sizeof *hb);
  if (!hb) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  hb->config = *config;
  temporal__queue_init(&hb->tasks);
  pthread_mutex_init(&hb->mu, NULL);
  temporal__cond_init(&hb->cond);
  pthread_cond_init(&hb->sent, NULL);
  if (pthread_create(&hb->thread, NULL, heartbeat_thread, hb) != 0) {
    pthread_mutex_destroy(&hb->mu);
    pthread_cond_destroy(&hb->cond);
    pthread_cond_destroy(&hb->sent);
    free(hb);
    return temporal__error(TEMPORAL_ESYSTEM, "could not start the heartbeat thread");
  }
  *out = hb;
  return 0;
}

void temporal__heartbeats_free(temporal__heartbeats *hb) {
  if (!hb) return;
  pthread_mutex_lock(&hb->mu);
  hb->stop = true;
  pthread_cond_signal(&hb->cond);
  pthread_mutex_unlock(&hb->mu);
  pthread_join(hb->thread, NULL);
  pthread_mutex_lock(&hb->mu);
  while (hb->calls) pthread_cond_wait(&hb->sent, &hb->mu);
  pthread_mutex_unlock(&hb->mu);
  /* Every task closed its state before it was reported, so nothing is left registered. */
  temporal__queue *node;
  while ((node = temporal__queue_pop(&hb->tasks)))
    temporal__task_unref(TEMPORAL__QUEUE_DATA(node, temporal__heartbeat_state, link)->task);
  pthread_mutex_destroy(&hb->mu);
  pthread_cond_destroy(&hb->cond);
  pthread_cond_destroy(&hb->sent);
  free(hb);
}
