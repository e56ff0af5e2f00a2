/* The reporter: tells the server how each activity ended (RespondActivityTask Completed / Failed /
 * Canceled), retried until the server accepts the report or says the task is gone, then releases the
 * task's slot. Activities never block on the network to finish, and neither does the reporter: its
 * one thread builds each report and starts its call, which runs on the transport's engine
 * (transport/call_async.c) with any number of others, so no report waits for another one's answer.
 * The call's end (on the engine thread) sends the fallback report when the first was refused, or
 * releases the task.
 *
 * Which report an outcome gets (docs/PROTOCOL.md, "Final report of an attempt"): a value -> Completed; an
 * application error -> Failed; a cancelled outcome, in order: heartbeat-send error -> Failed with it; paused
 * -> Failed "ActivityPause"; reset -> Failed "ActivityReset"; cancel requested -> Canceled; worker shutdown
 * -> Failed "WorkerShutdown" (retryable, so the server retries elsewhere); otherwise Failed. After a local
 * timeout or a NotFound heartbeat nothing is reported: the server already resolved it. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "core/work_queue.h"
#include "client/respond.h"
#include "worker/report.h"

/* How long past the activity's own deadline a report is still worth retrying. */
#define REPORT_DEADLINE_MARGIN (10 * TEMPORAL_SECOND)
#define REPORT_MIN_RETRY_WINDOW (60 * TEMPORAL_SECOND)

struct temporal__reporter {
  temporal__reporter_config config;
  temporal__work_queue queue; /* finished tasks, through their report state's `link` */
  pthread_mutex_t mu;
  pthread_cond_t idle; /* busy reached 0 */
  size_t busy;         /* pushed and not yet released, under mu */
};

/* What the call in flight is, so its end knows whether a fallback report follows. */
enum { STAGE_COMPLETED = 1, STAGE_CANCELED, STAGE_FINAL };

/* The monotonic time after which retrying a report is pointless: the server has timed the activity
 * out by then. */
static int64_t report_give_up_at(const temporal__task *t) {
  const temporal_activity_info *i = &t->activity.info;
  temporal_time_ns end = 0;
  /* Saturating: the times and timeouts are whatever the task said. */
  if (i->start_to_close_timeout && i->started_time)
    end = temporal__add_sat(i->started_time, i->start_to_close_timeout);
  if (i->schedule_to_close_timeout && i->scheduled_time) {
    temporal_time_ns e2 = temporal__add_sat(i->scheduled_time, i->schedule_to_close_timeout);
    if (!end || e2 < end) end = e2;
  }
  int64_t now_mono = temporal__monotonic_ns();
  int64_t window =
      end ? temporal__add_sat(temporal__add_sat(end, -temporal__now_ns()), REPORT_DEADLINE_MARGIN) : 0;
  if (window < REPORT_MIN_RETRY_WINDOW) window = REPORT_MIN_RETRY_WINDOW;
  return temporal__add_sat(now_mono, window);
}

/* The task is reported (or will never be): it leaves the reporter. */
static void release(temporal__report_state *st, int rc) {
  temporal__reporter *r = st->reporter;
  temporal__task *t = st->task;
  if (rc == TEMPORAL_ENOTFOUND)
    TLOG_INFO("activity %s: the server no longer knows the task (already resolved or timed out)",
              t->activity.info.activity_id);
  else if (rc != 0)
    TLOG_ERROR("activity %s: report failed: %s", t->activity.info.activity_id, temporal_error_last());
  temporal__payload_array_free(st->heartbeat_details, st->heartbeat_count);
  st->heartbeat_details = NULL;
  st->heartbeat_count = 0;
  /* A context call still in progress (a user thread heartbeating as the activity finished) may be
   * using the worker's services: once it is over, no later call can reach them. The activity has
   * finished, so such a call returns at once. */
  temporal__activity_wait_calls(&t->activity);
  r->config.reported(t, r->config.data); /* the state's memory may go with the task */
  pthread_mutex_lock(&r->mu);
  if (--r->busy == 0) pthread_cond_broadcast(&r->idle);
  pthread_mutex_unlock(&r->mu);
}

static void report_sent(int rc, const temporal__call_status *status, const temporal__heartbeat_answer *answer,
                        void *data);

/* Starts the call for one report, retried on transport errors until accepted, NotFound, a refusal,
 * or the give-up time; its end comes to report_sent (at once when it could not start). */
