/* Internal: creating the built-in process pool (process_pool.c) with the function its children run
 * jobs with, which tests replace. Everything else of the pool goes through its executor vtable. */
#ifndef TEMPORAL_EXECUTOR_PROCESS_POOL_H
#define TEMPORAL_EXECUTOR_PROCESS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "temporal/executor.h"

/* What a child does with a job: temporal_executor_run unless a test injects another function. */
typedef int (*temporal__pool_run_fn)(uint8_t **result_out, size_t *len_out,
                                     temporal_shared_state_manager *manager, const uint8_t *job, size_t len);
/* temporal_process_pool_executor_new with the run function chosen (NULL: temporal_executor_run). */
int temporal__process_pool_new(temporal_executor **out, temporal_shared_state_manager *manager,
                               const temporal_process_pool_options *opts, temporal__pool_run_fn run);

#endif
