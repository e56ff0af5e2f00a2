/* The channel's connectivity, watched on a thread of the transport's own, for two reasons:
 *
 * - A lost connection is said in the log, and so is its return. gRPC notices a dead connection by
 *   keepalive (channel.c sets the ping interval and timeout) and then leaves READY; a channel that is
 *   still connecting or failing to LOST_GRACE later is logged as lost (a server's routine GOAWAY,
 *   answered by an immediate reconnect, is not, nor an idle channel nobody needs), and its return is
 *   logged with how long it was gone.
 * - Calls resume as soon as the server is back. During an outage a call's retry backoff grows (to
 *   10 s for polls); each time the channel becomes READY, every retry pause in progress ends
 *   (temporal__transport_retry_sleep), so a restarted server is polled again within gRPC's reconnect
 *   interval rather than after the rest of a long backoff.
 *
 * The watcher touches the channel only under t->mu and only while !t->stopping; the transport's free
 * sets stopping and destroys the channel under that lock, which completes the pending watch (the
 * channel shuts down), so the thread wakes, sees stopping, and ends. */
#include <stdlib.h>

#include "transport/transport_private.h"

#define LOST_GRACE (1 * TEMPORAL_SECOND)

static const char *state_name(grpc_connectivity_state s) {
  switch (s) {
    case GRPC_CHANNEL_IDLE: return "idle";
    case GRPC_CHANNEL_CONNECTING: return "connecting";
    case GRPC_CHANNEL_READY: return "ready";
    case GRPC_CHANNEL_TRANSIENT_FAILURE: return "failing to connect";
    case GRPC_CHANNEL_SHUTDOWN: return "shut down";
  }
  return "unknown";
}

/* Under t->mu: the channel is READY again; every retry pause in progress ends. */
static void wake_sleepers(temporal__transport *t) {
  atomic_fetch_add(&t->ready_epoch, 1);
  pthread_cond_broadcast(&t->ready_cond);
  for (size_t i = 0; i < t->sleeper_count; i++) temporal__cancel_source_wake(t->sleepers[i]);
}

static void *watcher_main(void *arg) {
  temporal__transport *t = arg;
  bool ever_ready = false, warned = false;
  int64_t lost_at = 0; /* monotonic ns when it left READY; 0 while connected */
  pthread_mutex_lock(&t->mu);
  while (!t->stopping) {
    grpc_connectivity_state state = grpc_channel_check_connectivity_state(t->channel, 0);
    int64_t now = temporal__monotonic_ns();
    if (state == GRPC_CHANNEL_READY) {
      if (warned)
        TLOG_INFO("connection to %s is back after %.1f s", t->target,
                  (double)(now - lost_at) / TEMPORAL_SECOND);
      else if (!ever_ready)
        TLOG_DEBUG("connected to %s", t->target);
      ever_ready = true;
      warned = false;
      lost_at = 0;
      wake_sleepers(t);
    } else if (state == GRPC_CHANNEL_IDLE) {
      /* Nothing wants a connection (a quiet client after the server's routine GOAWAY, or gRPC's idle
       * timeout): not a loss, unless one was already reported. */
      if (!warned) lost_at = 0;
    } else if (ever_ready && state != GRPC_CHANNEL_SHUTDOWN) {
      if (lost_at == 0) {
        lost_at = now;
        TLOG_DEBUG("connection to %s left the ready state (%s)", t->target, state_name(state));
      } else if (!warned && now - lost_at >= LOST_GRACE) {
        TLOG_WARN("connection to %s lost (%s for %.1f s); reconnecting", t->target, state_name(state),
                  (double)(now - lost_at) / TEMPORAL_SECOND);
        warned = true;
      }
    }
    /* Wake on the next change, or when a loss becomes worth a warning. */
    gpr_timespec deadline = gpr_inf_future(GPR_CLOCK_MONOTONIC);
    if (lost_at && !warned)
      deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                              gpr_time_from_nanos(lost_at + LOST_GRACE - now + TEMPORAL_MS, GPR_TIMESPAN));
    grpc_channel_watch_connectivity_state(t->channel, state, deadline, t->watch_cq, NULL);
    pthread_mutex_unlock(&t->mu);
    grpc_completion_queue_next(t->watch_cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
    pthread_mutex_lock(&t->mu);
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

int temporal__connectivity_start(temporal__transport *t) {
  t->watch_cq = grpc_completion_queue_create_for_next(NULL);
  if (!t->watch_cq) return temporal__error(TEMPORAL_ETRANSPORT, "cannot create a completion queue");
  int err = pthread_create(&t->watcher, NULL, watcher_main, t);
  if (err != 0) return temporal__error(TEMPORAL_ESYSTEM, "cannot start the connection watcher thread");
  t->watcher_started = true;
  return 0;
}

void temporal__connectivity_stop_and_destroy_channel(temporal__transport *t) {
  pthread_mutex_lock(&t->mu);
  t->stopping = true;
  if (t->channel) grpc_channel_destroy(t->channel); /* completes the watch in progress */
  t->channel = NULL;
  pthread_mutex_unlock(&t->mu);
  if (t->watcher_started) pthread_join(t->watcher, NULL);
  t->watcher_started = false;
  if (t->watch_cq) {
    grpc_completion_queue_shutdown(t->watch_cq);
    while (grpc_completion_queue_next(t->watch_cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
           GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(t->watch_cq);
    t->watch_cq = NULL;
  }
}

/* ---- retry pauses ---------------------------------------------------------------------------------- */

static bool add_sleeper(temporal__transport *t, temporal__cancel_source *src) {
  if (t->sleeper_count == t->sleeper_cap) {
    size_t cap = t->sleeper_cap ? t->sleeper_cap * 2 : 8;
    temporal__cancel_source **grown = realloc(t->sleepers, cap * sizeof *grown);
    if (!grown) return false;
    t->sleepers = grown;
    t->sleeper_cap = cap;
  }
  t->sleepers[t->sleeper_count++] = src;
  return true;
}

static void remove_sleeper(temporal__transport *t, temporal__cancel_source *src) {
  for (size_t i = 0; i < t->sleeper_count; i++) {
    if (t->sleepers[i] == src) {
      t->sleepers[i] = t->sleepers[--t->sleeper_count];
      return;
    }
  }
}

bool temporal__transport_retry_sleep(temporal__transport *t, temporal__cancel_source *cancel,
                                     temporal_duration_ns d) {
  pthread_mutex_lock(&t->mu);
  unsigned int seen = atomic_load(&t->ready_epoch);
  /* Idle after a lost connection, a channel reconnects only when asked. */
  if (t->channel) grpc_channel_check_connectivity_state(t->channel, 1);
  if (!cancel) {
    struct timespec deadline = temporal__deadline_ts(d);
    while (atomic_load(&t->ready_epoch) == seen)
      if (pthread_cond_timedwait(&t->ready_cond, &t->mu, &deadline) != 0) break; /* ETIMEDOUT */
    pthread_mutex_unlock(&t->mu);
    return true;
  }
  bool listed = add_sleeper(t, cancel);
  pthread_mutex_unlock(&t->mu);
  /* Unlisted (out of memory), the pause simply runs its course. */
  bool ok = temporal__cancel_source_sleep_while(cancel, d, listed ? &t->ready_epoch : NULL, seen);
  if (listed) {
    pthread_mutex_lock(&t->mu);
    remove_sleeper(t, cancel);
    pthread_mutex_unlock(&t->mu);
  }
  return ok;
}
