/* One activity task in the worker process: its creation, the in-process context calls (heartbeats
 * and cancellation through the owner), interruption, and finishing. Where it runs and where its
 * outcome goes are the runner's and the owner's business (task.h). */
#include <stdlib.h>
#include <string.h>

#include "activity/task.h"
#include "core/core.h"

static int task_heartbeat(temporal_activity *activity, const temporal_payload *const *details, size_t count);
static bool task_is_cancelled(const temporal_activity *activity);
static int task_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout);
static unsigned int task_interrupts(const temporal_activity *activity);
static bool task_is_worker_shutdown(const temporal_activity *activity);
static int task_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout);
static int task_complete(temporal_activity *activity, temporal_result *result);
static void task_cancel_registered(temporal_activity *activity);
static void task_worker_shutdown_registered(temporal_activity *activity);
static void task_wake_waiters(temporal_activity *activity);
static void task_destroy(temporal_activity *activity);

static const temporal__activity_ops task_ops = {
    .heartbeat = task_heartbeat,
    .is_cancelled = task_is_cancelled,
    .wait_for_cancelled = task_wait_for_cancelled,
    .interrupts = task_interrupts,
    .is_worker_shutdown = task_is_worker_shutdown,
    .wait_for_worker_shutdown = task_wait_for_worker_shutdown,
    .complete = task_complete,
    .cancel_registered = task_cancel_registered,
    .worker_shutdown_registered = task_worker_shutdown_registered,
    .wake_waiters = task_wake_waiters,
    .destroy = task_destroy,
};

temporal_activity *temporal__task_activity(temporal__task *task) {
  return &task->activity;
}

temporal__task *temporal__task_of(const temporal_activity *activity) {
  return (temporal__task *)activity; /* activity is the first member */
}

int temporal__task_init(temporal__task *t, const temporal__task_owner *owner, void *owner_data,
                        Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *resp,
                        const char *namespace_, const char *task_queue) {
  memset(t, 0, sizeof *t);
  t->owner = owner;
  t->owner_data = owner_data;
  temporal__queue_init(&t->queue);
  temporal__queue_init(&t->owner_link);
  atomic_init(&t->interrupts, 0);
  pthread_mutex_init(&t->mu, NULL);
  temporal__cond_init(&t->cond);
  int rc = temporal__activity_init(&t->activity, &task_ops, resp, namespace_, task_queue);
  t->activity.owner = t;
  if (rc == TEMPORAL_EDECODE) {
    /* Kept for the dispatch, which fails the task after the type lookup: a type that is not
     * registered is reported as such, whatever its arguments. */
    t->decode_error = temporal__strdup(temporal_error_last());
    rc = t->decode_error ? 0 : TEMPORAL_ENOMEM;
  }
  return rc;
}

/* The last reference went: the owner's (dropped once the outcome was reported), a service's, a
 * runner message's, or one the user took with temporal_activity_ref. */
static void task_destroy(temporal_activity *activity) {
  temporal__task *t = temporal__task_of(activity);
  temporal__activity_destroy(&t->activity);
  temporal_result_free(t->result);
  free(t->heartbeat_error);
  free(t->decode_error);
  pthread_mutex_destroy(&t->mu);
  pthread_cond_destroy(&t->cond);
  t->owner->destroy(t, t->owner_data);
}

const char *temporal__task_decode_error(const temporal__task *t) {
  return t->decode_error;
}

void temporal__task_ref(temporal__task *t) {
  temporal__activity_ref(&t->activity);
}

void temporal__task_unref(temporal__task *t) {
  if (t) temporal__activity_unref(&t->activity);
}

void temporal__task_set_runner(temporal__task *t, const temporal__task_runner *runner, void *data) {
  pthread_mutex_lock(&t->mu);
  t->runner = runner;
  t->runner_data = data;
  pthread_mutex_unlock(&t->mu);
}

unsigned int temporal__task_interrupts(const temporal__task *t) {
  return atomic_load(&((temporal__task *)t)->interrupts);
}

void temporal__task_interrupt(temporal__task *t, unsigned int reasons, const char *heartbeat_error) {
  if (temporal__activity_is_finished(&t->activity)) return;
  pthread_mutex_lock(&t->mu);
  if (heartbeat_error && !t->heartbeat_error) t->heartbeat_error = temporal__strdup(heartbeat_error);
  unsigned int before = atomic_fetch_or(&t->interrupts, reasons);
  const temporal__task_runner *runner = t->runner;
  void *runner_data = t->runner_data;
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
  /* Every new reason is carried to where the activity runs (a cancel after a pause changes what
   * cancellation_details says there). */
  if ((reasons & ~before) && runner && runner->interrupted)
    runner->interrupted(t, before | reasons, runner_data);
}

