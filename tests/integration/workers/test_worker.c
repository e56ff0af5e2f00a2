/* The C worker the integration tests drive: a few sync activities on a thread pool, serving one task
 * queue of a real server until SIGINT/SIGTERM.
 *
 *   test_worker --target HOST:PORT --task-queue Q [--namespace NS] [--api-key KEY]
 *               [--plaintext-api-key] [--slots N] [--pollers N] [--threads N] [--duplicate-names]
 *
 * Prints "READY" on stdout once the worker started. Exit codes: 0 clean shutdown, 1 usage or set-up
 * error, 2 temporal_worker_new refused the options, 3 the client or temporal_worker_start failed,
 * 4 the worker stopped with an error. Errors are printed on stderr with temporal_error_last(). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <temporal/temporal.h>

/* "Hello, " + name + "!", registered as say_hello_activity and again as "my-activity". */
static temporal_result *say_hello_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  const char *name = NULL;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) return temporal_result_from_code(rc);
  json_t *greeting = json_sprintf("Hello, %s!", name);
  if (!greeting) return temporal_result_errorf("EncodingError", "cannot build the greeting");
  return temporal_result_json(greeting);
}

/* fail_activity(message, type, non_retryable): fails with exactly that application error. */
static temporal_result *fail_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  const char *message = NULL, *type = NULL;
  bool non_retryable = false;
  int rc = temporal_args_get_string(&message, args, 0);
  if (rc == 0) rc = temporal_args_get_string(&type, args, 1);
  if (rc == 0) rc = temporal_args_get_bool(&non_retryable, args, 2);
  if (rc < 0) return temporal_result_from_code(rc);
  temporal_application_error *error = NULL;
  rc = temporal_application_error_new(&error, type, message);
  if (rc < 0) return temporal_result_from_code(rc);
  rc = temporal_application_error_set_non_retryable(error, non_retryable);
  if (rc < 0) {
    temporal_application_error_free(error);
    return temporal_result_from_code(rc);
  }
  return temporal_result_error(error);
}

/* echo_activity(value): returns its JSON argument unchanged. */
static temporal_result *echo_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  json_t *value = NULL;
  int rc = temporal_args_get_json(&value, args, 0);
  if (rc < 0) return temporal_result_from_code(rc);
  return temporal_result_json(json_incref(value));
}

/* add_activity(a, b): a + b for two integers. */
static temporal_result *add_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  int64_t a = 0, b = 0;
  int rc = temporal_args_get_int(&a, args, 0);
  if (rc == 0) rc = temporal_args_get_int(&b, args, 1);
  if (rc < 0) return temporal_result_from_code(rc);
  return temporal_result_json(json_integer((json_int_t)(a + b)));
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),
    TEMPORAL_ACTIVITY_DEFN_NAMED("my-activity", say_hello_activity),
    TEMPORAL_ACTIVITY_DEFN(fail_activity),
    TEMPORAL_ACTIVITY_DEFN(echo_activity),
    TEMPORAL_ACTIVITY_DEFN(add_activity),
};

/* For --duplicate-names: two different functions under one name. */
static const temporal_activity_definition duplicate_activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),
    TEMPORAL_ACTIVITY_DEFN_NAMED("say_hello_activity", echo_activity),
};

static void usage(void) {
  fprintf(stderr,
          "usage: test_worker --target HOST:PORT --task-queue Q [--namespace NS] [--api-key KEY]\n"
          "                   [--plaintext-api-key] [--slots N] [--pollers N] [--threads N]\n"
          "                   [--duplicate-names]\n");
}

static int parse_count(const char *s, unsigned int *out) {
  char *end = NULL;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || !end || *end || end == s || v > 100000) return -1;
  *out = (unsigned int)v;
  return 0;
}

static void report(const char *what, int rc) {
  fprintf(stderr, "test_worker: %s: %s: %s\n", what, temporal_strerror(rc), temporal_error_last());
}

int main(int argc, char **argv) {
  const char *target = NULL, *namespace_ = NULL, *api_key = NULL, *task_queue = NULL;
  unsigned int slots = 0, pollers = 0, threads = 0;
  bool duplicate_names = false, plaintext_api_key = false;

  for (int i = 1; i < argc; i++) {
    const char *arg = argv[i];
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--duplicate-names") == 0) {
      duplicate_names = true;
      continue;
    }
    if (strcmp(arg, "--plaintext-api-key") == 0) {
      plaintext_api_key = true;
      continue;
    }
    if (!value) {
      usage();
      return 1;
    }
    i++;
    if (strcmp(arg, "--target") == 0) {
      target = value;
    } else if (strcmp(arg, "--namespace") == 0) {
      namespace_ = value;
    } else if (strcmp(arg, "--api-key") == 0) {
      api_key = value;
    } else if (strcmp(arg, "--task-queue") == 0) {
      task_queue = value;
    } else if (strcmp(arg, "--slots") == 0 && parse_count(value, &slots) == 0) {
    } else if (strcmp(arg, "--pollers") == 0 && parse_count(value, &pollers) == 0) {
    } else if (strcmp(arg, "--threads") == 0 && parse_count(value, &threads) == 0) {
    } else {
      usage();
      return 1;
    }
  }
  if (!target || !task_queue) {
    usage();
    return 1;
  }

  int exit_code = 0;
  temporal_executor *executor = NULL;
  temporal_client *client = NULL;
  temporal_worker *worker = NULL;

  temporal_thread_pool_options pool_opts = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  pool_opts.threads = threads;
  int rc = temporal_thread_pool_executor_new(&executor, &pool_opts);
  if (rc < 0) {
    report("thread pool", rc);
    exit_code = 1;
    goto done;
  }

  temporal_client_options client_opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  client_opts.target = target;
  client_opts.namespace_ = namespace_;
  client_opts.api_key = api_key;
  client_opts.plaintext_api_key = plaintext_api_key;
  rc = temporal_client_connect(&client, &client_opts);
  if (rc < 0) {
    report("connect", rc);
    exit_code = 3;
    goto done;
  }

  temporal_worker_options worker_opts = TEMPORAL_WORKER_OPTIONS_INIT;
  worker_opts.task_queue = task_queue;
  worker_opts.activities = duplicate_names ? duplicate_activities : activities;
  worker_opts.activity_count = duplicate_names ? sizeof duplicate_activities / sizeof duplicate_activities[0]
                                               : sizeof activities / sizeof activities[0];
  worker_opts.activity_executor = executor;
  worker_opts.max_concurrent_activities = slots;
  worker_opts.max_concurrent_activity_polls = pollers;
  rc = temporal_worker_new(&worker, client, &worker_opts);
  if (rc < 0) {
    report("temporal_worker_new", rc);
    exit_code = 2;
    goto done;
  }

  rc = temporal_worker_start(worker);
  if (rc < 0) {
    report("temporal_worker_start", rc);
    exit_code = 3;
    goto done;
  }
  rc = temporal_worker_shutdown_on_signals(worker);
  if (rc < 0) {
    report("temporal_worker_shutdown_on_signals", rc);
    temporal_worker_shutdown(worker);
    temporal_worker_wait(worker);
    exit_code = 1;
    goto done;
  }
  printf("READY\n");
  fflush(stdout);

  rc = temporal_worker_wait(worker);
  if (rc < 0) {
    report("temporal_worker_wait", rc);
    exit_code = 4;
  }

done:
  temporal_worker_shutdown_on_signals(NULL); /* no handler may outlive the worker */
  temporal_worker_free(worker);
  temporal_client_free(client);
  temporal_executor_free(executor);
  return exit_code;
}
