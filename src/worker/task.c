/* One activity task in the worker, from poll to report: creation, dispatch by type and kind, the
 * in-process context calls (heartbeat, cancellation), interruption, and finishing. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "executor/executor_internal.h"
#include "worker/worker_internal.h"

static int task_heartbeat(temporal_activity *activity, const temporal_payload *const *details, size_t count);
static bool task_is_cancelled(const temporal_activity *activity);
static int task_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout);

static unsigned int task_interrupts(const temporal_activity *activity);
static bool task_is_worker_shutdown(const temporal_activity *activity);
static int task_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout);
static void task_wake_waiters(temporal_activity *activity);
static void task_destroy(temporal_activity *activity);

static const temporal__activity_ops worker_ops = {
    .heartbeat = task_heartbeat,
    .is_cancelled = task_is_cancelled,
    .wait_for_cancelled = task_wait_for_cancelled,
    .interrupts = task_interrupts,
    .is_worker_shutdown = task_is_worker_shutdown,
    .wait_for_worker_shutdown = task_wait_for_worker_shutdown,
    .complete = temporal__loop_complete,
    .cancel_registered = temporal__loop_cancel_registered,
    .worker_shutdown_registered = temporal__loop_worker_shutdown_registered,
    .wake_waiters = task_wake_waiters,
    .destroy = task_destroy,
};

temporal_activity *temporal__task_activity(temporal__task *task) { return &task->activity; }

temporal__task *temporal__task_of(const temporal_activity *activity) {
  return (temporal__task *)activity; /* activity is the first member */
}

int temporal__task_new(temporal__task **out, temporal_worker *worker,
                       Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp) {
  temporal__task *t = calloc(1, sizeof *t);
  if (!t) {
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  t->worker = worker;
  atomic_init(&t->interrupts, 0);
  pthread_mutex_init(&t->mu, NULL);
  temporal__cond_init(&t->cond);
  int rc = temporal__activity_init(&t->activity, &worker_ops, resp, worker->namespace_, worker->task_queue);
  if (rc == TEMPORAL_EDECODE) {
    /* Kept for dispatch, which fails the task after the type lookup: a type that is not registered
     * is reported as such, whatever its arguments. */
    t->decode_error = temporal__strdup(temporal_error_last());
    rc = 0;
  }
  t->activity.owner = t;
  *out = t;
  return rc;
}

/* The last reference went: the worker's (dropped once the outcome was reported), the heartbeat
 * manager's, the loop's messages' and any the user took with temporal_activity_ref. */
static void task_destroy(temporal_activity *activity) {
  temporal__task *t = temporal__task_of(activity);
  temporal__activity_destroy(&t->activity);
  temporal_result_free(t->result);
  temporal__payload_array_free(t->hb.pending, t->hb.pending_count);
  free(t->heartbeat_error);
  free(t->decode_error);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cond);
  free(t);
}

void temporal__task_ref(temporal__task *t) {
  temporal__activity_ref(&t->activity);
}

void temporal__task_unref(temporal__task *t) {
  if (t) temporal__activity_unref(&t->activity);
}

void temporal__task_set_interrupt_hook(temporal__task *t, temporal__interrupt_hook hook, void *data) {
  pthread_mutex_lock(&t->mu);
  t->hook = hook;
  t->hook_data = data;
  pthread_mutex_unlock(&t->mu);
}

void temporal__task_set_shutdown_hook(temporal__task *t, temporal__interrupt_hook hook) {
  pthread_mutex_lock(&t->mu);
  t->shutdown_hook = hook;
  pthread_mutex_unlock(&t->mu);
}

unsigned int temporal__task_interrupts(const temporal__task *t) { return atomic_load(&((temporal__task *)t)->interrupts); }

void temporal__task_interrupt(temporal__task *t, unsigned int reasons, const char *heartbeat_error) {
  if (temporal__activity_is_finished(&t->activity)) return;
  pthread_mutex_lock(&t->mu);
  if (heartbeat_error && !t->heartbeat_error) t->heartbeat_error = temporal__strdup(heartbeat_error);
  unsigned int before = atomic_fetch_or(&t->interrupts, reasons);
  temporal__interrupt_hook hook = t->hook;
  void *hook_data = t->hook_data;
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
  /* Every new reason is carried to where the activity runs (a cancel after a pause changes what
   * cancellation_details says there). */
  if ((reasons & ~before) && hook) hook(t, before | reasons, hook_data);
}

void temporal__task_fail_heartbeats(temporal__task *t, const char *why) {
  pthread_mutex_lock(&t->mu);
  t->heartbeat_error_final = true;
  pthread_mutex_unlock(&t->mu);
  temporal__task_interrupt(t, TEMPORAL__INTERRUPT_HEARTBEAT_ERROR, why);
}

void temporal__task_worker_shutdown(temporal__task *t) {
  /* The flag is the worker's, set before this is called: lock and broadcast so that a waiter which
   * read it false under t->mu is now waiting and wakes. */
  pthread_mutex_lock(&t->mu);
  temporal__interrupt_hook hook = t->shutdown_hook;
  void *hook_data = t->hook_data;
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
  if (hook && !temporal__activity_is_finished(&t->activity)) hook(t, 0, hook_data);
}

