/* Asynchronous unary calls: the same attempts and retry policy as call.c, with no thread waiting on
 * any one call (docs/ARCHITECTURE.md, "The engine").
 *
 * Every asynchronous call of a transport completes on one completion queue, which one engine thread
 * drives: it reads each finished attempt, ends the call (running its callback) or puts it to wait
 * for its retry, and starts the retries that are due. So the number of calls in flight is bounded by
 * nothing but memory, and a call that hangs holds up no other.
 *
 * A first attempt starts on the caller's thread; retries start on the engine thread, which is the
 * only one to touch the waiting calls (a heap of their retry times), so they need no lock. While any
 * call waits, the engine also watches the channel: when it becomes READY (the server is back after
 * an outage) every waiting call goes at once, as a blocking call's retry pause ends then too
 * (connectivity.c). */
#include <stdlib.h>
#include <string.h>

#include <grpc/support/time.h>

#include "core/deadline_heap.h"
#include "transport/transport_private.h"

/* The tag of the engine's connectivity watch: an address no call can have. */
static const char watch_tag;
#define WATCH_TAG ((void *)&watch_tag)

typedef struct async_call {
  temporal__heap_node timer; /* first: the heap hands back this node */
  temporal__transport *t;
  char path[256];     /* "<service>/<method>" */
  const char *method; /* inside path */
  grpc_slice payload; /* the packed request, re-sent by every attempt */
  const ProtobufCMessageDescriptor *descriptor;
  temporal__call_options opts;
  temporal__retry retry; /* points to opts */
  temporal__call_done done;
  void *data;
  temporal__attempt attempt;
} async_call;

/* The engine thread's own state. */
typedef struct engine {
  temporal__transport *t;
  temporal__deadline_heap waiting; /* calls waiting for their retry, by due time */
  bool watching;                   /* a connectivity watch is pending on the queue */
} engine;

static void free_call(async_call *c) {
  grpc_slice_unref(c->payload);
  free(c);
}

static void end_call(async_call *c, int rc, const ProtobufCMessage *response,
                     const temporal__call_status *status) {
  c->done(rc, response, status, c->data);
  free_call(c);
}

static int start_attempt(async_call *c) {
  temporal_duration_ns timeout = c->opts.timeout > 0 ? c->opts.timeout : TEMPORAL__DEFAULT_CALL_TIMEOUT;
  return temporal__attempt_start(&c->attempt, c->t, c->method, grpc_slice_from_static_string(c->path),
                                 c->payload, timeout, NULL, c->t->engine_cq, c);
}

/* An attempt that could not even start (no call could be made) ends the call with that error. */
static void fail_unstarted(async_call *c, int rc) {
  temporal__call_status status;
  temporal__call_set_status(&status, GRPC_STATUS_UNKNOWN, temporal_error_last());
  end_call(c, rc, NULL, &status);
}

static void succeeded(async_call *c, temporal__attempt_result *a) {
  temporal__call_status status;
  temporal__call_set_status(&status, GRPC_STATUS_OK, "");
  ProtobufCMessage *response = NULL;
  int rc = temporal__decode_response(&response, c->method, a->response, c->descriptor);
  grpc_byte_buffer_destroy(a->response);
  end_call(c, rc, response, &status);
  if (response) protobuf_c_message_free_unpacked(response, NULL);
}

/* A finished attempt: the call ends, or waits for its retry. */
static void attempt_done(engine *e, async_call *c) {
  temporal__attempt_result a;
  temporal__attempt_finish(&c->attempt, &a);
  if (a.code == GRPC_STATUS_OK) {
    succeeded(c, &a);
    return;
  }
  temporal_duration_ns delay = 0;
  if (temporal__retry_again(&c->retry, c->method, &a, &delay)) {
    c->timer.due = temporal__monotonic_ns() + delay;
    if (temporal__deadline_heap_push(&e->waiting, &c->timer) == 0) return;
  }
  temporal__call_status status;
  int rc = temporal__call_failed(c->method, &a, false, &status);
  end_call(c, rc, NULL, &status);
}

/* Starts the retries due by `now` (all of them when `now` is INT64_MAX). */
static void start_due(engine *e, int64_t now) {
  temporal__heap_node *node;
  while ((node = temporal__deadline_heap_top(&e->waiting)) && node->due <= now) {
    temporal__deadline_heap_remove(&e->waiting, node);
    async_call *c = (async_call *)node;
    int rc = start_attempt(c);
    if (rc != 0) fail_unstarted(c, rc);
  }
}