static void send(temporal__report_state *st, const temporal__respond_msg *msg, int stage) {
  const temporal__reporter *r = st->reporter;
  const temporal__task *t = st->task;
  const temporal__respond_target to = {.transport = r->config.transport,
                                       .namespace_ = r->config.namespace_,
                                       .identity = r->config.identity,
                                       .task_token = t->activity.info.task_token,
                                       .task_token_len = t->activity.info.task_token_len};
  const temporal__call_options opts = {
      .timeout = 10 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_UNTIL, .retry_until = report_give_up_at(t)};
  st->stage = stage;
  int rc = temporal__respond_send_async(&to, msg, &opts, report_sent, st);
  if (rc != 0) {
    const temporal__call_status unsent = {.grpc_code = 2 /* UNKNOWN: no call was made */};
    const temporal__heartbeat_answer none = {false, false, false};
    report_sent(rc, &unsent, &none, st);
  }
}

/* A Failed report; `hb` says whether the heartbeat details ride on it. */
static void send_failure(temporal__report_state *st, const Temporal__Api__Failure__V1__Failure *failure,
                         bool hb) {
  const temporal__respond_msg msg = {
      .kind = TEMPORAL__RESPOND_FAILED,
      .failure = failure,
      .payloads = hb ? (const temporal_payload *const *)st->heartbeat_details : NULL,
      .payload_count = hb ? st->heartbeat_count : 0};
  send(st, &msg, STAGE_FINAL);
}

static void report_failure(temporal__report_state *st, const char *type, const char *message,
                           bool non_retryable, bool hb) {
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  int rc = temporal__failure_new(&failure, type, message, non_retryable);
  if (rc != 0) {
    release(st, rc);
    return;
  }
  send_failure(st, failure, hb); /* the request is packed before it returns */
  protobuf_c_message_free_unpacked(&failure->base, NULL);
}

static void report_error(temporal__report_state *st, const temporal_application_error *err) {
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  if (temporal__failure_from_application_error(&failure, err) != 0) {
    report_failure(st, "EncodingError", temporal_error_last(), false, true);
    return;
  }
  send_failure(st, failure, true);
  protobuf_c_message_free_unpacked(&failure->base, NULL);
}

/* A result the server will never accept fails the attempt for good: every retry would produce it
 * again. Type PayloadsTooLarge, as the newer official SDKs name it. */
static void report_too_large(temporal__report_state *st, const char *why) {
  TLOG_WARN("activity %s: %s", st->task->activity.info.activity_id, why);
  report_failure(st, "PayloadsTooLarge", why, true, false);
}

static size_t result_size(const temporal__task *t) {
  const temporal_payload *value = temporal__task_result(t)->value;
  return value ? temporal__payloads_encoded_size(&value, 1) : 0;
}

static void report_completed(temporal__report_state *st) {
  /* No payload means "nothing": respond sends it as binary/null, far under any limit. */
  const temporal_payload *value = temporal__task_result(st->task)->value;
  size_t size = result_size(st->task);
  int64_t limit = st->reporter->config.blob_size_limit;
  if (limit > 0 && size > (uint64_t)limit) {
    char why[300];
    snprintf(
        why, sizeof why,
        "the activity's result is %zu bytes; the server accepts at most %lld bytes of payloads (namespace "
        "limit blob_size_limit_error)",
        size, (long long)limit);
    report_too_large(st, why);
    return;
  }
  const temporal__respond_msg msg = {
      .kind = TEMPORAL__RESPOND_COMPLETED, .payloads = value ? &value : NULL, .payload_count = value ? 1 : 0};
  send(st, &msg, STAGE_COMPLETED);
}

/* How a Completed report ended: a refusal of the result fails the attempt instead. */
static void completed_sent(temporal__report_state *st, int rc) {
  if (rc == TEMPORAL_ETOOBIG) {
    /* Over the transport's message limit (the server's gRPC receive limit: the error says both sizes). */
    char why[700];
    snprintf(why, sizeof why, "the activity's result is %zu bytes, too large for the server to receive: %s",
             result_size(st->task), temporal_error_last());
    report_too_large(st, why);
  } else if (rc == TEMPORAL_EINVAL) {
    /* The server refused the result itself: the attempt fails with that reason rather than vanishing. */
    char why[600];
    snprintf(why, sizeof why, "the server refused the activity's result: %s", temporal_error_last());
    report_failure(st, "ResultRejected", why, false, false);
  } else {
    release(st, rc);
  }
}

static void report_canceled(temporal__report_state *st) {
  const temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_CANCELED,
                                     .payloads = (const temporal_payload *const *)st->heartbeat_details,
                                     .payload_count = st->heartbeat_count};
  send(st, &msg, STAGE_CANCELED);
}

/* How a Canceled report ended: legal only after cancel_requested was seen; a standalone activity's
 * refusal is FAILED_PRECONDITION, not INVALID_ARGUMENT (temporal__respond_cancel_refused). */
static void canceled_sent(temporal__report_state *st, int rc, const temporal__call_status *status) {
  if (rc == TEMPORAL_EINVAL || (rc != 0 && temporal__respond_cancel_refused(status)))
    report_failure(st, "CancelledError", "the activity was cancelled", false, true);
  else
    release(st, rc);
}

