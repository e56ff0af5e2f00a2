/* The thread-pool executor: up to `threads` threads that run sync activities in process, taking
 * tasks from one FIFO queue (core/work_queue.h, through each task's `queue` link). Threads start as
 * activities need them: a pool sized for thousands costs one thread while it is idle. */
#include <stdlib.h>

#include "core/core.h"
#include "core/options.h"
#include "core/work_queue.h"
#include "executor/executor_internal.h"

#define DEFAULT_THREADS 32

static void run_task(temporal__queue *item, void *data) {
  (void)data;
  temporal__task_run_sync(TEMPORAL__QUEUE_DATA(item, temporal__task, queue));
}

static int pool_submit(temporal_executor *ex, temporal__task *task) {
  temporal__work_queue *wq = ex->impl;
  if (temporal__work_queue_push(wq, &task->queue) != 0)
    return temporal__error(TEMPORAL_ESTATE, "the thread pool is shut down");
  return 0;
}

/* Runs what is queued to the end (the worker waited for its tasks already), then joins. */
static void pool_destroy(temporal_executor *ex) {
  temporal__work_queue *wq = ex->impl;
  if (!wq) return;
  temporal__work_queue_stop(wq);
  free(wq);
  ex->impl = NULL;
}

unsigned int temporal__thread_pool_size(const temporal_executor *ex) {
  return ex->kind == TEMPORAL__EXECUTOR_THREAD_POOL && ex->impl
             ? ((temporal__work_queue *)ex->impl)->max_threads
             : 0;
}

int temporal_thread_pool_executor_new(temporal_executor **out, const temporal_thread_pool_options *opts) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "out is NULL");
  *out = NULL;
  temporal_thread_pool_options o;
  if (TEMPORAL__OPTIONS_READ(&o, opts) < 0) return TEMPORAL_EINVAL;
  unsigned int n = o.threads ? o.threads : DEFAULT_THREADS;
  temporal_executor *ex = calloc(1, sizeof *ex);
  temporal__work_queue *wq = calloc(1, sizeof *wq);
  if (!ex || !wq) {
    free(ex);
    free(wq);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  int rc = temporal__work_queue_start(wq, 1, n, run_task, NULL);
  if (rc != 0) {
    free(ex);
    free(wq);
    return rc;
  }
  ex->kind = TEMPORAL__EXECUTOR_THREAD_POOL;
  ex->submit_task = pool_submit;
  ex->destroy = pool_destroy;
  ex->impl = wq;
  *out = ex;
  return 0;
}
