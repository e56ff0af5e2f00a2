/* Every public macro a user writes, compiled as C11 and as C++11 with -Wall -Wextra -Werror
 * -pedantic: the _INIT macros draw no -Wmissing-field-initializers, the definition macros pick each
 * kind in both languages, and libuv's typedef of uv_loop_t and the headers' are the same type.
 * CMakeLists.txt compiles it four times: as it is (the headers first, then <uv.h>) and after <uv.h>
 * (uv_first.c), each as C and as C++ (generated units that include this file). */
#include <temporal/sys/executor.h>
#include <temporal/temporal.h>

#include <uv.h>

#ifdef __cplusplus
#define USES_STATIC_ASSERT(cond) static_assert(cond, #cond)
#define USES_C_LINKAGE extern "C"
#else
#define USES_STATIC_ASSERT(cond) _Static_assert(cond, #cond)
#define USES_C_LINKAGE
#endif

USES_C_LINKAGE temporal_result *uses_sync(temporal_activity *activity, const temporal_args *args);
USES_C_LINKAGE void uses_async(temporal_activity *activity, const temporal_args *args);

temporal_result *uses_sync(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  (void)args;
  return temporal_result_none();
}

void uses_async(temporal_activity *activity, const temporal_args *args) {
  (void)args;
  temporal_activity_complete(activity, temporal_result_none());
}

/* The kind is a constant expression in both languages, so definitions may be static const. */
USES_STATIC_ASSERT(TEMPORAL__ACTIVITY_KIND_OF(uses_sync) == TEMPORAL_ACTIVITY_KIND_SYNC);
USES_STATIC_ASSERT(TEMPORAL__ACTIVITY_KIND_OF(uses_async) == TEMPORAL_ACTIVITY_KIND_ASYNC);

static const temporal_activity_definition uses_definitions[] = {
    TEMPORAL_ACTIVITY_DEFN(uses_sync),
    TEMPORAL_ACTIVITY_DEFN(uses_async),
    TEMPORAL_ACTIVITY_DEFN_NAMED("renamed", uses_sync),
    TEMPORAL_ACTIVITY_DEFN_DYNAMIC(uses_async),
};

/* libuv's uv_loop_t and the headers' are one type: a pointer passes both ways without a cast. */
uv_loop_t *uses_loop(temporal_activity *activity);
uv_loop_t *uses_loop(temporal_activity *activity) {
  uv_loop_t *loop = temporal_activity_loop(activity);
  temporal_worker_options opts = TEMPORAL_WORKER_OPTIONS_INIT;
  opts.loop = loop;
  return opts.loop;
}

unsigned int uses_options(void);
unsigned int uses_options(void) {
  temporal_client_options client = TEMPORAL_CLIENT_OPTIONS_INIT;
  temporal_workflow_options workflow = TEMPORAL_WORKFLOW_OPTIONS_INIT;
  temporal_activity_options activity = TEMPORAL_ACTIVITY_OPTIONS_INIT;
  temporal_worker_options worker = TEMPORAL_WORKER_OPTIONS_INIT;
  temporal_thread_pool_options threads = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  temporal_shared_state_manager_options manager = TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT;
  temporal_process_pool_options processes = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
  static const temporal_worker_options static_worker = TEMPORAL_WORKER_OPTIONS_INIT;
  worker.activities = uses_definitions;
  worker.activity_count = sizeof uses_definitions / sizeof uses_definitions[0];
  return client.version + workflow.version + activity.version + worker.version + threads.version +
         manager.version + processes.version + static_worker.version;
}