static void report_sent(int rc, const temporal__call_status *status, const temporal__heartbeat_answer *answer,
                        void *data) {
  (void)answer;
  temporal__report_state *st = data;
  switch (st->stage) {
    case STAGE_COMPLETED: completed_sent(st, rc); break;
    case STAGE_CANCELED: canceled_sent(st, rc, status); break;
    default: release(st, rc); break;
  }
}

/* Picks the report for the task's outcome and starts it. On the reporter's thread. */
static void report(temporal__report_state *st) {
  temporal__task *t = st->task;
  unsigned int why = temporal__task_interrupts(t);
  const temporal_result *r = temporal__task_result(t);
  if (why & (TEMPORAL__INTERRUPT_NOT_FOUND | TEMPORAL__INTERRUPT_TIMEOUT)) {
    TLOG_DEBUG("activity %s: not reported, the server has already resolved it", t->activity.info.activity_id);
    release(st, 0);
  } else if (r->kind == TEMPORAL__RESULT_ASYNC) {
    TLOG_DEBUG("activity %s: will be completed asynchronously", t->activity.info.activity_id);
    release(st, 0);
  } else if (r->kind == TEMPORAL__RESULT_VALUE) {
    report_completed(st);
  } else if (r->kind == TEMPORAL__RESULT_ERROR) {
    report_error(st, r->error);
  } else if (why & TEMPORAL__INTERRUPT_HEARTBEAT_ERROR) {
    bool final = false;
    char *message = temporal__task_heartbeat_error(t, &final);
    report_failure(st, final ? "PayloadsTooLarge" : "HeartbeatError", message ? message : "heartbeat failed",
                   final, true);
    free(message);
  } else if (why & TEMPORAL__INTERRUPT_PAUSE) {
    report_failure(st, "ActivityPause", "Unhandled activity cancel error produced by activity pause", false,
                   true);
  } else if (why & TEMPORAL__INTERRUPT_RESET) {
    report_failure(st, "ActivityReset", "Unhandled activity cancel error produced by activity reset", false,
                   true);
  } else if (why & TEMPORAL__INTERRUPT_CANCEL) {
    report_canceled(st);
  } else if (why & TEMPORAL__INTERRUPT_SHUTDOWN) {
    report_failure(st, "WorkerShutdown", "Worker is shutting down and this activity did not complete in time",
                   false, true);
  } else {
    report_failure(st, "CancelledError", "the activity ended as cancelled without a cancellation request",
                   false, true);
  }
}

static void report_task(temporal__queue *item, void *data) {
  (void)data;
  report(TEMPORAL__QUEUE_DATA(item, temporal__report_state, link));
}

void temporal__reporter_push(temporal__reporter *r, temporal__report_state *st, temporal__task *t,
                             temporal_payload **heartbeat_details, size_t heartbeat_count) {
  st->reporter = r;
  st->task = t;
  st->heartbeat_details = heartbeat_details;
  st->heartbeat_count = heartbeat_count;
  st->stage = 0;
  pthread_mutex_lock(&r->mu);
  r->busy++;
  pthread_mutex_unlock(&r->mu);
  /* The queue stops only after the worker's last task was reported. */
  if (temporal__work_queue_push(&r->queue, &st->link) != 0) {
    TLOG_ERROR("activity %s finished after its worker stopped: not reported", t->activity.info.activity_id);
    temporal__payload_array_free(heartbeat_details, heartbeat_count);
    pthread_mutex_lock(&r->mu);
    r->busy--;
    pthread_mutex_unlock(&r->mu);
  }
}

int temporal__reporter_new(temporal__reporter **out, const temporal__reporter_config *config) {
  temporal__reporter *r = calloc(1, sizeof *r);
  if (!r) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  r->config = *config;
  if (pthread_mutex_init(&r->mu, NULL) != 0) {
    free(r);
    return temporal__error(TEMPORAL_ESYSTEM, "pthread_mutex_init failed");
  }
  pthread_cond_init(&r->idle, NULL);
  /* One thread: it never waits on the network, only builds requests and starts their calls. */
  int rc = temporal__work_queue_start(&r->queue, 1, 1, report_task, r);
  if (rc != 0) {
    pthread_cond_destroy(&r->idle);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return rc;
  }
  *out = r;
  return 0;
}

void temporal__reporter_free(temporal__reporter *r) {
  if (!r) return;
  pthread_mutex_lock(&r->mu);
  while (r->busy) pthread_cond_wait(&r->idle, &r->mu);
  pthread_mutex_unlock(&r->mu);
  temporal__work_queue_stop(&r->queue);
  pthread_cond_destroy(&r->idle);
  pthread_mutex_destroy(&r->mu);
  free(r);
}
