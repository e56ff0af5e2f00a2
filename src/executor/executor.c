/* The executor object: what kind it is, handing tasks to it, a user's custom executor, and releasing
 * it. */
#include <stdlib.h>

#include "core/core.h"
#include "core/options.h"
#include "executor/executor_internal.h"
#include "executor/job.h"

int temporal__executor_submit(temporal_executor *ex, temporal_shared_state_manager *manager,
                              temporal__task *task) {
  if (ex->kind == TEMPORAL__EXECUTOR_THREAD_POOL) return ex->submit_task(ex, task);
  return temporal__job_submit(ex, manager, task);
}

void temporal_executor_free(temporal_executor *ex) {
  if (!ex) return;
  if (ex->destroy) ex->destroy(ex);
  free(ex);
}

static void custom_destroy(temporal_executor *executor) {
  if (executor->vtable && executor->vtable->shutdown) executor->vtable->shutdown(executor->self);
}

int temporal_executor_new_custom(temporal_executor **out, const temporal_executor_vtable *vtable,
                                 void *self) {
  if (!out) return temporal__error(TEMPORAL_EINVAL, "executor_new_custom: out is NULL");
  *out = NULL;
  /* Kept by pointer: when the vtable grows, read it with TEMPORAL__OPTIONS_READ instead. */
  if (TEMPORAL__OPTIONS_CHECK(vtable) < 0) return TEMPORAL_EINVAL;
  if (!vtable->submit)
    return temporal__error(TEMPORAL_EINVAL, "executor_new_custom: the vtable needs a submit function");
  temporal_executor *ex = calloc(1, sizeof *ex);
  if (!ex) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  ex->kind = TEMPORAL__EXECUTOR_OTHER;
  atomic_init(&ex->in_use, false);
  ex->vtable = vtable;
  ex->self = self;
  ex->destroy = custom_destroy;
  *out = ex;
  return 0;
}
