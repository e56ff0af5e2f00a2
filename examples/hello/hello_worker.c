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

static int fail(const char *what, int rc) {
  fprintf(stderr, "hello_worker: %s: %s: %s\n", what, temporal_strerror(rc), temporal_error_last());
  return rc;
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
  char process_queue[512];
  snprintf(process_queue, sizeof process_queue, "%s-process", task_queue);

  int rc, status = 1;
  temporal_shared_state_manager *manager = NULL;
  temporal_executor *processes = NULL, *threads = NULL;
  temporal_client *client = NULL;
  temporal_worker *thread_worker = NULL, *process_worker = NULL;

  /* The process pool first, while this program has one thread: it forks its zygote now (fork is
   * unsafe once gRPC has started threads). Heartbeats and cancellation of the activities running in
   * its children travel through the shared state manager. */
  temporal_process_pool_options pool_opts = TEMPORAL_PROCESS_POOL_OPTIONS_INIT;
  pool_opts.processes = PROCESSES;
  if ((rc = temporal_shared_state_manager_new(&manager, NULL)) < 0 ||
      (rc = temporal_process_pool_executor_new(&processes, manager, &pool_opts)) < 0) {
    fail("process pool", rc);
    goto out;
  }
  /* Python's activity_executor=ThreadPoolExecutor(max_workers=THREADS). */
  temporal_thread_pool_options thread_pool_opts = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  thread_pool_opts.threads = THREADS;
  if ((rc = temporal_thread_pool_executor_new(&threads, &thread_pool_opts)) < 0) {
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

  temporal_worker_options thread_opts = TEMPORAL_WORKER_OPTIONS_INIT;
  thread_opts.task_queue = task_queue;
  thread_opts.activities = thread_activities;
  thread_opts.activity_count = sizeof thread_activities / sizeof thread_activities[0];
  thread_opts.activity_executor = threads;
  thread_opts.max_concurrent_activities = THREADS;
  if ((rc = temporal_worker_new(&thread_worker, client, &thread_opts)) < 0) {
    fail("thread-pool worker", rc);
    goto out;
  }
  temporal_worker_options process_opts = TEMPORAL_WORKER_OPTIONS_INIT;
  process_opts.task_queue = process_queue;
  process_opts.activities = process_activities;
  process_opts.activity_count = sizeof process_activities / sizeof process_activities[0];
  process_opts.activity_executor = processes;
  process_opts.max_concurrent_activities = PROCESSES;
  process_opts.shared_state_manager = manager; /* required with any executor but a thread pool */
  if ((rc = temporal_worker_new(&process_worker, client, &process_opts)) < 0) {
    fail("process-pool worker", rc);
    goto out;
  }
  if ((rc = temporal_worker_start(process_worker)) < 0) {
    fail("start the process-pool worker", rc);
    goto out;
  }
  if ((rc = temporal_worker_start(thread_worker)) < 0) {
    fail("start the thread-pool worker", rc);
    goto out;
  }
  /* Ctrl-C or SIGTERM shuts the thread-pool worker down; the process-pool one follows below. */
  if ((rc = temporal_worker_shutdown_on_signals(thread_worker)) < 0) {
    fail("signals", rc);
    goto out;
  }
  printf("READY\n");
  printf("hello_worker (pid %d) on %s:\n", (int)getpid(), target ? target : "localhost:7233");
  printf("  task queue %s: say_hello_activity, my-activity [sync, thread pool]; say_hello_async [async, event loop]\n",
         task_queue);
  printf("  task queue %s: say_hello_process [sync, process pool]\n", process_queue);
  fflush(stdout);
  if ((rc = temporal_worker_wait(thread_worker)) < 0) fail("thread-pool worker stopped", rc);
  temporal_worker_shutdown(process_worker);
  int prc = temporal_worker_wait(process_worker);
  if (prc < 0) fail("process-pool worker stopped", prc);
  if (rc == 0 && prc == 0) {
    printf("hello_worker: stopped\n");
    status = 0;
  }

out:
  temporal_worker_shutdown_on_signals(NULL);
  /* temporal_worker_free shuts a running worker down and waits for it. Workers before the client and
   * the executors they use; the manager after the process pool. */
  temporal_worker_free(thread_worker);
  temporal_worker_free(process_worker);
  temporal_client_free(client);
  temporal_executor_free(threads);
  temporal_executor_free(processes);
  temporal_shared_state_manager_free(manager);
  return status;
}
