/* Internal: the worker's execution slots and its list of tasks in flight.
 *
 * A poller reserves a slot before it polls (a task the server hands out must be run); the task holds
 * it from then until its outcome was reported. The list is what shutdown walks to tell every task. */
#ifndef TEMPORAL_WORKER_SLOTS_H
#define TEMPORAL_WORKER_SLOTS_H

#include "activity/task.h"

typedef struct temporal__slots {
  pthread_mutex_t mu;
  pthread_cond_t cond; /* a slot freed, the last task left, or closed */
  unsigned int free;
  size_t in_flight;      /* tasks added and not yet done */
  temporal__queue tasks; /* in flight, linked by their owner_link */
  bool closed;           /* no more reservations */
} temporal__slots;

void temporal__slots_init(temporal__slots *slots, unsigned int count);
void temporal__slots_destroy(temporal__slots *slots);

/* Waits for a free slot and takes it; false once the slots are closed. Poller threads. */
bool temporal__slots_reserve(temporal__slots *slots);
/* Gives back a reservation no task used (the poll came back empty or failed). */
void temporal__slots_release(temporal__slots *slots);
/* Ends reservations: waiting pollers return false. Any thread. */
void temporal__slots_close(temporal__slots *slots);

/* A polled task takes the reservation and joins the list; the list holds no reference (the owner's
 * first reference is dropped by temporal__slots_done). */
void temporal__slots_add(temporal__slots *slots, temporal__task *task);
/* The task was reported: it leaves the list, frees its slot and drops the owner's reference. */
void temporal__slots_done(temporal__slots *slots, temporal__task *task);

/* Calls fn on every task in flight, under the slots' lock (fn must not call back into the slots). */
void temporal__slots_each(temporal__slots *slots, void (*fn)(temporal__task *task, void *data), void *data);
/* Waits until no task is in flight or the monotonic deadline passes (0 = no limit); true when none
 * is. */
bool temporal__slots_wait_empty(temporal__slots *slots, int64_t deadline);

#endif
