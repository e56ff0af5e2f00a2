/* client_probe: drives the temporal-c client end to end against a real server, for the integration
 * tests and by hand.
 *
 *   client_probe --target HOST:PORT [--namespace NS] [--api-key KEY] [--tls] [--connect-timeout-s N] COMMAND
 *
 * Commands:
 *   server-info                       prints the server version
 *   check-namespace                   exit 0, or prints the error and exits 3 when the namespace is missing
 *   start-activity --task-queue Q --type T [--id ID] [--arg-json JSON]... [--timeout-s N]
 *                  [--start-to-close-s N] [--schedule-to-close-s N] [--heartbeat-timeout-s N]
 *                  [--max-attempts N] [--cancel-after-ms N] [--no-wait]
 *   start-workflow --task-queue Q --type T [--id ID] [--arg-json JSON]... [--timeout-s N]
 *                  [--execution-timeout-s N] [--cancel-after-ms N] [--no-wait]
 *
 * start-*: stderr gets "started <id> run <run_id>"; on success stdout gets the result payload as one
 * line of JSON; on failure stdout gets one line {"failure": {"type", "message", "non_retryable",
 * "cause_type", "cause_message"}}. --timeout-s bounds the wait for the result (default 60, 0 = none).
 * --cancel-after-ms requests cancellation that long after the start, then waits for the outcome.
 *
 * Exit status: 0 success, 1 other error, 2 usage, 3 not found, 4 the workflow/activity failed,
 * 5 timed out waiting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <temporal/temporal.h>

#define MAX_ARGS 16

typedef struct probe_options {
  temporal_client_options client;
  const char *command;
  const char *task_queue;
  const char *type;
  const char *id;
  const char *args_json[MAX_ARGS];
  size_t arg_count;
  double timeout_s;
  double start_to_close_s;
  double schedule_to_close_s;
  double heartbeat_timeout_s;
  double execution_timeout_s;
  int max_attempts;
  long cancel_after_ms;
  bool no_wait;
} probe_options;

static void usage(void) {
  fprintf(stderr,
          "usage: client_probe --target HOST:PORT [--namespace NS] [--api-key KEY] [--tls] "
          "[--connect-timeout-s N]\n"
          "                    server-info | check-namespace |\n"
          "                    start-activity --task-queue Q --type T [--id ID] [--arg-json JSON]... "
          "[--timeout-s N]\n"
          "                      [--start-to-close-s N] [--schedule-to-close-s N] [--heartbeat-timeout-s N]\n"
          "                      [--max-attempts N] [--cancel-after-ms N] [--no-wait] |\n"
          "                    start-workflow --task-queue Q --type T [--id ID] [--arg-json JSON]... "
          "[--timeout-s N]\n"
          "                      [--execution-timeout-s N] [--cancel-after-ms N] [--no-wait]\n");
}

static temporal_duration_ns seconds(double s) {
  return (temporal_duration_ns)(s * (double)TEMPORAL_SECOND);
}

/* Returns 0, or 2 on a usage error. */
static int parse_args(probe_options *o, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    const char *v = has_value ? argv[i + 1] : NULL;
#define VALUE()                                               \
  do {                                                        \
    if (!has_value) {                                         \
      fprintf(stderr, "client_probe: %s needs a value\n", a); \
      return 2;                                               \
    }                                                         \
    i++;                                                      \
  } while (0)
    if (strcmp(a, "--target") == 0) {
      VALUE();
      o->client.target = v;
    } else if (strcmp(a, "--namespace") == 0) {
      VALUE();
      o->client.namespace_ = v;
    } else if (strcmp(a, "--api-key") == 0) {
      VALUE();
      o->client.api_key = v;
    } else if (strcmp(a, "--tls") == 0) {
      o->client.tls = true;
    } else if (strcmp(a, "--connect-timeout-s") == 0) {
      VALUE();
      o->client.connect_timeout = seconds(atof(v));
    } else if (strcmp(a, "--task-queue") == 0) {
      VALUE();
      o->task_queue = v;
    } else if (strcmp(a, "--type") == 0) {
      VALUE();
      o->type = v;
    } else if (strcmp(a, "--id") == 0) {
      VALUE();
      o->id = v;
    } else if (strcmp(a, "--arg-json") == 0) {
      VALUE();
      if (o->arg_count == MAX_ARGS) {
        fprintf(stderr, "client_probe: at most %d arguments\n", MAX_ARGS);
        return 2;
      }
      o->args_json[o->arg_count++] = v;
    } else if (strcmp(a, "--timeout-s") == 0) {
      VALUE();
      o->timeout_s = atof(v);
    } else if (strcmp(a, "--start-to-close-s") == 0) {
      VALUE();
      o->start_to_close_s = atof(v);
    } else if (strcmp(a, "--schedule-to-close-s") == 0) {
      VALUE();
      o->schedule_to_close_s = atof(v);
    } else if (strcmp(a, "--heartbeat-timeout-s") == 0) {
      VALUE();
      o->heartbeat_timeout_s = atof(v);
    } else if (strcmp(a, "--execution-timeout-s") == 0) {
      VALUE();
      o->execution_timeout_s = atof(v);
    } else if (strcmp(a, "--max-attempts") == 0) {
      VALUE();
      o->max_attempts = atoi(v);
    } else if (strcmp(a, "--cancel-after-ms") == 0) {
      VALUE();
      o->cancel_after_ms = atol(v);
    } else if (strcmp(a, "--no-wait") == 0) {
      o->no_wait = true;
    } else if (a[0] != '-' && !o->command) {
      o->command = a;
    } else {
      fprintf(stderr, "client_probe: unknown argument %s\n", a);
      return 2;
    }
#undef VALUE
  }
  if (!o->command) return 2;
  return 0;
}

