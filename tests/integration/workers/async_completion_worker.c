/* The C worker for the async-completion tests: activities that say they will be completed later and
 * tell the test how to reach them, so the test can finish them through client_probe.
 *
 *   async_completion_worker --target HOST:PORT --task-queue Q
 *
 * Each activity prints one line on stdout, then leaves the attempt open:
 *   TOKEN <task token in hex> <activity_id> <workflow_id> <workflow_run_id> <activity_run_id>
 * with "-" for an empty field (a standalone activity has no workflow ids; a workflow's activity has no
 * activity run id). Prints READY once polling. Exit codes: 0 after a clean shutdown (SIGTERM), 2 when
 * the worker is refused at creation, 3 when it cannot start. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <temporal/temporal.h>

/* Activities run on several threads: one lock keeps each TOKEN line whole and flushed on its own. */
static pthread_mutex_t stdout_mu = PTHREAD_MUTEX_INITIALIZER;

static const char *or_dash(const char *s) {
  return s && *s ? s : "-";
}

static void print_token_line(const temporal_activity *activity) {
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  pthread_mutex_lock(&stdout_mu);
  printf("TOKEN ");
  for (size_t i = 0; i < info->task_token_len; i++) printf("%02x", info->task_token[i]);
  printf(" %s %s %s %s\n", or_dash(info->activity_id), or_dash(info->workflow_id),
         or_dash(info->workflow_run_id), or_dash(info->activity_run_id));
  fflush(stdout);
  pthread_mutex_unlock(&stdout_mu);
}

/* Sync: runs on the thread pool, hands the test its token and gives the slot back at once. */
static temporal_result *complete_later_activity(temporal_activity *activity, const temporal_args *args) {
  print_token_line(activity);
  return temporal_result_async();
}

/* Async kind: the same from the loop thread, through temporal_activity_complete. */
static void complete_later_async(temporal_activity *activity, const temporal_args *args) {
  print_token_line(activity);
  temporal_activity_complete(activity, temporal_result_async());
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(complete_later_activity),
    TEMPORAL_ACTIVITY_DEFN(complete_later_async),
};

int main(int argc, char **argv) {
  const char *target = "127.0.0.1:7233", *task_queue = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(a, "--target")) {
      target = v;
      i++;
    } else if (!strcmp(a, "--task-queue")) {
      task_queue = v;
      i++;
    } else {
      fprintf(stderr, "unknown option %s\n", a);
      return 64;
    }
  }
  if (!task_queue) {
    fprintf(stderr, "--task-queue is required\n");
    return 64;
  }

  temporal_executor *executor = NULL;
  temporal_thread_pool_options to = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  if (temporal_thread_pool_executor_new(&executor, &to) != 0) {
    fprintf(stderr, "executor: %s\n", temporal_error_last());
    return 1;
  }
  temporal_client_options co = TEMPORAL_CLIENT_OPTIONS_INIT;
  co.target = target;
  temporal_client *client = NULL;
  if (temporal_client_connect(&client, &co) != 0) {
    fprintf(stderr, "connect: %s\n", temporal_error_last());
    temporal_executor_free(executor);
    return 1;
  }
  temporal_worker_options wo = TEMPORAL_WORKER_OPTIONS_INIT;
  wo.task_queue = task_queue;
  wo.activities = activities;
  wo.activity_count = sizeof activities / sizeof activities[0];
  wo.activity_executor = executor;
  temporal_worker *worker = NULL;
  int exit_code = 0;
  if (temporal_worker_new(&worker, client, &wo) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    exit_code = 2;
  } else if (temporal_worker_start(worker) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    exit_code = 3;
  } else {
    temporal_worker_shutdown_on_signals(worker);
    printf("READY\n");
    fflush(stdout);
    temporal_worker_wait(worker);
  }
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(executor);
  return exit_code;
}
