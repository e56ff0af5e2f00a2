/* Jobs: the worker side of the "other" executor kind. A task becomes a job (a slot of the shared
 * state manager plus the task serialized to bytes), the executor carries the bytes wherever it
 * runs activities, and finish/abandon turn what comes back into the task's outcome.
 *
 * Job bytes (version 1), integers little-endian, nothing after the last field:
 *   "TCJ" 0x01  slot:u32 generation:u32 sync_fn:u64 data:u64 flags:u32
 *   name_len:u32 name  namespace_len:u32 namespace  task_queue_len:u32 task_queue
 *   task_len:u64 task   (a packed PollActivityTaskQueueResponse)
 * The function and data pointers are plain addresses: the running side is this program or a fork
 * of it, where they hold. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "executor/process_internal.h"

#define JOB_MAGIC "TCJ\x01"
#define JOB_MAGIC_LEN 4

struct temporal_executor_job {
  uint8_t *bytes;
  size_t len;
  /* A task's job: the task and its slot. */
  temporal__task *task;
  temporal_shared_state_manager *manager;
  uint32_t slot;
  /* A raw job: who hears the outcome. */
  temporal__job_done_fn done;
  void *done_data;

  /* Who may still reach the job (see the ownership note below). */
  atomic_int refs;
  atomic_uint interrupts;
  pthread_mutex_t watch_lock;
  void (*notify)(void *data);
  void *notify_data;
};

/* ---- bytes ---------------------------------------------------------------------------------------- */

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) *p++ = (uint8_t)(v >> (8 * i));
  return p;
}

static uint8_t *put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) *p++ = (uint8_t)(v >> (8 * i));
  return p;
}

static uint8_t *put_blob32(uint8_t *p, const void *data, size_t len) {
  p = put_u32(p, (uint32_t)len);
  if (len) memcpy(p, data, len);
  return p + len;
}

int temporal__job_encode(uint8_t **out, size_t *len_out, const temporal__job_header *h) {
  *out = NULL;
  *len_out = 0;
  if (h->name_len > UINT32_MAX || h->namespace_len > UINT32_MAX || h->task_queue_len > UINT32_MAX)
    return temporal__error(TEMPORAL_ETOOBIG, "job: a name is too long");
  size_t fixed = JOB_MAGIC_LEN + 4 + 4 + 8 + 8 + 4 + 4 + 4 + 4 + 8;
  size_t strings = h->name_len + h->namespace_len + h->task_queue_len;
  if (h->task_len > SIZE_MAX - fixed - strings)
    return temporal__error(TEMPORAL_ETOOBIG, "job: task too large");
  size_t len = fixed + strings + h->task_len;
  uint8_t *buf = malloc(len);
  if (!buf) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  uint8_t *p = buf;
  memcpy(p, JOB_MAGIC, JOB_MAGIC_LEN);
  p += JOB_MAGIC_LEN;
  p = put_u32(p, h->slot);
  p = put_u32(p, h->generation);
  p = put_u64(p, (uint64_t)h->sync_fn);
  p = put_u64(p, (uint64_t)h->data);
  p = put_u32(p, h->flags);
  p = put_blob32(p, h->name, h->name_len);
  p = put_blob32(p, h->namespace_, h->namespace_len);
  p = put_blob32(p, h->task_queue, h->task_queue_len);
  p = put_u64(p, (uint64_t)h->task_len);
  if (h->task_len) memcpy(p, h->task, h->task_len);
  *out = buf;
  *len_out = len;
  return 0;
}

typedef struct reader {
  const uint8_t *p;
  size_t left;
  bool bad;
} reader;

