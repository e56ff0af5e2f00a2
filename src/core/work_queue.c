/* A FIFO served by a fixed set of threads (work_queue.h). */
#include <stdlib.h>

#include "core/core.h"
#include "core/work_queue.h"

static void *queue_thread(void *arg) {
  temporal__work_queue *wq = arg;
  pthread_mutex_lock(&wq->mu);
  for (;;) {
    while (temporal__queue_empty(&wq->items) && !wq->stop) pthread_cond_wait(&wq->cond, &wq->mu);
    temporal__queue *item = temporal__queue_pop(&wq->items);
    if (!item) break; /* stop, and the queue is drained */
    pthread_mutex_unlock(&wq->mu);
    wq->run(item, wq->data);
    pthread_mutex_lock(&wq->mu);
  }
  pthread_mutex_unlock(&wq->mu);
  return NULL;
}

int temporal__work_queue_start(temporal__work_queue *wq, unsigned int threads,
                               void (*run)(temporal__queue *item, void *data), void *data) {
  wq->run = run;
  wq->data = data;
  wq->stop = false;
  wq->thread_count = 0;
  temporal__queue_init(&wq->items);
  if (!(wq->threads = calloc(threads ? threads : 1, sizeof *wq->threads)))
    return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  pthread_mutex_init(&wq->mu, NULL);
  pthread_cond_init(&wq->cond, NULL);
  for (; wq->thread_count < threads; wq->thread_count++) {
    if (pthread_create(&wq->threads[wq->thread_count], NULL, queue_thread, wq) != 0) {
      unsigned int started = wq->thread_count;
      temporal__work_queue_stop(wq);
      return temporal__error(TEMPORAL_ESYSTEM, "could not start thread %u of %u", started + 1, threads);
    }
  }
  return 0;
}

int temporal__work_queue_push(temporal__work_queue *wq, temporal__queue *item) {
  pthread_mutex_lock(&wq->mu);
  if (wq->stop) {
    pthread_mutex_unlock(&wq->mu);
    return temporal__error(TEMPORAL_ESTATE, "the queue is stopping");
  }
  temporal__queue_insert_tail(&wq->items, item);
  pthread_cond_signal(&wq->cond);
  pthread_mutex_unlock(&wq->mu);
  return 0;
}

void temporal__work_queue_stop(temporal__work_queue *wq) {
  if (!wq->threads) return;
  pthread_mutex_lock(&wq->mu);
  wq->stop = true;
  pthread_cond_broadcast(&wq->cond);
  pthread_mutex_unlock(&wq->mu);
  for (unsigned int i = 0; i < wq->thread_count; i++) pthread_join(wq->threads[i], NULL);
  pthread_mutex_destroy(&wq->mu);
  pthread_cond_destroy(&wq->cond);
  free(wq->threads);
  wq->threads = NULL;
}
