/* An activity task as a job of the "other" executor kind: the task takes a slot of the shared state
 * manager (heartbeats and cancellation cross the process boundary through it), is serialized to
 * job bytes, and the job's end becomes the task's outcome. The runner side of the task port
 * (activity/task.h) is the slot's interrupt hook. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "executor/executor_internal.h"
#include "executor/job.h"
#include "executor/shared_state.h"

/* What the job's done callback needs. */
typedef struct task_job {
  temporal__task *task;
  temporal_shared_state_manager *manager;
  uint32_t slot;
} task_job;

static int encode_task(uint8_t **out, size_t *len_out, temporal_shared_state_manager *manager, uint32_t slot,
                       const temporal_activity *a) {
  const ProtobufCMessage *msg = &a->task->base;
  size_t packed_len = protobuf_c_message_get_packed_size(msg);
  uint8_t *packed = malloc(packed_len ? packed_len : 1);
  if (!packed) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  protobuf_c_message_pack(msg, packed);
  const char *name = a->defn.name ? a->defn.name : "";
  temporal__job_header h = {
      .slot = slot,
      .generation = temporal__ssm_slot_generation(manager, slot),
      .sync_fn = (uintptr_t)a->defn.sync_fn,
      .data = (uintptr_t)a->defn.data,
      .flags = a->defn.flags,
      .name = name,
      .name_len = strlen(name),
      .namespace_ = a->namespace_ ? a->namespace_ : "",
      .task_queue = a->task_queue ? a->task_queue : "",
      .task = packed,
      .task_len = packed_len,
  };
  h.namespace_len = strlen(h.namespace_);
  h.task_queue_len = strlen(h.task_queue);
  int rc = temporal__job_encode(out, len_out, &h);
  free(packed);
  return rc;
}

/* The job ended: heartbeats first (release delivers the slot's last details to the task), then the
 * outcome. */
static void on_job_done(void *data, const uint8_t *result, size_t len, const char *reason) {
  task_job *tj = data;
  temporal__task *task = tj->task;
  temporal__ssm_slot_release(tj->manager, tj->slot);
  free(tj);
  temporal_result *r = NULL;
  if (reason && temporal__task_interrupts(task) != 0) {
    /* An activity that was asked to stop and then lost (killed after kill_grace, or gone with the
     * pool) ends as cancelled, so the report follows the final-result order: WorkerShutdown at
     * shutdown, Canceled after a cancel request, nothing after a local timeout. */
    TLOG_WARN("activity %s: %s", temporal__task_activity(task)->info.activity_id, reason);
    r = temporal_result_cancelled();
  } else if (reason) {
    r = temporal_result_errorf("ExecutorError", "%s", reason);
  } else if (!result && len) {
    r = temporal_result_errorf("ExecutorError", "the executor finished the activity with no result bytes");
  } else if (temporal__result_deserialize(&r, result, len) != 0) {
    r = temporal_result_errorf("ExecutorError", "the executor returned a result that does not decode: %s",
                               temporal_error_last());
  }
  temporal__task_finish(task, r);
}

/* The runner side of the port: an interrupt goes to the slot, where the running side reads it. */
static const temporal__task_runner slot_runner = {.interrupted = temporal__ssm_interrupt_hook};

/* Creates the job of `task` holding `slot`; its done callback owns `tj` from here on. */
static int new_task_job(temporal_executor_job **out, task_job *tj, const temporal_activity *a) {
  uint8_t *bytes = NULL;
  size_t len = 0;
  int rc = encode_task(&bytes, &len, tj->manager, tj->slot, a);
  return rc == 0 ? temporal__job_adopt(out, bytes, len, on_job_done, tj) : rc;
}

int temporal__job_submit(temporal_executor *executor, temporal_shared_state_manager *manager,
                         temporal__task *task) {
  if (!executor || executor->kind != TEMPORAL__EXECUTOR_OTHER || !executor->vtable)
    return temporal__error(TEMPORAL_EINVAL, "job_submit: not a job executor");
  if (!manager)
    return temporal__error(TEMPORAL_EINVAL,
                           "an activity_executor that is not a thread pool needs a shared_state_manager");
  temporal_activity *a = temporal__task_activity(task);
  if (!a->defn.sync_fn || !a->task)
    return temporal__error(TEMPORAL_EINVAL, "job_submit: the task has no sync activity function");

  task_job *tj = calloc(1, sizeof *tj);
  if (!tj) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  tj->task = task;
  tj->manager = manager;
  int rc = temporal__ssm_slot_acquire(manager, task, &tj->slot);
  if (rc != 0) {
    free(tj);
    return rc;
  }
  uint32_t slot = tj->slot;
  temporal_executor_job *job = NULL;
  if ((rc = new_task_job(&job, tj, a)) != 0) {
    temporal__ssm_slot_release(manager, slot);
    free(tj);
    return rc;
  }
  /* The hook's data is the manager's record of the slot, not the job: it outlives the job, and
   * the hook checks that the slot still belongs to this task, so a late interrupt is harmless.
   * Set before the listener, whose locking publishes it to the monitor thread. */
  temporal__task_set_runner(task, &slot_runner, temporal__ssm_hook_data(manager, slot));
  temporal__job_listen(job, manager, slot);
  /* The hook runs only on a new reason; one that came before it was set is carried now. */
  unsigned int early = temporal__task_interrupts(task);
  if (early) temporal__ssm_interrupt_hook(task, early, temporal__ssm_hook_data(manager, slot));

  rc = executor->vtable->submit(executor->self, job);
  if (rc != 0) {
    /* Not taken: undo without an outcome. Release clears the listener, after which the hook does
     * nothing. */
    temporal__ssm_slot_release(manager, slot);
    free(tj);
    temporal__job_unref(job);
    return rc < 0 ? rc : temporal__error(TEMPORAL_ESTATE, "the executor refused the activity");
  }
  return 0;
}
