/* The built-in process pool: an executor of the "other" kind whose jobs run in children forked by
 * the zygote (zygote.c), driven by a dispatcher thread (pool_dispatch.c). It is written against
 * the same temporal_executor_vtable a user executor implements: submit queues the job, shutdown
 * stops everything. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/core.h"
#include "core/options.h"
#include "executor/job.h"
#include "executor/pool_internal.h"
#include "executor/shared_state.h"

#define DEFAULT_KILL_GRACE (10 * TEMPORAL_SECOND)
#define MAX_PROCESSES 4096u
#define SHUTDOWN_REASON "worker shutting down: the process pool stopped before the activity finished"

static void wake_cb(void *data) {
  temporal__pool_wake(data);
}

/* ---- the vtable -----------------------------------------------------------------------------------------
 */

static int pool_submit(void *self, temporal_executor_job *job) {
  temporal__pool *p = self;
  temporal__pool_queued *q = malloc(sizeof *q);
  if (!q) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  q->job = job;
  /* Before the job is visible to the dispatcher, which may finish (and free) it at once. */
  temporal__job_watch(job, wake_cb, p);
  pthread_mutex_lock(&p->lock);
  int rc = 0;
  if (p->stopping)
    rc = temporal__error(TEMPORAL_ESTATE, "the process pool is shut down");
  else if (p->broken)
    rc = temporal__error(TEMPORAL_ESTATE, "the process pool's zygote died; it cannot run activities");
  if (rc == 0) temporal__queue_insert_tail(&p->queue, &q->node);
  pthread_mutex_unlock(&p->lock);
  if (rc != 0) {
    temporal__job_watch(job, NULL, NULL);
    free(q);
    return rc;
  }
  temporal__pool_wake(p);
  return 0;
}

static void pool_shutdown(void *self) {
  temporal__pool *p = self;
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->stopping = true;
  pthread_mutex_unlock(&p->lock);
  if (p->thread_started) {
    temporal__pool_wake(p);
    pthread_join(p->thread, NULL);
  }
  /* Kill before abandoning: once a job is abandoned its slot may be reused, and no child that ran
   * it may still be writing there. */
  temporal__zygote_stop(p->zygote);
  for (size_t i = 0; i < p->child_count; i++) {
    temporal_executor_job *job = temporal__pool_child_release(&p->children[i]);
    if (job) temporal_executor_job_abandon(job, SHUTDOWN_REASON);
  }
  for (temporal__pool_queued *q; (q = temporal__pool_queued_pop(&p->queue));) {
    temporal_executor_job_abandon(q->job, SHUTDOWN_REASON);
    free(q);
  }
  if (p->wake_fd >= 0) close(p->wake_fd);
  pthread_mutex_destroy(&p->lock);
  free(p->children);
  free(p->live);
  free(p->pfds);
  free(p->ctx);
  free(p);
}

static const temporal_executor_vtable pool_vtable = {
    .version = TEMPORAL_EXECUTOR_VTABLE_VERSION,
    .submit = pool_submit,
    .shutdown = pool_shutdown,
};

/* ---- creation ---------------------------------------------------------------------------------------------
 */

int temporal__process_pool_new(temporal_executor **out, temporal_shared_state_manager *manager,
                               const temporal_process_pool_options *opts, temporal__pool_run_fn run) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "process_pool_executor_new: out is NULL");
  *out = NULL;
  if (!manager)
    return temporal__error(TEMPORAL_EINVAL, "process_pool_executor_new: a shared_state_manager is required");
  temporal_process_pool_options o;
  if (TEMPORAL__OPTIONS_READ(&o, opts) < 0) return TEMPORAL_EINVAL;
  if (o.kill_grace < 0)
    return temporal__error(TEMPORAL_EINVAL, "process pool options: kill_grace is negative");
  unsigned int processes = o.processes;
  if (processes == 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    processes = cpus > 0 ? (unsigned int)cpus : 1;
  }
  if (processes > MAX_PROCESSES)
    return temporal__error(TEMPORAL_EINVAL, "process pool options: %u processes exceeds %u", processes,
                           MAX_PROCESSES);

  temporal__pool *p = calloc(1, sizeof *p);
  temporal__pool_child_ctx *ctx = malloc(sizeof *ctx);
  if (!p || !ctx) {
    free(p);
    free(ctx);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  temporal__queue_init(&p->queue);
  ctx->manager = manager;
  ctx->run = run ? run : temporal_executor_run;
  p->ctx = ctx;
  p->processes = processes;
  p->kill_grace = o.kill_grace > 0 ? o.kill_grace : DEFAULT_KILL_GRACE;
  p->wake_fd = -1;
  pthread_mutex_init(&p->lock, NULL);

  /* The fork comes first, before this pool has a thread or any fd the children should not have. */
  /* The children reach the manager's shared memory (mapped, inherited) and its event fd. */
  int keep = temporal__ssm_event_fd(manager);
  int rc = temporal__zygote_start(&p->zygote, temporal__pool_child_main, ctx, &keep, 1);
  if (rc != 0) {
    pool_shutdown(p);
    return rc;
  }
  p->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (p->wake_fd < 0) {
    rc = temporal__error(TEMPORAL_ESYSTEM, "process pool: eventfd failed: %s", strerror(errno));
    pool_shutdown(p);
    return rc;
  }
  int err = pthread_create(&p->thread, NULL, temporal__pool_dispatcher_main, p);
  if (err != 0) {
    rc = temporal__error(TEMPORAL_ESYSTEM, "process pool: cannot start its thread: %s", strerror(err));
    pool_shutdown(p);
    return rc;
  }
  p->thread_started = true;
  if ((rc = temporal_executor_new_custom(out, &pool_vtable, p)) != 0) {
    pool_shutdown(p);
    return rc;
  }
  return 0;
}

int temporal_process_pool_executor_new(temporal_executor **out, temporal_shared_state_manager *manager,
                                       const temporal_process_pool_options *opts) {
  return temporal__process_pool_new(out, manager, opts, NULL);
}