static uint64_t get_uint(reader *r, size_t width) {
  if (r->bad || r->left < width) {
    r->bad = true;
    return 0;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < width; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += width;
  r->left -= width;
  return v;
}

static const uint8_t *get_bytes(reader *r, uint64_t len) {
  if (r->bad || len > r->left) {
    r->bad = true;
    return NULL;
  }
  const uint8_t *at = r->p;
  r->p += len;
  r->left -= (size_t)len;
  return at;
}

/* A string field: must not hold a NUL, so a NUL-terminated copy says the same thing. */
static const char *get_string(reader *r, size_t *len_out) {
  uint64_t len = get_uint(r, 4);
  const uint8_t *s = get_bytes(r, len);
  if (s && len && memchr(s, 0, (size_t)len)) r->bad = true;
  *len_out = (size_t)len;
  return r->bad ? NULL : (const char *)s;
}

int temporal__job_decode(temporal__job_header *out, const uint8_t *bytes, size_t len) {
  memset(out, 0, sizeof *out);
  if (!bytes || len < JOB_MAGIC_LEN || memcmp(bytes, JOB_MAGIC, JOB_MAGIC_LEN) != 0)
    return temporal__error(TEMPORAL_EDECODE, "not a temporal-c job (bad magic or version)");
  reader r = {.p = bytes + JOB_MAGIC_LEN, .left = len - JOB_MAGIC_LEN};
  out->slot = (uint32_t)get_uint(&r, 4);
  out->generation = (uint32_t)get_uint(&r, 4);
  uint64_t fn = get_uint(&r, 8), data = get_uint(&r, 8);
  out->flags = (uint32_t)get_uint(&r, 4);
  out->name = get_string(&r, &out->name_len);
  out->namespace_ = get_string(&r, &out->namespace_len);
  out->task_queue = get_string(&r, &out->task_queue_len);
  uint64_t task_len = get_uint(&r, 8);
  out->task = get_bytes(&r, task_len);
  out->task_len = (size_t)task_len;
  if (r.bad) return temporal__error(TEMPORAL_EDECODE, "job bytes are truncated or malformed");
  if (r.left != 0)
    return temporal__error(TEMPORAL_EDECODE, "job bytes have %zu bytes of trailing garbage", r.left);
  if (fn == 0 || fn > UINTPTR_MAX || data > UINTPTR_MAX)
    return temporal__error(TEMPORAL_EDECODE, "job names no activity function");
  out->sync_fn = (uintptr_t)fn;
  out->data = (uintptr_t)data;
  return 0;
}

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

static void job_unref(temporal_executor_job *job) {
  if (atomic_fetch_sub(&job->refs, 1) != 1) return;
  pthread_mutex_destroy(&job->watch_lock);
  free(job->bytes);
  free(job);
}

int temporal__job_new_raw(temporal_executor_job **out, const uint8_t *bytes, size_t len,
                          temporal__job_done_fn done, void *data) {
  *out = NULL;
  if (!done || (!bytes && len)) return temporal__error(TEMPORAL_EINVAL, "job_new_raw: invalid argument");
  temporal_executor_job *job = job_alloc();
  if (!job) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  job->bytes = malloc(len ? len : 1);
  if (!job->bytes) {
    job_unref(job);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  if (len) memcpy(job->bytes, bytes, len);
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
  job_unref(data);
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

/* Hands the outcome to the task: heartbeats first (release flushes them), then the result. */
static void job_complete(temporal_executor_job *job, temporal_result *result) {
  temporal__ssm_slot_release(job->manager, job->slot);
  temporal__task_finish(job->task, result);
  job_unref(job);
}

void temporal_executor_job_finish(temporal_executor_job *job, const uint8_t *result, size_t len) {
  if (!job) return;
  if (job->done) {
    job->done(job->done_data, result, len, NULL);
    job_unref(job);
    return;
  }
  temporal_result *r = NULL;
  if (!result && len)
    r = temporal_result_errorf("ExecutorError", "the executor finished the activity with no result bytes");
  else if (temporal__result_deserialize(&r, result, len) != 0)
    r = temporal_result_errorf("ExecutorError", "the executor returned a result that does not decode: %s",
                               temporal_error_last());
  job_complete(job, r);
}

void temporal_executor_job_abandon(temporal_executor_job *job, const char *reason) {
  if (!job) return;
  if (!reason || !reason[0]) reason = "the executor abandoned the activity";
  if (job->done) {
    job->done(job->done_data, NULL, 0, reason);
    job_unref(job);
    return;
  }
  /* An activity that was asked to stop and then lost (killed after kill_grace, or gone with the pool)
   * ends as cancelled, so the report follows the final-result order: WorkerShutdown at shutdown,
   * Canceled after a cancel request, nothing after a local timeout. */
  if (temporal__task_interrupts(job->task) != 0) {
    TLOG_WARN("activity %s: %s", temporal__task_activity(job->task)->info.activity_id, reason);
    job_complete(job, temporal_result_cancelled());
    return;
  }
  job_complete(job, temporal_result_errorf("ExecutorError", "%s", reason));
}

/* ---- submitting a task ------------------------------------------------------------------------------- */

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

  temporal_executor_job *job = job_alloc();
  if (!job) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  uint32_t slot;
  int rc = temporal__ssm_slot_acquire(manager, task, &slot);
  if (rc != 0) {
    job_unref(job);
    return rc;
  }
  job->task = task;
  job->manager = manager;
  job->slot = slot;
  if ((rc = encode_task(&job->bytes, &job->len, manager, slot, a)) != 0) {
    temporal__ssm_slot_release(manager, slot);
    job_unref(job);
    return rc;
  }
  /* The hook's data is the manager's record of the slot, not the job: it outlives the job, and
   * the hook checks that the slot still belongs to this task, so a late interrupt is harmless.
   * Set before the listener, whose locking publishes it to the monitor thread. */
  temporal__task_set_interrupt_hook(task, temporal__ssm_interrupt_hook,
                                    temporal__ssm_hook_data(manager, slot));
  temporal__job_listen(job, manager, slot);
  /* The hook runs only on the first interrupt; one that came before it was set is carried now. */
  unsigned int early = temporal__task_interrupts(task);
  if (early) temporal__ssm_interrupt_hook(task, early, temporal__ssm_hook_data(manager, slot));

  rc = executor->vtable->submit(executor->self, job);
  if (rc != 0) {
    /* Not taken: undo. Release clears the listener, after which the hook does nothing. */
    temporal__ssm_slot_release(manager, slot);
    job_unref(job);
    return rc < 0 ? rc : temporal__error(TEMPORAL_ESTATE, "the executor refused the activity");
  }
  return 0;
}

/* ---- custom executors -------------------------------------------------------------------------------- */

static void custom_destroy(temporal_executor *executor) {
  if (executor->vtable && executor->vtable->shutdown) executor->vtable->shutdown(executor->self);
}

int temporal_executor_new_custom(temporal_executor **out, const temporal_executor_vtable *vtable,
                                 void *self) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "executor_new_custom: out is NULL");
  *out = NULL;
  if (!vtable || !vtable->submit)
    return temporal__error(TEMPORAL_EINVAL, "executor_new_custom: the vtable needs a submit function");
  if (vtable->version == 0 || vtable->version > TEMPORAL_EXECUTOR_VTABLE_VERSION)
    return temporal__error(TEMPORAL_EINVAL, "executor_new_custom: unknown vtable version %u",
                           vtable->version);
  temporal_executor *ex = calloc(1, sizeof *ex);
  if (!ex) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  ex->kind = TEMPORAL__EXECUTOR_OTHER;
  atomic_init(&ex->in_use, false);
  ex->vtable = vtable;
  ex->self = self;
  ex->destroy = custom_destroy;
  *out = ex;
  return 0;
}
