/* A FIFO served by threads started as the work needs them (work_queue.h). */
#include <stdlib.h>

#include "core/core.h"
#include "core/work_queue.h"

static void *queue_thread(void *arg) {
  temporal__work_queue *wq = arg;
  pthread_mutex_lock(&wq->mu);
  for (;;) { /* counted in `idle` here, from its start */
    while (temporal__queue_empty(&wq->items) && !wq->stop) pthread_cond_wait(&wq->cond, &wq->mu);
    temporal__queue *item = temporal__queue_pop(&wq->items);
    if (!item) break; /* stop, and the queue is drained */
    wq->waiting--;
    wq->idle--;
    pthread_mutex_unlock(&wq->mu);
    wq->run(item, wq->data);
    pthread_mutex_lock(&wq->mu);
    wq->idle++;
  }
  pthread_mutex_unlock(&wq->mu);
  return NULL;
}

/* Starts one more thread; mu held. */
static int add_thread(temporal__work_queue *wq) {
  if (pthread_create(&wq->threads[wq->thread_count], NULL, queue_thread, wq) != 0)
    return temporal__error(TEMPORAL_ESYSTEM, "could not start thread %u of %u", wq->thread_count + 1,
                           wq->max_threads);
  wq->thread_count++;
  wq->idle++; /* free to take an item as soon as it runs */
  return 0;
}

int temporal__work_queue_start(temporal__work_queue *wq, unsigned int min_threads, unsigned int max_threads,
                               void (*run)(temporal__queue *item, void *data), void *data) {
  if (min_threads == 0) min_threads = 1;
  if (max_threads < min_threads) max_threads = min_threads;
  wq->run = run;
  wq->data = data;
  wq->stop = false;
  wq->waiting = 0;
  wq->idle = 0;
  wq->thread_count = 0;
  wq->max_threads = max_threads;
  temporal__queue_init(&wq->items);
  if (!(wq->threads = calloc(max_threads, sizeof *wq->threads)))
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  pthread_mutex_init(&wq->mu, NULL);
  pthread_cond_init(&wq->cond, NULL);
  pthread_mutex_lock(&wq->mu);
  int rc = 0;
  while (rc == 0 && wq->thread_count < min_threads) rc = add_thread(wq);
  pthread_mutex_unlock(&wq->mu);
  if (rc != 0) temporal__work_queue_stop(wq);
  return rc;
}

int temporal__work_queue_push(temporal__work_queue *wq, temporal__queue *item) {
  pthread_mutex_lock(&wq->mu);
  if (wq->stop) {
    pthread_mutex_unlock(&wq->mu);
    return temporal__error(TEMPORAL_ESTATE, "the queue is stopping");
  }
  temporal__queue_insert_tail(&wq->items, item);
  wq->waiting++;
  /* More items wait than threads are free to take them: one more thread, if the limit allows. A
   * thread that cannot start is not an error: the running ones take the item in turn. */
  if (wq->waiting > wq->idle && wq->thread_count < wq->max_threads && add_thread(wq) != 0)
    TLOG_WARN("%s; the queue goes on with %u", temporal_error_last(), wq->thread_count);
  pthread_cond_signal(&wq->cond);
  pthread_mutex_unlock(&wq->mu);
  return 0;
}

unsigned int temporal__work_queue_threads(temporal__work_queue *wq) {
  pthread_mutex_lock(&wq->mu);
  unsigned int n = wq->thread_count;
  pthread_mutex_unlock(&wq->mu);
  return n;
}

void temporal__work_queue_stop(temporal__work_queue *wq) {
  if (!wq->threads) return;
  pthread_mutex_lock(&wq->mu);
  wq->stop = true;
  unsigned int n = wq->thread_count; /* no thread starts once stop is set */
  pthread_cond_broadcast(&wq->cond);
  pthread_mutex_unlock(&wq->mu);
  for (unsigned int i = 0; i < n; i++) pthread_join(wq->threads[i], NULL);
  pthread_mutex_destroy(&wq->mu);
  pthread_cond_destroy(&wq->cond);
  free(wq->threads);
  wq->threads = NULL;
}
