/* cpp_worker: activities written in C++, registered with the same macros as in C. The overloads in
 * <temporal/activity.h> pick each function's kind from its type, as _Generic does in C.
 *
 *   cpp_worker [--target HOST:PORT] [--task-queue Q]
 * Defaults: $TEMPORAL_ADDRESS or localhost:7233, task queue "cpp-task-queue". Serves greet (sync, on a
 * thread pool) and greet_async (async, on the worker's loop), each "Hello, <name>!"; prints READY
 * once it polls, and stops on SIGINT or SIGTERM. */
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include <temporal/temporal.h>

/* The library's C code calls activities: C language linkage, and no exception may leave them. */
extern "C" temporal_result *greet(temporal_activity *activity, const temporal_args *args) {
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) return temporal_result_from_code(rc);
  try {
    std::string text = "Hello, " + std::string(name) + "!";
    temporal_activity_log(activity, TEMPORAL_LOG_INFO, "greeting %s from C++", name);
    return temporal_result_string(text.c_str());
  } catch (const std::bad_alloc &) {
    return temporal_result_errorf("OutOfMemory", "cannot build the greeting");
  }
}

/* Async: starts on the loop thread and may complete later; this one completes at once. */
extern "C" void greet_async(temporal_activity *activity, const temporal_args *args) {
  temporal_activity_complete(activity, greet(activity, args));
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(greet),       /* sync: its signature returns a result */
    TEMPORAL_ACTIVITY_DEFN(greet_async), /* async: it returns nothing */
};

/* As many slots as threads, so a sync activity never holds a slot while it waits for a thread. */
static const unsigned int THREADS = 8;

static int fail(const char *what, int rc) {
  std::fprintf(stderr, "cpp_worker: %s: %s: %s\n", what, temporal_strerror(rc), temporal_error_last());
  return 1;
}

int main(int argc, char **argv) {
  temporal_client_options client_opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  client_opts.target = std::getenv("TEMPORAL_ADDRESS");
  temporal_worker_options worker_opts = TEMPORAL_WORKER_OPTIONS_INIT;
  worker_opts.task_queue = "cpp-task-queue";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--target") == 0) client_opts.target = argv[i + 1];
    if (std::strcmp(argv[i], "--task-queue") == 0) worker_opts.task_queue = argv[i + 1];
  }
  temporal_thread_pool_options pool_opts = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  pool_opts.threads = THREADS;

  temporal_executor *pool = NULL;
  temporal_client *client = NULL;
  temporal_worker *worker = NULL;
  int rc = temporal_thread_pool_executor_new(&pool, &pool_opts);
  if (rc == 0) rc = temporal_client_connect(&client, &client_opts);
  if (rc == 0) {
    worker_opts.activities = activities;
    worker_opts.activity_count = sizeof activities / sizeof activities[0];
    worker_opts.activity_executor = pool;
    worker_opts.max_concurrent_activities = THREADS;
    rc = temporal_worker_new(&worker, client, &worker_opts);
  }
  if (rc == 0) rc = temporal_worker_shutdown_on_signals(worker);
  if (rc == 0) rc = temporal_worker_start(worker);
  if (rc == 0) {
    std::printf("READY\n");
    std::fflush(stdout);
    rc = temporal_worker_wait(worker);
  }
  int status = rc < 0 ? fail("stopped", rc) : 0;
  temporal_worker_shutdown_on_signals(NULL);
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(pool);
  return status;
}