void temporal__task_fail_heartbeats(temporal__task *t, const char *why) {
  pthread_mutex_lock(&t->mu);
  t->heartbeat_error_final = true;
  pthread_mutex_unlock(&t->mu);
  temporal__task_interrupt(t, TEMPORAL__INTERRUPT_HEARTBEAT_ERROR, why);
}

char *temporal__task_heartbeat_error(temporal__task *t, bool *final_out) {
  /* Under the lock: an interrupt that raced the finish may still be writing them. */
  pthread_mutex_lock(&t->mu);
  *final_out = t->heartbeat_error_final;
  char *message = t->heartbeat_error ? temporal__strdup(t->heartbeat_error) : NULL;
  pthread_mutex_unlock(&t->mu);
  return message;
}

void temporal__task_worker_shutdown(temporal__task *t) {
  /* The flag is the owner's, set before this is called: lock and broadcast so that a waiter which
   * read it false under t->mu is now waiting and wakes. */
  pthread_mutex_lock(&t->mu);
  const temporal__task_runner *runner = t->runner;
  void *runner_data = t->runner_data;
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
  if (runner && runner->worker_shutdown && !temporal__activity_is_finished(&t->activity))
    runner->worker_shutdown(t, runner_data);
}

int temporal__task_finish(temporal__task *t, temporal_result *result) {
  if (!temporal__activity_mark_finished(&t->activity)) {
    TLOG_ERROR("activity %s finished twice; the second outcome is ignored", t->activity.info.activity_id);
    temporal_result_free(result);
    return temporal__error(TEMPORAL_ESTATE, "activity %s has already finished", t->activity.info.activity_id);
  }
  t->result = result ? result : temporal_result_none();
  t->owner->finished(t, t->owner_data);
  return 0;
}

void temporal__task_run_sync(temporal__task *t) {
  temporal__task_finish(t, temporal__activity_call_sync(&t->activity));
}

const temporal_result *temporal__task_result(const temporal__task *t) {
  return t->result;
}

int temporal__task_record_heartbeat(temporal__task *t, const temporal_payload *const *details, size_t count) {
  return t->owner->heartbeat(t, details, count, t->owner_data);
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
    rc = timeout > 0 ? pthread_cond_timedwait(&t->cond, &t->mu, &deadline)
                     : pthread_cond_wait(&t->cond, &t->mu);
  bool met = pred(t);
  pthread_mutex_unlock(&t->mu);
  return met ? 0 : TEMPORAL_ETIMEDOUT;
}

static bool interrupted(temporal__task *t) {
  return atomic_load(&t->interrupts) != 0;
}

static bool owner_shutting_down(temporal__task *t) {
  return t->owner->is_worker_shutdown(t->owner_data);
}

static int task_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout) {
  return task_wait(temporal__task_of(activity), interrupted, timeout);
}

static unsigned int task_interrupts(const temporal_activity *activity) {
  return temporal__task_interrupts(temporal__task_of(activity));
}

static bool task_is_worker_shutdown(const temporal_activity *activity) {
  return owner_shutting_down(temporal__task_of(activity));
}

static int task_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout) {
  return task_wait(temporal__task_of(activity), owner_shutting_down, timeout);
}

/* temporal_activity_complete of an async activity: its outcome, like a sync function's return. */
static int task_complete(temporal_activity *activity, temporal_result *result) {
  return temporal__task_finish(temporal__task_of(activity), result);
}

/* The runner and its data, as set when the task started (under the lock that published them). */
static const temporal__task_runner *runner_of(temporal__task *t, void **data_out) {
  pthread_mutex_lock(&t->mu);
  const temporal__task_runner *runner = t->runner;
  *data_out = t->runner_data;
  pthread_mutex_unlock(&t->mu);
  return runner;
}

static void task_cancel_registered(temporal_activity *activity) {
  temporal__task *t = temporal__task_of(activity);
  void *data;
  const temporal__task_runner *runner = runner_of(t, &data);
  if (runner && runner->cancel_registered) runner->cancel_registered(t, data);
}

static void task_worker_shutdown_registered(temporal_activity *activity) {
  temporal__task *t = temporal__task_of(activity);
  void *data;
  const temporal__task_runner *runner = runner_of(t, &data);
  if (runner && runner->worker_shutdown_registered) runner->worker_shutdown_registered(t, data);
}

static void task_wake_waiters(temporal_activity *activity) {
  temporal__task *t = temporal__task_of(activity);
  pthread_mutex_lock(&t->mu);
  pthread_cond_broadcast(&t->cond);
  pthread_mutex_unlock(&t->mu);
}
