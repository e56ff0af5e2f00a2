/* Dispatch: the worker's side of the task port (activity/task.h). A polled task gets a record that
 * also holds what the services keep about it; the registry picks its definition; the definition's
 * kind picks its runner (the loop for async, the executor for sync); its outcome goes to the
 * reporter, and once reported it leaves the slots. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "worker/dispatch.h"
#include "worker/worker_internal.h"

static temporal__inflight *record_of(temporal__task *t) {
  return (temporal__inflight *)t; /* task is first */
}

/* ---- The owner's callbacks ------------------------------------------------------------------- */

/* The task's heartbeats are closed (a call in flight has ended): its report can go. */
static void heartbeats_closed(temporal_payload **details, size_t count, void *data) {
  temporal__inflight *rec = data;
  temporal_worker *w = rec->task.owner_data;
  temporal__reporter_push(w->reporter, &rec->report, &rec->task, details, count);
}

static void on_finished(temporal__task *t, void *data) {
  temporal_worker *w = data;
  temporal__inflight *rec = record_of(t);
  if (temporal__log_enabled(TEMPORAL_LOG_DEBUG) && rec->dispatched_mono)
    TLOG_DEBUG("activity %s (%s) ran in %lld us", t->activity.info.activity_id,
               t->activity.info.activity_type,
               (long long)(temporal__monotonic_ns() - rec->dispatched_mono) / 1000);
  temporal__heartbeats_close(w->heartbeats, &rec->heartbeat, heartbeats_closed, rec);
}

static int on_heartbeat(temporal__task *t, const temporal_payload *const *details, size_t count, void *data) {
  temporal_worker *w = data;
  temporal__inflight *rec = record_of(t);
  int rc = temporal__heartbeats_record(w->heartbeats, &rec->heartbeat, t, details, count);
  if (rc == 0) temporal__timeouts_heartbeat(&rec->timeout);
  return rc;
}

static bool is_worker_shutdown(void *data) {
  temporal_worker *w = data;
  return atomic_load(&w->is_shutting_down);
}

static void on_destroy(temporal__task *t, void *data) {
  (void)data;
  free(record_of(t));
}

static const temporal__task_owner worker_owner = {
    .finished = on_finished,
    .heartbeat = on_heartbeat,
    .is_worker_shutdown = is_worker_shutdown,
    .destroy = on_destroy,
};

void temporal__dispatch_reported(temporal__task *t, void *data) {
  temporal_worker *w = data;
  temporal__timeouts_remove(w->timeouts, &record_of(t)->timeout);
  temporal__slots_done(&w->slots, t);
}

/* ---- Where it runs ---------------------------------------------------------------------------- */

static void fail_not_found(temporal_worker *w, temporal__task *t) {
  const temporal__registry *r = &w->registry;
  temporal_application_error *err = NULL;
  char *msg =
      temporal__asprintf("Activity function %s is not registered on this worker, available activities: %s",
                         t->activity.info.activity_type, r->names ? r->names : "");
  if (msg && temporal_application_error_new(&err, "NotFoundError", msg) == 0)
    temporal__task_finish(t, temporal_result_error(err));
  else
    temporal__task_finish(t, temporal_result_errorf("NotFoundError", "activity type not registered"));
  free(msg);
}

static void start(temporal_worker *w, temporal__inflight *rec) {
  temporal__task *t = &rec->task;
  const temporal_activity_definition *d =
      temporal__registry_find(&w->registry, t->activity.info.activity_type);
  if (!d) {
    fail_not_found(w, t);
    return;
  }
  t->activity.defn = *d;
  /* The dynamic activity takes the raw payloads: decoding them is its business. */
  if (!t->activity.args && (d->flags & TEMPORAL_ACTIVITY_DYNAMIC) &&
      temporal__args_new_raw(&t->activity.args, t->activity.task->input) != 0) {
    temporal__task_finish(t, temporal_result_from_code(TEMPORAL_ENOMEM));
    return;
  }
  if (!t->activity.args) {
    const char *why = temporal__task_decode_error(t);
    temporal__task_finish(t, temporal__decode_failure(why ? why : "the input could not be decoded"));
    return;
  }
  rec->dispatched_mono = temporal__monotonic_ns();
  int rc = d->kind == TEMPORAL_ACTIVITY_KIND_ASYNC ? temporal__loop_submit(w->loop, t)
                                                   : temporal__executor_submit(w->executor, w->ssm, t);
  if (rc != 0)
    temporal__task_finish(t, temporal_result_errorf("ExecutorError", "could not start the activity: %s",
                                                    temporal_error_last()));
}

void temporal__dispatch(Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp, void *data) {
  temporal_worker *w = data;
  temporal__inflight *rec = calloc(1, sizeof *rec);
  int rc = rec ? temporal__task_init(&rec->task, &worker_owner, w, resp, w->namespace_, w->task_queue)
               : temporal__error(TEMPORAL_ENOMEM, "out of memory");
  if (rc != 0) {
    /* Out of memory: the server will time the task out and retry it elsewhere. */
    TLOG_ERROR("dropping an activity task: %s", temporal_error_last());
    if (rec)
      temporal__task_unref(&rec->task);
    else
      protobuf_c_message_free_unpacked(&resp->base, NULL);
    temporal__slots_release(&w->slots);
    return;
  }
  /* With "ran in" (on_finished) and the reporter's lines, this tells a task the worker never got
   * from one it got and lost. */
  TLOG_DEBUG("activity %s (%s) received, attempt %d", rec->task.activity.info.activity_id,
             rec->task.activity.info.activity_type, (int)rec->task.activity.info.attempt);
  temporal__timeouts_add(w->timeouts, &rec->timeout, &rec->task);
  temporal__slots_add(&w->slots, &rec->task);
  start(w, rec);
}
