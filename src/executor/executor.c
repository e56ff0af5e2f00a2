/* The executor object: what kind it is, handing tasks to it, and releasing it. */
#include <stdlib.h>

#include "core/core.h"
#include "executor/executor_internal.h"

int temporal__executor_submit(temporal_executor *ex, temporal_shared_state_manager *manager, temporal__task *task) {
  if (ex->kind == TEMPORAL__EXECUTOR_THREAD_POOL) return ex->submit_task(ex, task);
  return temporal__job_submit(ex, manager, task);
}

void temporal_executor_free(temporal_executor *ex) {
  if (!ex) return;
  if (ex->destroy) ex->destroy(ex);
  free(ex);
}
