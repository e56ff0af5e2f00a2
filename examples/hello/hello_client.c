/* hello_client: runs each of hello_worker's activities through the server, as standalone
 * activities (no workflow), and prints what each returned and the kind hello_worker serves it as:
 *
 *   say_hello_activity("World") -> "Hello, World!"  [sync, thread pool]
 *   say_hello_async("World") -> "Hello, World!"  [async, event loop]
 *   say_hello_process("World") -> "Hello, World!"  [sync, process pool]
 *   my-activity("World") -> "Hello, World!"  [sync, thread pool]
 *
 * Start hello_worker first. Usage: hello_client [--target HOST:PORT] [--namespace NS] [--task-queue Q]
 * [--name NAME]. Defaults as hello_worker's (say_hello_process goes to Q-process); NAME defaults to
 * "World". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <temporal/temporal.h>

/* What hello_worker registers where: the activity type, whether it is on the process-pool worker's
 * task queue, and the kind of activity that serves it. */
static const struct {
  const char *type;
  bool process_queue;
  const char *kind;
} calls[] = {
    {"say_hello_activity", false, "sync, thread pool"},
    {"say_hello_async", false, "async, event loop"},
    {"say_hello_process", true, "sync, process pool"},
    {"my-activity", false, "sync, thread pool"},
};

/* Runs one activity with one string argument; prints `type("name") -> result  [kind]`. 0 on success. */
static int run_activity(temporal_client *client, const char *task_queue, const char *type, const char *kind,
                        const char *name) {
  temporal_payload *arg = NULL, *result = NULL;
  temporal_activity_handle *handle = NULL;
  temporal_failure_info failure = {0};
  temporal_activity_options opts = TEMPORAL_ACTIVITY_OPTIONS_INIT;
  json_t *value = NULL, *quoted_name = NULL;
  char *text = NULL, *name_text = NULL;
  int rc;

  if ((rc = temporal_payload_new_string(&arg, name)) < 0) goto out;
  opts.activity_type = type;
  opts.task_queue = task_queue;
  opts.start_to_close_timeout = 10 * TEMPORAL_SECOND;
  opts.schedule_to_close_timeout = 60 * TEMPORAL_SECOND;
  if ((rc = temporal_client_start_activity(&handle, client, &opts, (const temporal_payload *const *)&arg,
                                           1)) < 0)
    goto out;
  rc = temporal_activity_handle_result(&result, &failure, handle, 60 * TEMPORAL_SECOND);
  if (rc == TEMPORAL_EFAILED) {
    fprintf(stderr, "hello_client: %s failed: %s (%s)%s%s\n", type, failure.message ? failure.message : "",
            failure.type ? failure.type : "", failure.cause_message ? ": " : "",
            failure.cause_message ? failure.cause_message : "");
    goto out;
  }
  if (rc < 0) goto out;
  if ((rc = temporal_payload_to_json(&value, result)) < 0) goto out;
  text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
  quoted_name = json_string(name);
  name_text = quoted_name ? json_dumps(quoted_name, JSON_ENCODE_ANY) : NULL;
  printf("%s(%s) -> %s  [%s]\n", type, name_text ? name_text : name, text ? text : "?", kind);
  fflush(stdout);

out:
  if (rc < 0 && rc != TEMPORAL_EFAILED)
    fprintf(stderr, "hello_client: %s: %s: %s\n", type, temporal_strerror(rc), temporal_error_last());
  free(text);
  free(name_text);
  json_decref(quoted_name);
  json_decref(value);
  temporal_failure_info_free(&failure);
  temporal_payload_free(result);
  temporal_activity_handle_free(handle);
  temporal_payload_free(arg);
  return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
  const char *target = getenv("TEMPORAL_ADDRESS");
  const char *namespace_ = NULL;
  const char *task_queue = "hello-task-queue";
  const char *name = "World";
  for (int i = 1; i < argc; i += 2) {
    const char *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (value && strcmp(argv[i], "--target") == 0) {
      target = value;
    } else if (value && strcmp(argv[i], "--namespace") == 0) {
      namespace_ = value;
    } else if (value && strcmp(argv[i], "--task-queue") == 0) {
      task_queue = value;
    } else if (value && strcmp(argv[i], "--name") == 0) {
      name = value;
    } else {
      fprintf(stderr, "usage: %s [--target HOST:PORT] [--namespace NS] [--task-queue Q] [--name NAME]\n",
              argv[0]);
      return 2;
    }
  }

  temporal_client *client = NULL;
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.target = target;
  opts.namespace_ = namespace_;
  int rc = temporal_client_connect(&client, &opts);
  if (rc < 0) {
    fprintf(stderr, "hello_client: connect: %s: %s\n", temporal_strerror(rc), temporal_error_last());
    return 1;
  }
  char process_queue[512];
  snprintf(process_queue, sizeof process_queue, "%s-process", task_queue);
  int failed = 0;
  for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
    failed |= run_activity(client, calls[i].process_queue ? process_queue : task_queue, calls[i].type,
                           calls[i].kind, name);
  temporal_client_free(client);
  return failed;
}
