/* Internal: a FIFO served by threads that are started as the work needs them, for the thread-pool
 * executor and the worker's reporter. Items are intrusive (core/queue.h): pushing never allocates.
 *
 * A queue starts `min_threads` threads and starts another, up to `max_threads`, whenever an item is
 * pushed while more items wait than threads are idle; so a pool sized for thousands costs a thread
 * only once that many items ran at once, and a slow item never holds up the others while the limit
 * allows one more thread. Threads stay until the queue stops. */
#ifndef TEMPORAL_CORE_WORK_QUEUE_H
#define TEMPORAL_CORE_WORK_QUEUE_H

#include <pthread.h>

#include "core/queue.h"

typedef struct temporal__work_queue {
  /* Runs one item on a queue thread, with no lock held. */
  void (*run)(temporal__queue *item, void *data);
  void *data;
  pthread_mutex_t mu;
  pthread_cond_t cond;                    /* an item arrived, or stop */
  temporal__queue items;                  /* under mu */
  size_t waiting;                         /* items queued, under mu */
  unsigned int idle;                      /* threads not running an item (started ones included), under mu */
  bool stop;                              /* under mu */
  unsigned int thread_count, max_threads; /* thread_count under mu */
  pthread_t *threads;
} temporal__work_queue;

/* Starts `min_threads` threads (at least 1) that run each pushed item, and allows up to
 * `max_threads` (at least min_threads). On error nothing is left running. */
int temporal__work_queue_start(temporal__work_queue *wq, unsigned int min_threads, unsigned int max_threads,
                               void (*run)(temporal__queue *item, void *data), void *data);
/* Queues an item; TEMPORAL_ESTATE once stopping (the item is not taken). Any thread but after stop. */
int temporal__work_queue_push(temporal__work_queue *wq, temporal__queue *item);
/* The threads started so far. Any thread. */
unsigned int temporal__work_queue_threads(temporal__work_queue *wq);
/* Runs what is queued to the end, then joins the threads and releases the queue. Not from a queue
 * thread. A second call does nothing. */
void temporal__work_queue_stop(temporal__work_queue *wq);

#endif
