/* TO BE REMOVED once nothing includes it (issue 9). What this header declared now lives in one
 * header per module: executor/job.h (jobs and their bytes), executor/shared_state.h (the shared
 * state manager's slots), executor/zygote.h and executor/process_pool.h. This stays only so that
 * job.c, job_run.c, worker/worker.c and the fuzz targets build until they include those directly;
 * add nothing here. */
#ifndef TEMPORAL_PROCESS_INTERNAL_H
#define TEMPORAL_PROCESS_INTERNAL_H

#include "executor/executor_internal.h"
#include "executor/job.h"
#include "executor/process_pool.h"
#include "executor/shared_state.h"
#include "executor/zygote.h"

#endif
