/* Internal: a FIFO served by a fixed set of threads, for the thread-pool executor and the worker's
 * reporter. Items are intrusive (core/queue.h): pushing never allocates. */
#ifndef TEMPORAL_CORE_WORK_QUEUE_H
#define TEMPORAL_CORE_WORK_QUEUE_H

#include <pthread.h>

#include "core/queue.h"

typedef struct temporal__work_queue {
  /* Runs one item on a queue thread, with no lock held. */
  void (*run)(temporal__queue *item, void *data);
  void *data;
  pthread_mutex_t mu;
  pthread_cond_t cond;   /* an item arrived, or stop */
  temporal__queue items; /* under mu */
  bool stop;             /* under mu */
  unsigned int thread_count;
  pthread_t *threads;
} temporal__work_queue;

/* Starts `threads` threads that run each pushed item. On error nothing is left running. */
int temporal__work_queue_start(temporal__work_queue *wq, unsigned int threads,
                               void (*run)(temporal__queue *item, void *data), void *data);
/* Queues an item; TEMPORAL_ESTATE once stopping (the item is not taken). Any thread. */
int temporal__work_queue_push(temporal__work_queue *wq, temporal__queue *item);
/* Runs what is queued to the end, then joins the threads and releases the queue. Not from a queue
 * thread. */
void temporal__work_queue_stop(temporal__work_queue *wq);

#endif
