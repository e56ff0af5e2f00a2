/* client_probe: drives the temporal-c client end to end against a real server, for the integration
 * tests and by hand.
 *
 *   client_probe --target HOST:PORT [--namespace NS] [--api-key KEY] [--plaintext-api-key] [--tls]
 *                [--connect-timeout-s N] COMMAND
 *
 * Commands:
 *   server-info                       prints the server version
 *   check-namespace                   exit 0, or prints the error and exits 3 when the namespace is missing
 *   start-activity --task-queue Q --type T [--id ID] [--arg-json JSON]... [--timeout-s N]
 *                  [--start-to-close-s N] [--schedule-to-close-s N] [--heartbeat-timeout-s N]
 *                  [--max-attempts N] [--cancel-after-ms N] [--no-wait]
 *   start-workflow --task-queue Q --type T [--id ID] [--arg-json JSON]... [--timeout-s N]
 *                  [--execution-timeout-s N] [--cancel-after-ms N] [--no-wait]
 *   async-complete  ACTIVITY [--result-json J]          completes it (no --result-json: no value)
 *   async-fail      ACTIVITY --message M [--type T] [--non-retryable] [--details-json J]...
 *   async-heartbeat ACTIVITY [--details-json J]...      prints {"cancel_requested","paused","reset"}
 *   async-cancel    ACTIVITY [--details-json J]...      reports the activity cancelled
 *     where ACTIVITY is --token HEX (the task token), or --workflow-id W [--run-id R] --activity-id A,
 *     or --activity-id A [--activity-run-id R] (a standalone activity)
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
  /* async-*: which activity, and what to send */
  const char *token_hex;
  const char *workflow_id;
  const char *run_id;
  const char *activity_id;
  const char *activity_run_id;
  const char *result_json;
  const char *message;
  bool non_retryable;
  const char *details_json[MAX_ARGS];
  size_t detail_count;
} probe_options;

