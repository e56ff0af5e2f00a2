/* Internal: local timeouts. The worker interrupts an activity itself (reason timed_out, not reported)
 * when the server must already have timed it out: start_to_close + 5 s after it started, or
 * heartbeat_timeout + 5 s after the last heartbeat it recorded (or its start). */
#ifndef TEMPORAL_WORKER_TIMEOUTS_H
#define TEMPORAL_WORKER_TIMEOUTS_H

#include "activity/task.h"
#include "core/deadline_heap.h"

typedef struct temporal__timeouts temporal__timeouts;

/* A task's deadlines, in memory the owner provides (it lives as long as the task is watched). */
typedef struct temporal__timeout_entry {
  temporal__task *task;
  int64_t start_to_close_deadline; /* monotonic ns, 0 = none; fixed at add */
  atomic_llong last_heartbeat;     /* monotonic ns: the start, then each recorded heartbeat */
  temporal__heap_node node;        /* the watcher's heap (due: the deadline it was put there with) */
} temporal__timeout_entry;

int temporal__timeouts_new(temporal__timeouts **out);
/* Stops the watcher thread; every entry must have been removed. */
void temporal__timeouts_free(temporal__timeouts *timeouts);

/* Starts watching `task` (which must outlive the entry's removal): computes its deadlines from its
 * info and wakes the watcher. Any thread. */
void temporal__timeouts_add(temporal__timeouts *timeouts, temporal__timeout_entry *entry,
                            temporal__task *task);
/* The task recorded a heartbeat: its heartbeat deadline moves. Any thread, lock-free. */
void temporal__timeouts_heartbeat(temporal__timeout_entry *entry);
/* Stops watching; after it returns the watcher no longer touches the entry. Any thread. */
void temporal__timeouts_remove(temporal__timeouts *timeouts, temporal__timeout_entry *entry);

#endif
