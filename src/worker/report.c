/* The reporter: threads that tell the server how each activity ended (RespondActivityTask
 * Completed / Failed / Canceled), retried until the server accepts the report or says the task is
 * gone, then release the task's slot. Activities never block on the network to finish.
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
  temporal__work_queue queue; /* finished tasks, through their `queue` link */
};

typedef enum { REPORT_COMPLETED, REPORT_FAILED, REPORT_CANCELED, REPORT_NOTHING } report_kind;

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

/* Who the reports are about: the attempt the task's token names. */
static temporal__respond_target target_of(const temporal__reporter *rep, const temporal__task *t) {
  return (temporal__respond_target){.transport = rep->config.transport,
                                    .namespace_ = rep->config.namespace_,
                                    .identity = rep->config.identity,
                                    .task_token = t->activity.info.task_token,
                                    .task_token_len = t->activity.info.task_token_len};
}

/* One report, retried on transport errors until accepted, NotFound, a refusal, or the give-up time.
 * status_out (may be NULL) gets the last call's status. */
static int call_until_settled(const temporal__reporter *rep, temporal__task *t,
                              const temporal__respond_msg *msg, temporal__call_status *status_out) {
  const temporal__respond_target to = target_of(rep, t);
  const char *method = temporal__respond_method(&to, msg->kind);
  temporal__backoff backoff;
  temporal__backoff_init(&backoff, 200 * TEMPORAL_MS, 10 * TEMPORAL_SECOND);
  int64_t give_up = report_give_up_at(t);
  for (;;) {
    const temporal__call_options opts = {.timeout = 10 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_DEFAULT};
    int rc = temporal__respond_send(&to, msg, &opts, status_out, NULL);
    if (rc == 0 || rc == TEMPORAL_ENOTFOUND || rc == TEMPORAL_EINVAL || rc == TEMPORAL_ETOOBIG ||
        rc == TEMPORAL_ESERVER)
      return rc;
    if (temporal__monotonic_ns() >= give_up) {
      TLOG_ERROR("activity %s: giving up on %s after the activity's deadline: %s",
                 t->activity.info.activity_id, method, temporal_error_last());
      return rc;
    }
    TLOG_WARN("activity %s: %s failed, retrying: %s", t->activity.info.activity_id, method,
              temporal_error_last());
    temporal__sleep_ns(temporal__backoff_next(&backoff));
  }
}

static int send_failed(const temporal__reporter *rep, temporal__task *t,
                       const Temporal__Api__Failure__V1__Failure *failure, temporal_payload **hb,
                       size_t hb_count) {
  const temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_FAILED,
                                     .failure = failure,
                                     .payloads = (const temporal_payload *const *)hb,
                                     .payload_count = hb_count};
  return call_until_settled(rep, t, &msg, NULL);
}

static int report_failure(const temporal__reporter *rep, temporal__task *t, const char *type,
                          const char *message, bool non_retryable, temporal_payload **hb, size_t hb_count) {
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  int rc = temporal__failure_new(&failure, type, message, non_retryable);
  if (rc != 0) return rc;
  rc = send_failed(rep, t, failure, hb, hb_count);
  protobuf_c_message_free_unpacked(&failure->base, NULL);
  return rc;
}

static int report_error(const temporal__reporter *rep, temporal__task *t,
                        const temporal_application_error *err, temporal_payload **hb, size_t hb_count) {
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  int rc = temporal__failure_from_application_error(&failure, err);
  if (rc != 0) return report_failure(rep, t, "EncodingError", temporal_error_last(), false, hb, hb_count);
  rc = send_failed(rep, t, failure, hb, hb_count);
  protobuf_c_message_free_unpacked(&failure->base, NULL);
  return rc;
}

/* A result the server will never accept fails the attempt for good: every retry would produce it
 * again. Type PayloadsTooLarge, as the newer official SDKs name it. */
static int report_too_large(const temporal__reporter *rep, temporal__task *t, const char *why) {
  TLOG_WARN("activity %s: %s", t->activity.info.activity_id, why);
  return report_failure(rep, t, "PayloadsTooLarge", why, true, NULL, 0);
}

static int report_completed(const temporal__reporter *rep, temporal__task *t) {
  /* No payload means "nothing": respond sends it as binary/null, far under any limit. */
  const temporal_payload *value = temporal__task_result(t)->value;
  size_t size = value ? temporal__payloads_encoded_size(&value, 1) : 0;
  int64_t limit = rep->config.blob_size_limit;
  if (limit > 0 && size > (uint64_t)limit) {
    char why[300];
    snprintf(
        why, sizeof why,
        "the activity's result is %zu bytes; the server accepts at most %lld bytes of payloads (namespace "
        "limit blob_size_limit_error)",
        size, (long long)limit);
    return report_too_large(rep, t, why);
  }
  const temporal__respond_msg msg = {
      .kind = TEMPORAL__RESPOND_COMPLETED, .payloads = value ? &value : NULL, .payload_count = value ? 1 : 0};
  int rc = call_until_settled(rep, t, &msg, NULL);
  if (rc == TEMPORAL_ETOOBIG) {
    /* Over the transport's message limit (the server's gRPC receive limit: the error says both sizes). */
    char why[700];
    snprintf(why, sizeof why, "the activity's result is %zu bytes, too large for the server to receive: %s",
             size, temporal_error_last());
    return report_too_large(rep, t, why);
  }
  if (rc == TEMPORAL_EINVAL) {
    /* The server refused the result itself: the attempt fails with that reason rather than vanishing. */
    char why[600];
    snprintf(why, sizeof why, "the server refused the activity's result: %s", temporal_error_last());
    return report_failure(rep, t, "ResultRejected", why, false, NULL, 0);
  }
  return rc;
}

