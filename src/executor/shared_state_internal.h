/* Internal to the shared state manager: the layout of its shared mapping and the manager's own
 * state, for shared_state.c (creation and the worker side: slots, listeners, the monitor thread) and
 * shared_state_run.c (the running side: heartbeat writes, interrupt reads, waits).
 *
 * One anonymous MAP_SHARED mapping, made before any fork so the zygote and every child inherit it,
 * holds a header (the worker's shutdown flag), a "dirty" bitmap and one slot per activity in flight:
 *
 *   interrupts   TEMPORAL__INTERRUPT_* bits; also the futex word wait_for_cancelled sleeps on
 *   generation   bumped on acquire and release, so a job names one use of the slot
 *   lock         a futex lock guarding seq/len/details (the running side writes, the monitor reads)
 *   seq, len     heartbeat sequence and the length of the encoded details that follow
 *
 * Futexes rather than process-shared pthread mutexes/condvars: a child may be SIGKILLed at any
 * moment (a crash, the kill grace), and a dead waiter or holder must not wedge the worker. The
 * worker never blocks on a slot lock (it only try-locks; a writer marks the slot dirty again after
 * it unlocks), and nothing waits on a condition a dead process was supposed to signal. So the
 * blocking lock and the futex wait are the running side's alone (shared_state_run.c). */
#ifndef TEMPORAL_SHARED_STATE_INTERNAL_H
#define TEMPORAL_SHARED_STATE_INTERNAL_H

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "executor/shared_state.h"

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
               "shared-memory atomics must be lock-free to work across processes");

/* In the shared mapping: this header, the dirty bitmap, then the slots. */
typedef struct temporal__ssm_header {
  _Atomic uint32_t worker_shutdown; /* 1 once the worker began shutting down; a futex word */
  uint32_t reserved;
} temporal__ssm_header;

typedef struct temporal__ssm_slot {
  _Atomic uint32_t interrupts;
  _Atomic uint32_t generation;
  _Atomic uint32_t lock; /* 0 free, 1 held, 2 held with waiters */
  uint32_t reserved;
  uint64_t seq; /* under lock */
  uint64_t len; /* under lock */
  /* details follow */
} temporal__ssm_slot;

/* In worker memory only. */
typedef struct temporal__ssm_local {
  temporal_shared_state_manager *manager;
  uint32_t index;
  /* under manager->lock */
  bool in_use;
  uint32_t generation;
  temporal__task *task;
  uint64_t seen_seq;
  /* under manager->hook_lock */
  temporal__task *hook_task;
  temporal__ssm_listener listener;
  temporal__ssm_listener_drop listener_drop;
  void *listener_data;
} temporal__ssm_local;

struct temporal_shared_state_manager {
  uint8_t *map;
  size_t map_len;
  temporal__ssm_header *header;
  _Atomic uint64_t *dirty;
  size_t dirty_words;
  uint8_t *slots;
  size_t stride;
  uint32_t count;
  size_t max_details;
  int event_fd;

  /* Ownership of slots and heartbeat delivery. The monitor holds it while it hands details to a
   * task, so a task cannot be released (and freed) under it. */
  pthread_mutex_t lock;
  /* What the interrupt hook reads; separate from `lock` because the hook runs on threads that
   * may hold worker locks the heartbeat sink also takes. */
  pthread_mutex_t hook_lock;
  temporal__ssm_local *local;
  uint32_t next_free;
  uint8_t *buf; /* delivery copy of one slot's details */
  temporal__ssm_heartbeat_sink sink;

  bool attached; /* under lock */
  atomic_bool stop;
  pthread_t monitor;
};

/* Not FUTEX_PRIVATE_FLAG: waiters and wakers are different processes sharing the mapping. */
static inline long temporal__ssm_futex(_Atomic uint32_t *word, int op, uint32_t val,
                                       const struct timespec *ts, uint32_t val3) {
  return syscall(SYS_futex, (uint32_t *)word, op, val, ts, NULL, val3);
}

static inline void temporal__ssm_wake_all(_Atomic uint32_t *word) {
  temporal__ssm_futex(word, FUTEX_WAKE, INT_MAX, NULL, 0);
}

static inline void temporal__ssm_unlock(temporal__ssm_slot *s) {
  if (atomic_exchange(&s->lock, 0) == 2) temporal__ssm_futex(&s->lock, FUTEX_WAKE, 1, NULL, 0);
}

static inline temporal__ssm_slot *temporal__ssm_slot_at(const temporal_shared_state_manager *m,
                                                        uint32_t index) {
  return (temporal__ssm_slot *)(void *)(m->slots + (size_t)index * m->stride);
}

static inline uint8_t *temporal__ssm_details(temporal__ssm_slot *s) {
  return (uint8_t *)(s + 1);
}

#endif
