/* hello_worker: the Python docs' say_hello activity, written in C.
 *
 *   @activity.defn
 *   async def say_hello_activity(name: str) -> str:
 *       return f"Hello, {name}!"
 *
 * Registered under its own name and again as "my-activity"; runs on a thread pool until SIGINT or
 * SIGTERM. Prints READY once it polls the task queue.
 *
 *   hello_worker [--target HOST:PORT] [--namespace NS] [--task-queue Q]
 * Defaults: $TEMPORAL_ADDRESS or localhost:7233, namespace "default", task queue "hello-task-queue". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <temporal/temporal.h>

static temporal_result *say_hello_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) return temporal_result_from_code(rc); /* e.g. "argument 0: expected string, got integer" */
  json_t *greeting = json_sprintf("Hello, %s!", name);
  if (!greeting) return temporal_result_errorf("EncodingError", "cannot build the greeting");
  return temporal_result_json(greeting);
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),                  /* "say_hello_activity" */
    TEMPORAL_ACTIVITY_DEFN_NAMED("my-activity", say_hello_activity), /* the same, renamed */
};

static int fail(const char *what, int rc) {
  fprintf(stderr, "hello_worker: %s: %s: %s\n", what, temporal_strerror(rc), temporal_error_last());
  return 1;
}

int main(int argc, char **argv) {
  const char *target = getenv("TEMPORAL_ADDRESS");
  const char *namespace_ = NULL;
  const char *task_queue = "hello-task-queue";
  for (int i = 1; i < argc; i += 2) {
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (value && strcmp(argv[i], "--target") == 0) {
      target = value;
    } else if (value && strcmp(argv[i], "--namespace") == 0) {
      namespace_ = value;
    } else if (value && strcmp(argv[i], "--task-queue") == 0) {
      task_queue = value;
    } else {
      fprintf(stderr, "usage: %s [--target HOST:PORT] [--namespace NS] [--task-queue Q]\n", argv[0]);
      return 2;
    }
  }

  int rc, status = 1;
  temporal_executor *pool = NULL;
  temporal_client *client = NULL;
  temporal_worker *worker = NULL;

  /* Sync activities run on a thread pool: the C form of activity_executor=ThreadPoolExecutor(). */
  if ((rc = temporal_thread_pool_executor_new(&pool, NULL)) < 0) {
    fail("thread pool", rc);
    goto out;
  }
  temporal_client_options copts = TEMPORAL_CLIENT_OPTIONS_INIT;
  copts.target = target;
  copts.namespace_ = namespace_;
  if ((rc = temporal_client_connect(&client, &copts)) < 0) {
    fail("connect", rc);
    goto out;
  }
  temporal_worker_options wopts = TEMPORAL_WORKER_OPTIONS_INIT;
  wopts.task_queue = task_queue;
  wopts.activities = activities;
  wopts.activity_count = sizeof activities / sizeof activities[0];
  wopts.activity_executor = pool;
  if ((rc = temporal_worker_new(&worker, client, &wopts)) < 0) {
    fail("worker", rc);
    goto out;
  }
  if ((rc = temporal_worker_start(worker)) < 0) {
    fail("start", rc);
    goto out;
  }
  if ((rc = temporal_worker_shutdown_on_signals(worker)) < 0) {
    fail("signals", rc);
    temporal_worker_shutdown(worker);
    temporal_worker_wait(worker);
    goto out;
  }
  printf("READY\n");
  printf("hello_worker: serving say_hello_activity and my-activity on task queue %s of %s\n", task_queue,
         target ? target : "localhost:7233");
  fflush(stdout);
  if ((rc = temporal_worker_wait(worker)) < 0) {
    fail("worker stopped", rc);
    goto out;
  }
  printf("hello_worker: stopped\n");
  status = 0;

out:
  temporal_worker_shutdown_on_signals(NULL);
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(pool);
  return status;
}
