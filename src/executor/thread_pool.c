/* The thread-pool executor: a fixed set of threads that run sync activities in process, taking
 * tasks from one FIFO queue. */
#include <stdlib.h>

#include "core/core.h"
#include "core/queue.h"
#include "executor/executor_internal.h"

#define DEFAULT_THREADS 32

typedef struct thread_pool {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  temporal__queue tasks; /* waiting for a thread, linked by their `queue` */
  bool stop;
  unsigned int thread_count;
  pthread_t *threads;
} thread_pool;

static void *pool_thread(void *arg) {
  thread_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (temporal__queue_empty(&p->tasks) && !p->stop) pthread_cond_wait(&p->cond, &p->mu);
    temporal__queue *node = temporal__queue_pop(&p->tasks);
    if (!node) break; /* stop, and the queue is drained */
    pthread_mutex_unlock(&p->mu);
    temporal__task_run_sync(TEMPORAL__QUEUE_DATA(node, temporal__task, queue));
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

static int pool_submit(temporal_executor *ex, temporal__task *task) {
  thread_pool *p = ex->impl;
  pthread_mutex_lock(&p->mu);
  if (p->stop) {
    pthread_mutex_unlock(&p->mu);
    return temporal__error(TEMPORAL_ESTATE, "the thread pool is shut down");
  }
  temporal__queue_insert_tail(&p->tasks, &task->queue);
  pthread_cond_signal(&p->cond);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

/* Runs what is queued to the end (the worker waited for its tasks already), then joins. */
static void pool_destroy(temporal_executor *ex) {
  thread_pool *p = ex->impl;
  if (!p) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->cond);
  pthread_mutex_unlock(&p->mu);
  for (unsigned int i = 0; i < p->thread_count; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cond);
  free(p->threads);
  free(p);
  ex->impl = NULL;
}

unsigned int temporal__thread_pool_size(const temporal_executor *ex) {
  return ex->kind == TEMPORAL__EXECUTOR_THREAD_POOL && ex->impl ? ((thread_pool *)ex->impl)->thread_count : 0;
}

int temporal_thread_pool_executor_new(temporal_executor **out, const temporal_thread_pool_options *opts) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "out is NULL");
  *out = NULL;
  if (opts && opts->version != TEMPORAL_THREAD_POOL_OPTIONS_VERSION)
    return temporal__error(TEMPORAL_EINVAL, "unsupported temporal_thread_pool_options version %u", opts->version);
  unsigned int n = opts && opts->threads ? opts->threads : DEFAULT_THREADS;
  temporal_executor *ex = calloc(1, sizeof *ex);
  thread_pool *p = calloc(1, sizeof *p);
  if (!ex || !p || !(p->threads = calloc(n, sizeof *p->threads))) {
    free(ex);
    if (p) free(p->threads);
    free(p);
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cond, NULL);
  temporal__queue_init(&p->tasks);
  ex->kind = TEMPORAL__EXECUTOR_THREAD_POOL;
  ex->submit_task = pool_submit;
  ex->destroy = pool_destroy;
  ex->impl = p;
  for (; p->thread_count < n; p->thread_count++) {
    if (pthread_create(&p->threads[p->thread_count], NULL, pool_thread, p) != 0) {
      temporal_executor_free(ex);
      return temporal__error(TEMPORAL_ESYSTEM, "could not start thread %u of the pool", p->thread_count);
    }
  }
  *out = ex;
  return 0;
}
