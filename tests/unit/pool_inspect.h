/* What the process pool tests read of a pool's private state. Defined in pool_inspect.c, which only
 * the unit test runner links: the library itself has no calls that exist for tests. */
#ifndef TEMPORAL_TESTS_POOL_INSPECT_H
#define TEMPORAL_TESTS_POOL_INSPECT_H

#include <stddef.h>
#include <sys/types.h>

#include "temporal/executor.h"

/* `executor` must be a process pool (temporal__process_pool_new or
 * temporal_process_pool_executor_new); NULL reads as a pool with no processes. */

/* The pids of the children that can take jobs, as of the dispatcher's last turn: up to `cap` into
 * `out`; returns how many there are. */
size_t temporal__process_pool_pids(temporal_executor *executor, pid_t *out, size_t cap);
/* The pool's zygote. */
pid_t temporal__process_pool_zygote_pid(temporal_executor *executor);

#endif