/* The exit status for a library error code (after printing it). */
static int report_error(const char *what, int rc) {
  fprintf(stderr, "client_probe: %s: %s: %s\n", what, temporal_strerror(rc), temporal_error_last());
  switch (rc) {
    case TEMPORAL_ENOTFOUND: return 3;
    case TEMPORAL_EFAILED: return 4;
    case TEMPORAL_ETIMEDOUT: return 5;
    default: return 1;
  }
}

static void free_payloads(temporal_payload **payloads, size_t count) {
  for (size_t i = 0; i < count; i++) temporal_payload_free(payloads[i]);
}

/* Builds one payload per --arg-json. Returns 0 or an exit status. */
static int build_args(temporal_payload **out, const probe_options *o) {
  for (size_t i = 0; i < o->arg_count; i++) {
    json_error_t err;
    json_t *value = json_loads(o->args_json[i], JSON_DECODE_ANY, &err);
    if (!value) {
      fprintf(stderr, "client_probe: --arg-json %s: %s\n", o->args_json[i], err.text);
      free_payloads(out, i);
      return 2;
    }
    int rc = temporal_payload_new_json(&out[i], value);
    json_decref(value);
    if (rc != 0) {
      free_payloads(out, i);
      return report_error("payload", rc);
    }
  }
  return 0;
}

static void print_payload(const temporal_payload *payload) {
  json_t *value = NULL;
  if (temporal_payload_to_json(&value, payload) == 0) {
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    printf("%s\n", text ? text : "null");
    free(text);
    json_decref(value);
    return;
  }
  size_t len = 0;
  temporal_payload_data(payload, &len);
  printf("{\"encoding\": \"%s\", \"bytes\": %zu}\n", temporal_payload_encoding(payload), len);
}

static void print_failure(const temporal_failure_info *f) {
  json_t *obj = json_pack("{s:{s:s?, s:s?, s:b, s:s?, s:s?}}", "failure", "type", f->type, "message",
                          f->message, "non_retryable", (int)f->non_retryable, "cause_type", f->cause_type,
                          "cause_message", f->cause_message);
  char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
  printf("%s\n", text ? text : "{\"failure\": {}}");
  free(text);
  json_decref(obj);
}