static void usage(void) {
  fprintf(stderr,
          "usage: client_probe --target HOST:PORT [--namespace NS] [--api-key KEY] [--plaintext-api-key]\n"
          "                    [--tls] [--connect-timeout-s N]\n"
          "                    server-info | check-namespace |\n"
          "                    start-activity --task-queue Q --type T [--id ID] [--arg-json JSON]... "
          "[--timeout-s N]\n"
          "                      [--start-to-close-s N] [--schedule-to-close-s N] [--heartbeat-timeout-s N]\n"
          "                      [--max-attempts N] [--cancel-after-ms N] [--no-wait] |\n"
          "                    start-workflow --task-queue Q --type T [--id ID] [--arg-json JSON]... "
          "[--timeout-s N]\n"
          "                      [--execution-timeout-s N] [--cancel-after-ms N] [--no-wait] |\n"
          "                    async-complete ACTIVITY [--result-json J] |\n"
          "                    async-fail ACTIVITY --message M [--type T] [--non-retryable]\n"
          "                      [--details-json J]... |\n"
          "                    async-heartbeat ACTIVITY [--details-json J]... |\n"
          "                    async-cancel ACTIVITY [--details-json J]...\n"
          "  ACTIVITY: --token HEX | --workflow-id W [--run-id R] --activity-id A |\n"
          "            --activity-id A [--activity-run-id R]\n");
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
    } else if (strcmp(a, "--plaintext-api-key") == 0) {
      o->client.plaintext_api_key = true;
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
    } else if (strcmp(a, "--token") == 0) {
      VALUE();
      o->token_hex = v;
    } else if (strcmp(a, "--workflow-id") == 0) {
      VALUE();
      o->workflow_id = v;
    } else if (strcmp(a, "--run-id") == 0) {
      VALUE();
      o->run_id = v;
    } else if (strcmp(a, "--activity-id") == 0) {
      VALUE();
      o->activity_id = v;
    } else if (strcmp(a, "--activity-run-id") == 0) {
      VALUE();
      o->activity_run_id = v;
    } else if (strcmp(a, "--result-json") == 0) {
      VALUE();
      o->result_json = v;
    } else if (strcmp(a, "--message") == 0) {
      VALUE();
      o->message = v;
    } else if (strcmp(a, "--non-retryable") == 0) {
      o->non_retryable = true;
    } else if (strcmp(a, "--details-json") == 0) {
      VALUE();
      if (o->detail_count == MAX_ARGS) {
        fprintf(stderr, "client_probe: at most %d details\n", MAX_ARGS);
        return 2;
      }
      o->details_json[o->detail_count++] = v;
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

/* Builds one payload per JSON text (--arg-json, --details-json). Returns 0 or an exit status. */
static int build_json_payloads(temporal_payload **out, const char *const *texts, size_t count,
                               const char *flag) {
  for (size_t i = 0; i < count; i++) {
    json_error_t err;
    json_t *value = json_loads(texts[i], JSON_DECODE_ANY, &err);
    if (!value) {
      fprintf(stderr, "client_probe: %s %s: %s\n", flag, texts[i], err.text);
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

static int build_args(temporal_payload **out, const probe_options *o) {
  return build_json_payloads(out, o->args_json, o->arg_count, "--arg-json");
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

/* ---- async completion ---------------------------------------------------------------------- */

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes --token into malloc'd bytes. Returns 0 or 2 (usage). */
static int decode_hex(uint8_t **out, size_t *len_out, const char *hex) {
  size_t n = strlen(hex);
  if (n == 0 || n % 2 != 0) {
    fprintf(stderr, "client_probe: --token needs an even number of hex digits\n");
    return 2;
  }
  uint8_t *bytes = malloc(n / 2);
  if (!bytes) return 1;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      fprintf(stderr, "client_probe: --token: not a hex digit at %zu\n", 2 * i);
      free(bytes);
      return 2;
    }
    bytes[i] = (uint8_t)(hi << 4 | lo);
  }
  *out = bytes;
  *len_out = n / 2;
  return 0;
}

/* The handle the ACTIVITY options name. Returns 0 or an exit status. */
static int open_async_handle(temporal_async_activity_handle **out, temporal_client *client,
                             const probe_options *o) {
  int rc;
  if (o->token_hex) {
    uint8_t *token = NULL;
    size_t len = 0;
    int status = decode_hex(&token, &len, o->token_hex);
    if (status != 0) return status;
    rc = temporal_client_async_activity_by_token(out, client, token, len);
    free(token);
  } else if (o->workflow_id && o->activity_id) {
    rc = temporal_client_async_activity_by_id(out, client, o->workflow_id, o->run_id, o->activity_id);
  } else if (o->activity_id) {
    rc = temporal_client_async_activity_standalone(out, client, o->activity_id, o->activity_run_id);
  } else {
    fprintf(stderr, "client_probe: %s needs --token, --workflow-id with --activity-id, or --activity-id\n",
            o->command);
    return 2;
  }
  return rc == 0 ? 0 : report_error("handle", rc);
}

static int async_fail(temporal_async_activity_handle *handle, const probe_options *o,
                      temporal_payload **details) {
  if (!o->message) {
    fprintf(stderr, "client_probe: async-fail needs --message\n");
    return 2;
  }
  temporal_application_error *err = NULL;
  int rc = temporal_application_error_new(&err, o->type, o->message);
  if (rc == 0) rc = temporal_application_error_set_non_retryable(err, o->non_retryable);
  for (size_t i = 0; rc == 0 && i < o->detail_count; i++)
    rc = temporal_application_error_add_detail(err, details[i]);
  if (rc == 0) rc = temporal_async_activity_fail(handle, err);
  temporal_application_error_free(err);
  return rc == 0 ? 0 : report_error("async-fail", rc);
}

static int async_heartbeat(temporal_async_activity_handle *handle, const probe_options *o,
                           temporal_payload **details) {
  temporal_async_heartbeat_response resp;
  int rc = temporal_async_activity_heartbeat(handle, (const temporal_payload *const *)details,
                                             o->detail_count, &resp);
  if (rc != 0) return report_error("async-heartbeat", rc);
  printf("{\"cancel_requested\": %s, \"paused\": %s, \"reset\": %s}\n",
         resp.cancel_requested ? "true" : "false", resp.paused ? "true" : "false",
         resp.reset ? "true" : "false");
  return 0;
}

static int async_complete(temporal_async_activity_handle *handle, const probe_options *o) {
  temporal_payload *result = NULL;
  if (o->result_json) {
    const char *texts[1] = {o->result_json};
    int status = build_json_payloads(&result, texts, 1, "--result-json");
    if (status != 0) return status;
  }
  int rc = temporal_async_activity_complete(handle, result);
  temporal_payload_free(result);
  return rc == 0 ? 0 : report_error("async-complete", rc);
}

static int run_async(temporal_client *client, const probe_options *o) {
  temporal_async_activity_handle *handle = NULL;
  int status = open_async_handle(&handle, client, o);
  if (status != 0) return status;
  temporal_payload *details[MAX_ARGS] = {0};
  status = build_json_payloads(details, o->details_json, o->detail_count, "--details-json");
  if (status == 0) {
    if (strcmp(o->command, "async-complete") == 0) {
      status = async_complete(handle, o);
    } else if (strcmp(o->command, "async-fail") == 0) {
      status = async_fail(handle, o, details);
    } else if (strcmp(o->command, "async-heartbeat") == 0) {
      status = async_heartbeat(handle, o, details);
    } else {
      int rc = temporal_async_activity_report_cancellation(handle, (const temporal_payload *const *)details,
                                                           o->detail_count);
      if (rc != 0) status = report_error("async-cancel", rc);
    }
    free_payloads(details, o->detail_count);
  }
  temporal_async_activity_handle_free(handle);
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
  bool async = strncmp(o.command, "async-", 6) == 0;
  if (async)
    known = strcmp(o.command, "async-complete") == 0 || strcmp(o.command, "async-fail") == 0 ||
            strcmp(o.command, "async-heartbeat") == 0 || strcmp(o.command, "async-cancel") == 0;
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
  } else if (async) {
    status = run_async(client, &o);
  } else {
    status = run_start(client, &o, strcmp(o.command, "start-activity") == 0);
  }
  temporal_client_free(client);
  return status;
}
