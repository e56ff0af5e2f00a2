/* The job object of the "other" executor kind: bytes for the executor to carry, the one callback
 * that hears how it ended (finish or abandon), and the interrupts it received on the way. What a
 * job means (an activity task, task_job.c; or anything a test wants run) is its creator's business. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "executor/job.h"
#include "executor/shared_state.h"

struct temporal_executor_job {
  uint8_t *bytes;
  size_t len;
  /* Who hears the outcome: exactly once, from finish or abandon. */
  temporal__job_done_fn done;
  void *done_data;

  /* Who may still reach the job (see the ownership note below). */
  atomic_int refs;
  atomic_uint interrupts;
  pthread_mutex_t watch_lock;
  void (*notify)(void *data);
  void *notify_data;
};

/* ---- the job object -------------------------------------------------------------------------------
 *
 * Ownership: a job is reference-counted. The executor holds one reference from submit until it
 * finishes or abandons the job; the slot's interrupt listener holds another from the moment it is
 * set until the shared state manager clears it (slot release), which it does under the lock its
 * interrupt hook holds. An interrupt that races the job's finish therefore always runs on a live
 * job, and the job (its watch lock included) is freed by whichever of the two lets go last. */

static temporal_executor_job *job_alloc(void) {
  temporal_executor_job *job = calloc(1, sizeof *job);
  if (!job) return NULL;
  atomic_init(&job->refs, 1);
  atomic_init(&job->interrupts, 0);
  pthread_mutex_init(&job->watch_lock, NULL);
  return job;
}

void temporal__job_unref(temporal_executor_job *job) {
  if (atomic_fetch_sub(&job->refs, 1) != 1) return;
  pthread_mutex_destroy(&job->watch_lock);
  free(job->bytes);
  free(job);
}

int temporal__job_new(temporal_executor_job **out, const uint8_t *bytes, size_t len,
                      temporal__job_done_fn done, void *data) {
  *out = NULL;
  if (!done || (!bytes && len)) return temporal__error(TEMPORAL_EINVAL, "job_new: invalid argument");
  uint8_t *copy = malloc(len ? len : 1);
  if (!copy) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  if (len) memcpy(copy, bytes, len);
  return temporal__job_adopt(out, copy, len, done, data);
}

int temporal__job_adopt(temporal_executor_job **out, uint8_t *bytes, size_t len, temporal__job_done_fn done,
                        void *data) {
  *out = NULL;
  if (!done || !bytes) {
    free(bytes);
    return temporal__error(TEMPORAL_EINVAL, "job_adopt: invalid argument");
  }
  temporal_executor_job *job = job_alloc();
  if (!job) {
    free(bytes);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  job->bytes = bytes;
  job->len = len;
  job->done = done;
  job->done_data = data;
  *out = job;
  return 0;
}

unsigned int temporal__job_interrupts(const temporal_executor_job *job) {
  return atomic_load(&((temporal_executor_job *)job)->interrupts);
}

void temporal__job_interrupt(temporal_executor_job *job, unsigned int reasons) {
  if (!job || reasons == 0) return;
  atomic_fetch_or(&job->interrupts, reasons);
  pthread_mutex_lock(&job->watch_lock);
  if (job->notify) job->notify(job->notify_data);
  pthread_mutex_unlock(&job->watch_lock);
}

void temporal__job_watch(temporal_executor_job *job, void (*notify)(void *data), void *data) {
  pthread_mutex_lock(&job->watch_lock);
  job->notify = notify;
  job->notify_data = data;
  bool already = atomic_load(&job->interrupts) != 0;
  if (already && notify) notify(data);
  pthread_mutex_unlock(&job->watch_lock);
}

/* The slot's listener: the task was interrupted. The listener's own reference keeps the job alive. */
static void on_slot_interrupt(void *data, unsigned int reasons) {
  temporal__job_interrupt(data, reasons);
}

static void on_slot_listener_dropped(void *data) {
  temporal__job_unref(data);
}

void temporal__job_listen(temporal_executor_job *job, temporal_shared_state_manager *manager, uint32_t slot) {
  atomic_fetch_add(&job->refs, 1);
  temporal__ssm_slot_set_listener(manager, slot, on_slot_interrupt, on_slot_listener_dropped, job);
}

const uint8_t *temporal_executor_job_bytes(const temporal_executor_job *job, size_t *len_out) {
  if (!job) {
    if (len_out) *len_out = 0;
    return NULL;
  }
  if (len_out) *len_out = job->len;
  return job->bytes;
}

void temporal_executor_job_finish(temporal_executor_job *job, const uint8_t *result, size_t len) {
  if (!job) return;
  job->done(job->done_data, result, len, NULL);
  temporal__job_unref(job);
}

void temporal_executor_job_abandon(temporal_executor_job *job, const char *reason) {
  if (!job) return;
  job->done(job->done_data, NULL, 0, reason && reason[0] ? reason : "the executor abandoned the activity");
  temporal__job_unref(job);
}