/* Prints the outcome of a wait and gives the exit status. */
static int finish(int rc, temporal_payload *result, temporal_failure_info *failure) {
  int status = 0;
  if (rc == 0) {
    print_payload(result);
  } else if (rc == TEMPORAL_EFAILED) {
    fprintf(stderr, "client_probe: %s\n", temporal_error_last());
    print_failure(failure);
    status = 4;
  } else {
    status = report_error("result", rc);
  }
  temporal_payload_free(result);
  temporal_failure_info_free(failure);
  return status;
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

static int run_activity(temporal_client *client, const probe_options *o, temporal_payload **args) {
  temporal_activity_options opts = TEMPORAL_ACTIVITY_OPTIONS_INIT;
  opts.activity_id = o->id;
  opts.activity_type = o->type;
  opts.task_queue = o->task_queue;
  opts.start_to_close_timeout = seconds(o->start_to_close_s);
  opts.schedule_to_close_timeout = seconds(o->schedule_to_close_s);
  if (opts.start_to_close_timeout == 0 && opts.schedule_to_close_timeout == 0)
    opts.start_to_close_timeout = 60 * TEMPORAL_SECOND;
  opts.heartbeat_timeout = seconds(o->heartbeat_timeout_s);
  opts.maximum_attempts = o->max_attempts;
  temporal_activity_handle *handle = NULL;
  int rc = temporal_client_start_activity(&handle, client, &opts, (const temporal_payload *const *)args,
                                          o->arg_count);
  if (rc != 0) return report_error("start-activity", rc);
  fprintf(stderr, "started %s run %s\n", temporal_activity_handle_id(handle),
          temporal_activity_handle_run_id(handle));
  int status = 0;
  if (o->cancel_after_ms > 0) {
    sleep_ms(o->cancel_after_ms);
    rc = temporal_activity_handle_cancel(handle, "cancelled by client_probe");
    if (rc != 0) status = report_error("cancel", rc);
  }
  if (status == 0 && !o->no_wait) {
    temporal_payload *result = NULL;
    temporal_failure_info failure;
    rc = temporal_activity_handle_result(&result, &failure, handle, seconds(o->timeout_s));
    status = finish(rc, result, &failure);
  }
  temporal_activity_handle_free(handle);
  return status;
}

static int run_workflow(temporal_client *client, const probe_options *o, temporal_payload **args) {
  temporal_workflow_options opts = TEMPORAL_WORKFLOW_OPTIONS_INIT;
  opts.workflow_id = o->id;
  opts.workflow_type = o->type;
  opts.task_queue = o->task_queue;
  opts.execution_timeout = seconds(o->execution_timeout_s);
  temporal_workflow_handle *handle = NULL;
  int rc = temporal_client_start_workflow(&handle, client, &opts, (const temporal_payload *const *)args,
                                          o->arg_count);
  if (rc != 0) return report_error("start-workflow", rc);
  fprintf(stderr, "started %s run %s\n", temporal_workflow_handle_id(handle),
          temporal_workflow_handle_run_id(handle));
  int status = 0;
  if (o->cancel_after_ms > 0) {
    sleep_ms(o->cancel_after_ms);
    rc = temporal_workflow_handle_cancel(handle);
    if (rc != 0) status = report_error("cancel", rc);
  }
  if (status == 0 && !o->no_wait) {
    temporal_payload *result = NULL;
    temporal_failure_info failure;
    rc = temporal_workflow_handle_result(&result, &failure, handle, seconds(o->timeout_s));
    status = finish(rc, result, &failure);
  }
  temporal_workflow_handle_free(handle);
  return status;
}

static int run_start(temporal_client *client, const probe_options *o, bool activity) {
  if (!o->task_queue || !o->type) {
    fprintf(stderr, "client_probe: %s needs --task-queue and --type\n", o->command);
    return 2;
  }
  temporal_payload *args[MAX_ARGS] = {0};
  int status = build_args(args, o);
  if (status != 0) return status;
  status = activity ? run_activity(client, o, args) : run_workflow(client, o, args);
  free_payloads(args, o->arg_count);
  return status;
}

int main(int argc, char **argv) {
  probe_options o;
  memset(&o, 0, sizeof o);
  temporal_client_options defaults = TEMPORAL_CLIENT_OPTIONS_INIT;
  o.client = defaults;
  o.timeout_s = 60;
  if (parse_args(&o, argc, argv) != 0) {
    usage();
    return 2;
  }
  bool known = strcmp(o.command, "server-info") == 0 || strcmp(o.command, "check-namespace") == 0 ||
               strcmp(o.command, "start-activity") == 0 || strcmp(o.command, "start-workflow") == 0;
  if (!known) {
    fprintf(stderr, "client_probe: unknown command %s\n", o.command);
    usage();
    return 2;
  }

  temporal_client *client = NULL;
  int rc = temporal_client_connect(&client, &o.client);
  if (rc != 0) return report_error("connect", rc);
  int status = 0;
  if (strcmp(o.command, "server-info") == 0) {
    printf("%s\n", temporal_client_server_version(client));
  } else if (strcmp(o.command, "check-namespace") == 0) {
    rc = temporal_client_check_namespace(client);
    if (rc != 0) status = report_error("check-namespace", rc);
  } else {
    status = run_start(client, &o, strcmp(o.command, "start-activity") == 0);
  }
  temporal_client_free(client);
  return status;
}
