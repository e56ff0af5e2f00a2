/* The running side of a job: temporal_executor_run, called wherever an executor runs activities
 * (a process-pool child, or a user executor's process or thread). It rebuilds the activity from
 * the job bytes and runs it with context calls that go through the shared state manager's slot. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "executor/job.h"
#include "executor/shared_state.h"
#include "activity/activity.h"

typedef struct run_ctx {
  temporal_shared_state_manager *manager;
  uint32_t slot;
  uint32_t generation;
} run_ctx;

/* The activity as this side runs it; on the heap, because a thread the activity started may hold a
 * reference past the run. */
typedef struct run_activity {
  temporal_activity activity; /* first: the ops cast back */
  run_ctx ctx;
  char *name;
} run_activity;

static int run_heartbeat(temporal_activity *activity, const temporal_payload *const *details, size_t count) {
  const run_ctx *c = activity->owner;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int rc = temporal__payloads_serialize(&bytes, &len, details, count);
  if (rc != 0) return rc;
  rc = temporal__ssm_slot_heartbeat(c->manager, c->slot, c->generation, bytes, len);
  free(bytes);
  return rc;
}

static bool run_is_cancelled(const temporal_activity *activity) {
  const run_ctx *c = activity->owner;
  return temporal__ssm_slot_interrupts(c->manager, c->slot, c->generation) != 0;
}

static int run_wait_for_cancelled(temporal_activity *activity, temporal_duration_ns timeout) {
  const run_ctx *c = activity->owner;
  return temporal__ssm_slot_wait(c->manager, c->slot, c->generation, timeout, &activity->finished);
}

static unsigned int run_interrupts(const temporal_activity *activity) {
  const run_ctx *c = activity->owner;
  return temporal__ssm_slot_interrupts(c->manager, c->slot, c->generation);
}

static bool run_is_worker_shutdown(const temporal_activity *activity) {
  const run_ctx *c = activity->owner;
  return temporal__ssm_worker_shutdown(c->manager);
}

static int run_wait_for_worker_shutdown(temporal_activity *activity, temporal_duration_ns timeout) {
  const run_ctx *c = activity->owner;
  return temporal__ssm_wait_worker_shutdown(c->manager, timeout, &activity->finished);
}

/* Waiters sleep on the slot's futexes and re-check the activity's finished flag when woken. */
static void run_wake_waiters(temporal_activity *activity) {
  const run_ctx *c = activity->owner;
  temporal__ssm_slot_wake(c->manager, c->slot);
}

static void run_destroy(temporal_activity *activity) {
  run_activity *ra = (run_activity *)activity;
  temporal__activity_destroy(&ra->activity);
  free(ra->name);
  free(ra);
}

/* Sync kind only: complete and cancel_registered stay NULL (the public calls check the kind). */
static const temporal__activity_ops run_ops = {
    .heartbeat = run_heartbeat,
    .is_cancelled = run_is_cancelled,
    .wait_for_cancelled = run_wait_for_cancelled,
    .interrupts = run_interrupts,
    .is_worker_shutdown = run_is_worker_shutdown,
    .wait_for_worker_shutdown = run_wait_for_worker_shutdown,
    .wake_waiters = run_wake_waiters,
    .destroy = run_destroy,
};

static char *copy_string(const char *s, size_t len) {
  char *out = malloc(len + 1);
  if (!out) return NULL;
  if (len) memcpy(out, s, len);
  out[len] = '\0';
  return out;
}

int temporal_executor_run(uint8_t **result_out, size_t *len_out, temporal_shared_state_manager *manager,
                          const uint8_t *job, size_t len) {
  if (!result_out || !len_out) return temporal__error(TEMPORAL_EINVAL, "executor_run: NULL output");
  *result_out = NULL;
  *len_out = 0;
  if (!manager) return temporal__error(TEMPORAL_EINVAL, "executor_run: the shared state manager is NULL");
  temporal__job_header h;
  int rc = temporal__job_decode(&h, job, len);
  if (rc != 0) return rc;
  if (h.slot >= temporal__ssm_slot_count(manager))
    return temporal__error(TEMPORAL_EDECODE, "job names slot %u; the shared state manager has %u", h.slot,
                           temporal__ssm_slot_count(manager));
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task =
      temporal__api__workflowservice__v1__poll_activity_task_queue_response__unpack(NULL, h.task_len, h.task);
  if (!task) return temporal__error(TEMPORAL_EDECODE, "job: the activity task does not decode");

  char *ns = copy_string(h.namespace_, h.namespace_len);
  char *tq = copy_string(h.task_queue, h.task_queue_len);
  run_activity *ra = calloc(1, sizeof *ra);
  if (ra) ra->name = copy_string(h.name, h.name_len);
  if (!ns || !tq || !ra || !ra->name) {
    protobuf_c_message_free_unpacked(&task->base, NULL);
    free(ns);
    free(tq);
    if (ra) free(ra->name);
    free(ra);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }

  ra->ctx = (run_ctx){.manager = manager, .slot = h.slot, .generation = h.generation};
  temporal_activity *activity = &ra->activity;
  rc = temporal__activity_init(activity, &run_ops, task, ns, tq); /* takes the task, copies the strings */
  free(ns);
  free(tq);
  activity->owner = &ra->ctx;
  activity->defn.name = ra->name;
  activity->defn.kind = TEMPORAL_ACTIVITY_KIND_SYNC;
  activity->defn.sync_fn = (temporal_sync_activity_fn)h.sync_fn;
  activity->defn.async_fn = NULL;
  activity->defn.flags = h.flags;
  activity->defn.data = (void *)h.data;

  /* The dynamic activity takes the raw payloads, as in the worker (worker/dispatch.c). */
  if (rc == TEMPORAL_EDECODE && (h.flags & TEMPORAL_ACTIVITY_DYNAMIC))
    rc = temporal__args_new_raw(&activity->args, activity->task->input);
  temporal_result *result;
  if (rc == TEMPORAL_EDECODE)
    result = temporal__decode_failure(temporal_error_last());
  else if (rc != 0)
    result =
        temporal_result_errorf("ExecutorError", "could not prepare the activity: %s", temporal_strerror(rc));
  else
    result = temporal__activity_call_sync(activity);
  /* From here on a thread the activity left behind reaches nothing of this run; once its calls in
   * progress are over, the slot may go back to the worker with the result. */
  temporal__activity_mark_finished(activity);
  temporal__activity_wait_calls(activity);

  rc = temporal__result_serialize(result_out, len_out, result);
  if (rc != 0) {
    /* The activity's result cannot be carried (too big, out of memory): report that instead. */
    temporal_result_free(result);
    result = temporal_result_errorf("ExecutorError", "the activity's result could not be serialized: %s",
                                    temporal_error_last());
    rc = temporal__result_serialize(result_out, len_out, result);
  }
  temporal_result_free(result);
  temporal__activity_unref(activity);
  return rc;
}
