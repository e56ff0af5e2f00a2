/* Cancel sources: a registry of in-flight calls that one thread can cancel while others are blocked
 * in them (the worker ends its long polls this way at shutdown).
 *
 * The mutex makes registration and cancellation exclusive: a call is either registered before the
 * source is cancelled (and then grpc_call_cancel reaches it) or it sees the cancelled flag when it
 * tries to register (and never starts). A call is unregistered before it is unref'd, so cancel never
 * touches a released call. */
#include <stdlib.h>

#include "transport/transport_private.h"

struct temporal__cancel_source {
  pthread_mutex_t mu;
  pthread_cond_t cond; /* signalled on cancel: wakes retry backoff sleeps */
  atomic_bool cancelled;
  grpc_call **calls;
  size_t count;
  size_t cap;
};

int temporal__cancel_source_new(temporal__cancel_source **out) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "cancel source: out is NULL");
  *out = NULL;
  temporal__cancel_source *src = calloc(1, sizeof *src);
  if (!src) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  if (pthread_mutex_init(&src->mu, NULL) != 0) {
    free(src);
    return temporal__error(TEMPORAL_ESYSTEM, "pthread_mutex_init failed");
  }
  if (temporal__cond_init(&src->cond) != 0) {
    pthread_mutex_destroy(&src->mu);
    free(src);
    return TEMPORAL_ESYSTEM;
  }
  atomic_init(&src->cancelled, false);
  *out = src;
  return 0;
}

void temporal__cancel_source_cancel(temporal__cancel_source *src) {
  if (!src) return;
  pthread_mutex_lock(&src->mu);
  atomic_store(&src->cancelled, true);
  for (size_t i = 0; i < src->count; i++) grpc_call_cancel(src->calls[i], NULL);
  pthread_cond_broadcast(&src->cond);
  pthread_mutex_unlock(&src->mu);
}

bool temporal__cancel_source_is_cancelled(const temporal__cancel_source *src) {
  return src && atomic_load(&src->cancelled);
}

void temporal__cancel_source_free(temporal__cancel_source *src) {
  if (!src) return;
  /* Calls still registered here would be a caller bug (freeing a source in use); nothing to undo. */
  free(src->calls);
  pthread_cond_destroy(&src->cond);
  pthread_mutex_destroy(&src->mu);
  free(src);
}

int temporal__cancel_source_add(temporal__cancel_source *src, grpc_call *call) {
  pthread_mutex_lock(&src->mu);
  if (atomic_load(&src->cancelled)) {
    pthread_mutex_unlock(&src->mu);
    return TEMPORAL_ECANCELLED;
  }
  if (src->count == src->cap) {
    size_t cap = src->cap ? src->cap * 2 : 8;
    grpc_call **calls = realloc(src->calls, cap * sizeof *calls);
    if (!calls) {
      pthread_mutex_unlock(&src->mu);
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    }
    src->calls = calls;
    src->cap = cap;
  }
  src->calls[src->count++] = call;
  pthread_mutex_unlock(&src->mu);
  return 0;
}

void temporal__cancel_source_remove(temporal__cancel_source *src, grpc_call *call) {
  pthread_mutex_lock(&src->mu);
  for (size_t i = 0; i < src->count; i++) {
    if (src->calls[i] == call) {
      src->calls[i] = src->calls[--src->count];
      break;
    }
  }
  pthread_mutex_unlock(&src->mu);
}

bool temporal__cancel_source_sleep(temporal__cancel_source *src, temporal_duration_ns d) {
  return temporal__cancel_source_sleep_while(src, d, NULL, 0);
}

bool temporal__cancel_source_sleep_while(temporal__cancel_source *src, temporal_duration_ns d,
                                         const atomic_uint *epoch, unsigned int seen) {
  if (!src) {
    temporal__sleep_ns(d);
    return true;
  }
  struct timespec deadline = temporal__deadline_ts(d);
  pthread_mutex_lock(&src->mu);
  while (!atomic_load(&src->cancelled) && !(epoch && atomic_load(epoch) != seen)) {
    if (pthread_cond_timedwait(&src->cond, &src->mu, &deadline) != 0) break; /* ETIMEDOUT */
  }
  bool cancelled = atomic_load(&src->cancelled);
  pthread_mutex_unlock(&src->mu);
  return !cancelled;
}

void temporal__cancel_source_wake(temporal__cancel_source *src) {
  pthread_mutex_lock(&src->mu);
  pthread_cond_broadcast(&src->cond);
  pthread_mutex_unlock(&src->mu);
}