static int report_canceled(const temporal__reporter *rep, temporal__task *t, temporal_payload **hb,
                           size_t hb_count) {
  const temporal__respond_msg msg = {.kind = TEMPORAL__RESPOND_CANCELED,
                                     .payloads = (const temporal_payload *const *)hb,
                                     .payload_count = hb_count};
  temporal__call_status status;
  int rc = call_until_settled(rep, t, &msg, &status);
  /* Canceled is legal only after cancel_requested was seen; a standalone activity's refusal is
   * FAILED_PRECONDITION, not INVALID_ARGUMENT (temporal__respond_cancel_refused). */
  if (rc == TEMPORAL_EINVAL || (rc != 0 && temporal__respond_cancel_refused(&status)))
    return report_failure(rep, t, "CancelledError", "the activity was cancelled", false, hb, hb_count);
  return rc;
}

static void report(const temporal__reporter *rep, temporal__task *t) {
  unsigned int why = temporal__task_interrupts(t);
  temporal_payload **hb = NULL;
  size_t hb_count = 0;
  rep->config.take_heartbeats(t, &hb, &hb_count, rep->config.data);
  const temporal_result *r = temporal__task_result(t);
  int rc = 0;
  if (why & (TEMPORAL__INTERRUPT_NOT_FOUND | TEMPORAL__INTERRUPT_TIMEOUT)) {
    TLOG_DEBUG("activity %s: not reported, the server has already resolved it", t->activity.info.activity_id);
  } else if (r->kind == TEMPORAL__RESULT_ASYNC) {
    TLOG_DEBUG("activity %s: will be completed asynchronously", t->activity.info.activity_id);
  } else if (r->kind == TEMPORAL__RESULT_VALUE) {
    rc = report_completed(rep, t);
  } else if (r->kind == TEMPORAL__RESULT_ERROR) {
    rc = report_error(rep, t, r->error, hb, hb_count);
  } else if (why & TEMPORAL__INTERRUPT_HEARTBEAT_ERROR) {
    bool final = false;
    char *message = temporal__task_heartbeat_error(t, &final);
    rc = report_failure(rep, t, final ? "PayloadsTooLarge" : "HeartbeatError",
                        message ? message : "heartbeat failed", final, hb, hb_count);
    free(message);
  } else if (why & TEMPORAL__INTERRUPT_PAUSE) {
    rc = report_failure(rep, t, "ActivityPause", "Unhandled activity cancel error produced by activity pause",
                        false, hb, hb_count);
  } else if (why & TEMPORAL__INTERRUPT_RESET) {
    rc = report_failure(rep, t, "ActivityReset", "Unhandled activity cancel error produced by activity reset",
                        false, hb, hb_count);
  } else if (why & TEMPORAL__INTERRUPT_CANCEL) {
    rc = report_canceled(rep, t, hb, hb_count);
  } else if (why & TEMPORAL__INTERRUPT_SHUTDOWN) {
    rc = report_failure(rep, t, "WorkerShutdown",
                        "Worker is shutting down and this activity did not complete in time", false, hb,
                        hb_count);
  } else {
    rc =
        report_failure(rep, t, "CancelledError",
                       "the activity ended as cancelled without a cancellation request", false, hb, hb_count);
  }
  if (rc == TEMPORAL_ENOTFOUND)
    TLOG_INFO("activity %s: the server no longer knows the task (already resolved or timed out)",
              t->activity.info.activity_id);
  else if (rc != 0)
    TLOG_ERROR("activity %s: report failed: %s", t->activity.info.activity_id, temporal_error_last());
  temporal__payload_array_free(hb, hb_count);
}

static void report_task(temporal__queue *item, void *data) {
  temporal__reporter *r = data;
  temporal__task *t = TEMPORAL__QUEUE_DATA(item, temporal__task, queue);
  report(r, t);
  /* A context call still in progress (a user thread heartbeating as the activity finished) may be
   * using the worker's services: once it is over, no later call can reach them. */
  temporal__activity_wait_calls(&t->activity);
  r->config.reported(t, r->config.data);
}

void temporal__reporter_push(temporal__reporter *r, temporal__task *t) {
  /* The queue stops only after the worker's last task was reported. */
  if (temporal__work_queue_push(&r->queue, &t->queue) != 0)
    TLOG_ERROR("activity %s finished after its worker stopped: not reported", t->activity.info.activity_id);
}

int temporal__reporter_new(temporal__reporter **out, const temporal__reporter_config *config) {
  temporal__reporter *r = calloc(1, sizeof *r);
  if (!r) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  r->config = *config;
  int rc = temporal__work_queue_start(&r->queue, config->threads, config->threads, report_task, r);
  if (rc != 0) {
    free(r);
    return rc;
  }
  *out = r;
  return 0;
}

/* Reports what is queued, then joins the threads. */
void temporal__reporter_free(temporal__reporter *r) {
  if (!r) return;
  temporal__work_queue_stop(&r->queue);
  free(r);
}
