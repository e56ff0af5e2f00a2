/* Internal to the process pool: its state, shared by process_pool.c (creation, the vtable),
 * pool_dispatch.c (the dispatcher thread) and pool_child.c (the loop each child runs).
 *
 * Framing, parent -> child: len:u64 job[len]; child -> parent: kind:u32 len:u64 bytes[len], kind
 * FRAME_RESULT = result bytes, FRAME_ERROR = an error message (the bytes were not a job).
 * Integers little-endian. */
#ifndef TEMPORAL_POOL_INTERNAL_H
#define TEMPORAL_POOL_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/core.h"
#include "core/queue.h"
#include "executor/process_pool.h"
#include "executor/zygote.h"
#include "temporal/sys/executor.h"

/* The largest frame either side accepts: a result bigger than the largest message the transport sends
 * could never be reported, and a job is a task the transport received. The framing adds a few bytes
 * of header to the serialized result, hence the margin. */
#define TEMPORAL__POOL_MAX_FRAME ((uint64_t)TEMPORAL__MAX_MESSAGE_BYTES + 4096)
/* A frame's buffer starts at most this big and grows as its bytes arrive, so a child that announces a
 * large frame costs the worker only what it really sends. */
#define TEMPORAL__POOL_FIRST_CHUNK ((size_t)64 * 1024)
#define TEMPORAL__POOL_FRAME_RESULT 0u
#define TEMPORAL__POOL_FRAME_ERROR 1u

/* What the children need; fixed before the zygote forks. */
typedef struct temporal__pool_child_ctx {
  temporal_shared_state_manager *manager;
  temporal__pool_run_fn run;
} temporal__pool_child_ctx;

/* The parent's view of one child. */
typedef struct temporal__pool_child {
  pid_t pid;
  int fd; /* -1 once hung up */
  temporal_executor_job *job;
  const uint8_t *job_bytes;
  size_t job_len;
  uint8_t out_hdr[8];
  size_t out_off; /* bytes of header + job sent */
  uint8_t in_hdr[12];
  size_t in_got;
  uint8_t *in_buf;
  size_t in_len, in_off, in_cap; /* announced length, bytes received, bytes allocated */
  uint32_t in_kind;
  int64_t interrupted_at; /* monotonic ns the dispatcher first saw the job interrupted; 0 = not */
  bool killing;           /* SIGKILL requested after kill_grace */
  int64_t hung_up_at;
  bool dead; /* removed at the end of the dispatcher's turn */
} temporal__pool_child;

/* A job no child has taken yet, in the pool's queue. */
typedef struct temporal__pool_queued {
  struct temporal__queue node;
  temporal_executor_job *job;
} temporal__pool_queued;

/* Unlinks and returns the oldest entry of `queue` (a queue of temporal__pool_queued), NULL if none. */
static inline temporal__pool_queued *temporal__pool_queued_pop(struct temporal__queue *queue) {
  if (temporal__queue_empty(queue)) return NULL;
  struct temporal__queue *node = temporal__queue_head(queue);
  temporal__queue_remove(node);
  return TEMPORAL__QUEUE_DATA(node, temporal__pool_queued, node);
}

typedef struct temporal__pool {
  temporal__pool_child_ctx *ctx;
  unsigned int processes;
  temporal_duration_ns kill_grace;
  temporal__zygote *zygote;
  int wake_fd;
  pthread_t thread;
  bool thread_started;

  pthread_mutex_t lock;         /* the queue, the flags, and the children array's shape */
  struct temporal__queue queue; /* temporal__pool_queued, oldest first */
  bool stopping;
  bool broken;                    /* the zygote died: no more children can be made */
  temporal__pool_child *children; /* written by the dispatcher; other threads read only `live` */
  size_t child_count, child_cap;
  /* Pids of the children that can take jobs, refreshed each dispatcher turn: what the tests read
   * (tests/unit/pool_inspect.c), since only the dispatcher may look at `children`. */
  pid_t *live;
  size_t live_count;

  /* dispatcher only */
  bool reshaped; /* children added, hung up or gone: compact and refresh `live` */
  unsigned int spawn_pending;
  int64_t spawn_not_before;
  unsigned int idle_deaths;
  struct pollfd *pfds;
  size_t pfd_cap;
} temporal__pool;

static inline void temporal__put_le(uint8_t *p, uint64_t v, int width) {
  for (int i = 0; i < width; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t temporal__get_le(const uint8_t *p, int width) {
  uint64_t v = 0;
  for (int i = 0; i < width; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}

/* pool_child.c: what each child runs (a temporal__child_main; data is the child ctx). */
void temporal__pool_child_main(int sock, void *data);

/* pool_dispatch.c */
void *temporal__pool_dispatcher_main(void *arg);
/* Wakes the dispatcher (any thread). */
void temporal__pool_wake(temporal__pool *pool);
/* Closes the child's socket and hands back its job (NULL if none); for shutdown. */
temporal_executor_job *temporal__pool_child_release(temporal__pool_child *child);

#endif
