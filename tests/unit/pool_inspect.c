/* The process pool tests' view into a pool (pool_inspect.h). It reads the pool's private state
 * (executor/pool_internal.h) under the same lock the dispatcher publishes it with. */
#include <pthread.h>

#include "executor/executor_internal.h"
#include "executor/pool_internal.h"
#include "executor/zygote.h"
#include "pool_inspect.h"

static temporal__pool *pool_of(temporal_executor *executor) {
  return executor ? executor->self : NULL;
}

size_t temporal__process_pool_pids(temporal_executor *executor, pid_t *out, size_t cap) {
  temporal__pool *p = pool_of(executor);
  if (!p) return 0;
  pthread_mutex_lock(&p->lock);
  size_t n = p->live_count;
  for (size_t i = 0; i < n && i < cap; i++) out[i] = p->live[i];
  pthread_mutex_unlock(&p->lock);
  return n;
}

pid_t temporal__process_pool_zygote_pid(temporal_executor *executor) {
  temporal__pool *p = pool_of(executor);
  return p ? p->zygote->pid : 0;
}
