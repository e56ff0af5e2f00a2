/* hello_worker: say_hello as the three kinds of activity (hello_activities.c), served by two
 * workers in one program, because a worker has one activity_executor and so runs all its sync
 * activities one way:
 *
 *   task queue Q          thread-pool worker:  say_hello_activity and my-activity (sync, on its
 *                                              thread pool), say_hello_async (async, on its loop)
 *   task queue Q-process  process-pool worker: say_hello_process (sync, in a child process)
 *
 * Both run until SIGINT or SIGTERM. Prints READY once both poll their task queues.
 *
 *   hello_worker [--target HOST:PORT] [--namespace NS] [--task-queue Q]
 * Defaults: $TEMPORAL_ADDRESS or localhost:7233, namespace "default", task queue "hello-task-queue"
 * (so "hello-task-queue-process" for the process pool). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <temporal/temporal.h>

#include "hello_activities.h"

/* The mapping from names to callables, as Python's Worker(activities=[...]). The kind follows each
 * function's signature; sync ones run on the worker's activity_executor. */
static const temporal_activity_definition thread_activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),                      /* "say_hello_activity" */
    TEMPORAL_ACTIVITY_DEFN_NAMED("my-activity", say_hello_activity), /* the same, renamed */
    TEMPORAL_ACTIVITY_DEFN(say_hello_async),                         /* async: on the loop */
};
static const temporal_activity_definition process_activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_process),
};

/* Each worker has as many slots as its executor has threads or processes, so a sync activity never
 * waits for one while holding a slot (the worker warns when the pool is smaller). */
#define THREADS 16
#define PROCESSES 2

/* What the command line says. */
typedef struct hello_args {
  const char *target; /* NULL = localhost:7233 */
  const char *namespace_;
  const char *task_queue;
  char process_queue[512]; /* task_queue + "-process" */
} hello_args;

/* Everything main makes, freed by free_all in the order the library asks for. */
typedef struct hello_worker {
  temporal_shared_state_manager *manager;
  temporal_executor *processes, *threads;
  temporal_client *client;
  temporal_worker *thread_worker, *process_worker;
} hello_worker;

static int fail(const char *what, int rc) {
  fprintf(stderr, "hello_worker: %s: %s: %s\n", what, temporal_strerror(rc), temporal_error_last());
  return rc;
}

/* Reads --target, --namespace and --task-queue; false (after printing the usage) for anything else. */
static bool parse_args(hello_args *a, int argc, char **argv) {
  a->target = getenv("TEMPORAL_ADDRESS");
  a->namespace_ = NULL;
  a->task_queue = "hello-task-queue";
  for (int i = 1; i < argc; i += 2) {
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (value && strcmp(argv[i], "--target") == 0) {
      a->target = value;
    } else if (value && strcmp(argv[i], "--namespace") == 0) {
      a->namespace_ = value;
    } else if (value && strcmp(argv[i], "--task-queue") == 0) {
      a->task_queue = value;
    } else {
      fprintf(stderr, "usage: %s [--target HOST:PORT] [--namespace NS] [--task-queue Q]\n", argv[0]);
      return false;
    }
  }
  snprintf(a->process_queue, sizeof a->process_queue, "%s-process", a->task_queue);
  return true;
}

/* The process pool first, while this program has one thread: it forks its zygote now (fork is unsafe
 * once gRPC has started threads). Heartbeats and cancellation of the activities running in its
 * children travel through the shared state manager. Then Python's
 * activity_executor=ThreadPoolExecutor(max_workers=THREADS). */
static int make_executors(hello_worker *h) {
  temporal_process_pool_options pool_opts = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
  pool_opts.processes = PROCESSES;
  int rc;
  if ((rc = temporal_shared_state_manager_new(&h->manager, NULL)) < 0 ||
      (rc = temporal_process_pool_executor_new(&h->processes, h->manager, &pool_opts)) < 0)
    return fail("process pool", rc);
  temporal_thread_pool_options thread_pool_opts = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  thread_pool_opts.threads = THREADS;
  if ((rc = temporal_thread_pool_executor_new(&h->threads, &thread_pool_opts)) < 0)
    return fail("thread pool", rc);
  return 0;
}