int temporal__task_finish(temporal__task *t, temporal_result *result) {
  if (!temporal__activity_mark_finished(&t->activity)) {
    TLOG_ERROR("activity %s finished twice; the second outcome is ignored", t->activity.info.activity_id);
    temporal_result_free(result);
    return temporal__error(TEMPORAL_ESTATE, "activity %s has already finished", t->activity.info.activity_id);
  }
  t->result = result ? result : temporal_result_none();
  if (temporal__log_enabled(TEMPORAL_LOG_DEBUG) && t->dispatched_mono)
    TLOG_DEBUG("activity %s (%s) ran in %lld us", t->activity.info.activity_id, t->activity.info.activity_type,
               (long long)(temporal__monotonic_ns() - t->dispatched_mono) / 1000);
  temporal__reporter_push(t->worker->reporter, t);
  return 0;
}

int temporal__task_record_heartbeat(temporal__task *t, const temporal_payload *const *details, size_t count) {
  return temporal__heartbeats_record(t->worker->heartbeats, t, details, count);
}

/* ---- In-process context calls ---------------------------------------------------------------- */

static int task_heartbeat(temporal_activity *activity, const temporal_payload *const *details, size_t count) {
  return temporal__task_record_heartbeat(temporal__task_of(activity), details, count);
}

static bool task_is_cancelled(const temporal_activity *activity) {
  return temporal__task_interrupts(temporal__task_of(activity)) != 0;
}

/* Waits on the task's condition until pred(t), the activity finishes, or the timeout (<= 0: none). */
static int task_wait(temporal__task *t, bool (*pred)(temporal__task *), temporal_duration_ns timeout) {
  struct timespec deadline = temporal__deadline_ts(timeout);
  pthread_mutex_lock(&t->mu);
  int rc = 0;
  while (!pred(t) && !temporal__activity_is_finished(&t->activity) && rc == 0)
    rc = timeout > 0 ? pthread_cond_timedwait(&t->cond, &t->mu, &deadline) : pthread_cond_wait(&t->cond, &t->mu);
  bool met = pred(t);
  pthread_mutex_unlock(&t->mu);
  return met ? 0 : TEMPORAL_ETIMEDOUT;
}

static bool interrupted(temporal__task *t) {
  return atomic_load(&t->interrupts) != 0;
}
static bool worker_shutting_down(temporal__task *t) {
  return atomic_load(&t->worker->is_shutting_down);
}

static int task_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout) {
  return task_wait(temporal__task_of(activity), interrupted, timeout);
}

static unsigned int task_interrupts(const temporal_activity *activity) {
  return temporal__task_interrupts(temporal__task_of(activity));
}

static bool task_is_worker_shutdown(const temporal_activity *activity) {
  return worker_shutting_down(temporal__task_of(activity));
}

static int task_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout) {
  return task_wait(temporal__task_of(activity), worker_shutting_down, timeout);
}

static void task_wake_waiters(temporal_activity *activity) {
  temporal__task *t = temporal__task_of(activity);
  pthread_mutex_lock(&t->mu);
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
}

/* ---- Dispatch ---------------------------------------------------------------------------------- */

static void fail_now(temporal__task *t, temporal_application_error *err) { temporal__task_finish(t, temporal_result_error(err)); }

static void fail_not_found(temporal__task *t) {
  const temporal__registry *r = &t->worker->registry;
  temporal_application_error *err = NULL;
  char *msg = temporal__asprintf("Activity function %s is not registered on this worker, available activities: %s",
                                 t->activity.info.activity_type, r->names ? r->names : "");
  if (msg && temporal_application_error_new(&err, "NotFoundError", msg) == 0)
    fail_now(t, err);
  else
    temporal__task_finish(t, temporal_result_errorf("NotFoundError", "activity type not registered"));
  free(msg);
}

void temporal__task_dispatch(temporal__task *t) {
  temporal_worker *w = t->worker;
  const temporal_activity_definition *d = temporal__registry_find(&w->registry, t->activity.info.activity_type);
  if (!d) {
    fail_not_found(t);
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
    temporal__task_finish(t, temporal__decode_failure(t->decode_error ? t->decode_error : "the input could not be decoded"));
    return;
  }
  int rc;
  t->dispatched_mono = temporal__monotonic_ns();
  if (d->kind == TEMPORAL_ACTIVITY_KIND_ASYNC)
    rc = temporal__loop_submit(w->loop, t);
  else
    rc = temporal__executor_submit(w->executor, w->ssm, t);
  if (rc != 0)
    temporal__task_finish(t, temporal_result_errorf("ExecutorError", "could not start the activity: %s",
                                                    temporal_error_last()));
}

void temporal__task_run_sync(temporal__task *t) {
  temporal__task_finish(t, temporal__activity_call_sync(&t->activity));
}