/* While calls wait, a change of the channel's state wakes the engine; READY starts them all. The
 * channel is touched under t->mu and only while the transport is not being freed (as connectivity.c
 * does): its destruction completes a pending watch, after which the engine must not look at it. */
static void watch_channel(engine *e) {
  temporal__transport *t = e->t;
  pthread_mutex_lock(&t->mu);
  if (!t->stopping) {
    grpc_connectivity_state state = grpc_channel_check_connectivity_state(t->channel, 1);
    grpc_channel_watch_connectivity_state(t->channel, state, gpr_inf_future(GPR_CLOCK_MONOTONIC),
                                          t->engine_cq, WATCH_TAG);
    e->watching = true;
  }
  pthread_mutex_unlock(&t->mu);
}

static bool channel_ready(temporal__transport *t) {
  pthread_mutex_lock(&t->mu);
  bool ready = !t->stopping && grpc_channel_check_connectivity_state(t->channel, 0) == GRPC_CHANNEL_READY;
  pthread_mutex_unlock(&t->mu);
  return ready;
}

static void *engine_main(void *arg) {
  engine e = {.t = arg, .watching = false};
  temporal__deadline_heap_init(&e.waiting);
  for (;;) {
    const temporal__heap_node *next = temporal__deadline_heap_top(&e.waiting);
    gpr_timespec until = gpr_inf_future(GPR_CLOCK_MONOTONIC);
    if (next) {
      int64_t wait = next->due - temporal__monotonic_ns();
      until =
          gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(wait > 0 ? wait : 0, GPR_TIMESPAN));
    }
    grpc_event ev = grpc_completion_queue_next(e.t->engine_cq, until, NULL);
    if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
    if (ev.type == GRPC_OP_COMPLETE && ev.tag == WATCH_TAG) {
      e.watching = false;
      if (channel_ready(e.t)) start_due(&e, INT64_MAX);
    } else if (ev.type == GRPC_OP_COMPLETE) {
      attempt_done(&e, ev.tag);
    }
    start_due(&e, temporal__monotonic_ns());
    if (e.waiting.count && !e.watching) watch_channel(&e);
  }
  temporal__deadline_heap_destroy(&e.waiting);
  return NULL;
}

static int ensure_engine(temporal__transport *t) {
  pthread_mutex_lock(&t->engine_mu);
  int rc = 0;
  if (!t->engine_started) {
    t->engine_cq = grpc_completion_queue_create_for_next(NULL);
    if (!t->engine_cq) {
      rc = temporal__error(TEMPORAL_ETRANSPORT, "cannot create a completion queue");
    } else if (pthread_create(&t->engine_thread, NULL, engine_main, t) != 0) {
      grpc_completion_queue_destroy(t->engine_cq);
      t->engine_cq = NULL;
      rc = temporal__error(TEMPORAL_ESYSTEM, "cannot start the transport's engine thread");
    } else {
      t->engine_started = true;
    }
  }
  pthread_mutex_unlock(&t->engine_mu);
  return rc;
}

int temporal__transport_call_async(temporal__transport *t, const char *method,
                                   const ProtobufCMessage *request,
                                   const ProtobufCMessageDescriptor *response_descriptor,
                                   const temporal__call_options *opts, temporal__call_done done, void *data) {
  if (!t || !method || !request || !response_descriptor || !done || (opts && opts->cancel))
    return temporal__error(TEMPORAL_EINVAL, "asynchronous transport call: missing or unsupported argument");
  int rc = ensure_engine(t);
  if (rc != 0) return rc;
  async_call *c = calloc(1, sizeof *c);
  if (!c) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  rc = temporal__call_prepare(method, request, c->path, sizeof c->path, &c->payload, NULL);
  if (rc != 0) {
    free(c);
    return rc;
  }
  c->t = t;
  c->method = c->path + strlen(TEMPORAL__SERVICE_PATH);
  c->descriptor = response_descriptor;
  if (opts) c->opts = *opts;
  temporal__retry_init(&c->retry, &c->opts, atomic_load(&t->internal_error_differentiation));
  c->done = done;
  c->data = data;
  temporal__heap_node_init(&c->timer);
  rc = start_attempt(c);
  if (rc != 0) free_call(c);
  return rc;
}

void temporal__engine_stop(temporal__transport *t) {
  if (!t->engine_started) return;
  /* Every call has ended, and destroying the channel ended a watch still pending: the queue drains. */
  grpc_completion_queue_shutdown(t->engine_cq);
  pthread_join(t->engine_thread, NULL);
  grpc_completion_queue_destroy(t->engine_cq);
  t->engine_cq = NULL;
  t->engine_started = false;
}