static int connect_client(hello_worker *h, const hello_args *a) {
  temporal_client_options copts = TEMPORAL_CLIENT_OPTIONS_INIT;
  copts.target = a->target;
  copts.namespace_ = a->namespace_;
  int rc = temporal_client_connect(&h->client, &copts);
  return rc < 0 ? fail("connect", rc) : 0;
}

/* One worker per executor: a worker runs all its sync activities one way. */
static int make_workers(hello_worker *h, const hello_args *a) {
  temporal_worker_options thread_opts = TEMPORAL_WORKER_OPTIONS_INIT;
  thread_opts.task_queue = a->task_queue;
  thread_opts.activities = thread_activities;
  thread_opts.activity_count = sizeof thread_activities / sizeof thread_activities[0];
  thread_opts.activity_executor = h->threads;
  thread_opts.max_concurrent_activities = THREADS;
  int rc = temporal_worker_new(&h->thread_worker, h->client, &thread_opts);
  if (rc < 0) return fail("thread-pool worker", rc);

  temporal_worker_options process_opts = TEMPORAL_WORKER_OPTIONS_INIT;
  process_opts.task_queue = a->process_queue;
  process_opts.activities = process_activities;
  process_opts.activity_count = sizeof process_activities / sizeof process_activities[0];
  process_opts.activity_executor = h->processes;
  process_opts.max_concurrent_activities = PROCESSES;
  process_opts.shared_state_manager = h->manager; /* required with any executor but a thread pool */
  rc = temporal_worker_new(&h->process_worker, h->client, &process_opts);
  return rc < 0 ? fail("process-pool worker", rc) : 0;
}

/* Starts both; Ctrl-C or SIGTERM then shuts the thread-pool worker down (wait_workers stops the
 * other). */
static int start_workers(hello_worker *h) {
  int rc;
  if ((rc = temporal_worker_start(h->process_worker)) < 0) return fail("start the process-pool worker", rc);
  if ((rc = temporal_worker_start(h->thread_worker)) < 0) return fail("start the thread-pool worker", rc);
  if ((rc = temporal_worker_shutdown_on_signals(h->thread_worker)) < 0) return fail("signals", rc);
  return 0;
}

static void print_ready(const hello_args *a) {
  printf("READY\n");
  printf("hello_worker (pid %d) on %s:\n", (int)getpid(), a->target ? a->target : "localhost:7233");
  printf(
      "  task queue %s: say_hello_activity, my-activity [sync, thread pool]; "
      "say_hello_async [async, event loop]\n",
      a->task_queue);
  printf("  task queue %s: say_hello_process [sync, process pool]\n", a->process_queue);
  fflush(stdout);
}

/* Until a signal stops the thread-pool worker; then stops the process-pool one. 0 when both stopped
 * cleanly. */
static int wait_workers(hello_worker *h) {
  int rc = temporal_worker_wait(h->thread_worker);
  if (rc < 0) fail("thread-pool worker stopped", rc);
  temporal_worker_shutdown(h->process_worker);
  int prc = temporal_worker_wait(h->process_worker);
  if (prc < 0) fail("process-pool worker stopped", prc);
  return rc < 0 ? rc : prc;
}

/* temporal_worker_free shuts a running worker down and waits for it. Workers before the client and
 * the executors they use; the manager after the process pool. NULL is a no-op everywhere. */
static void free_all(hello_worker *h) {
  temporal_worker_shutdown_on_signals(NULL);
  temporal_worker_free(h->thread_worker);
  temporal_worker_free(h->process_worker);
  temporal_client_free(h->client);
  temporal_executor_free(h->threads);
  temporal_executor_free(h->processes);
  temporal_shared_state_manager_free(h->manager);
}

int main(int argc, char **argv) {
  hello_args args;
  if (!parse_args(&args, argc, argv)) return 2;
  hello_worker h = {0};
  int status = 1;
  if (make_executors(&h) == 0 && connect_client(&h, &args) == 0 && make_workers(&h, &args) == 0 &&
      start_workers(&h) == 0) {
    print_ready(&args);
    if (wait_workers(&h) == 0) {
      printf("hello_worker: stopped\n");
      status = 0;
    }
  }
  free_all(&h);
  return status;
}
