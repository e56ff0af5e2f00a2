/* The client: a connection to a Temporal server (a dev server, a self-hosted cluster or Temporal
 * Cloud), shared by workers and by code that starts workflows and standalone activities.
 * A client is thread-safe: any thread may use it; free it after every worker that uses it. */
#ifndef TEMPORAL_CLIENT_H
#define TEMPORAL_CLIENT_H

#include "common.h"
#include "converter.h"

TEMPORAL_BEGIN_DECLS

typedef struct temporal_client temporal_client;

typedef struct temporal_client_options {
  unsigned int version;
  const char *target;      /* "host:port"; NULL = "localhost:7233" */
  const char *namespace_;  /* NULL = "default" */
  const char *identity;    /* NULL = "pid@hostname" */
  const char *api_key;     /* sent as "authorization: Bearer <key>" when set */
  bool tls;                /* TLS with the system roots, or tls_root_certs_pem */
  const char *tls_root_certs_pem;
  const char *tls_server_name; /* overrides the name checked in the server's certificate */
  temporal_duration_ns connect_timeout; /* 0 = 10 s: how long connect waits for GetSystemInfo */
} temporal_client_options;
#define TEMPORAL_CLIENT_OPTIONS_VERSION 1
#define TEMPORAL_CLIENT_OPTIONS_INIT {TEMPORAL_CLIENT_OPTIONS_VERSION, 0, 0, 0, 0, false, 0, 0, 0}

/* Connects and asks the server for its system info; fails with TEMPORAL_ETRANSPORT when the server
 * cannot be reached before connect_timeout. */
TEMPORAL_EXTERN int temporal_client_connect(temporal_client **out, const temporal_client_options *opts);
TEMPORAL_EXTERN void temporal_client_free(temporal_client *client);

TEMPORAL_EXTERN const char *temporal_client_namespace(const temporal_client *client);
TEMPORAL_EXTERN const char *temporal_client_identity(const temporal_client *client);
/* The server's version from GetSystemInfo ("" when it did not say). */
TEMPORAL_EXTERN const char *temporal_client_server_version(const temporal_client *client);
/* Checks that the client's namespace exists (DescribeNamespace): TEMPORAL_ENOTFOUND if not. */
TEMPORAL_EXTERN int temporal_client_check_namespace(temporal_client *client);

/* The outcome of a workflow or activity awaited through the client: on TEMPORAL_EFAILED the failure
 * is described here. Free with temporal_failure_info_free. */
typedef struct temporal_failure_info {
  char *message;      /* the top failure's message */
  char *type;         /* application failure type, or the failure kind ("CanceledError", "TimeoutError") */
  bool non_retryable;
  char *cause_message; /* the cause's message, if any (e.g. the activity's error under ActivityError) */
  char *cause_type;
} temporal_failure_info;
TEMPORAL_EXTERN void temporal_failure_info_free(temporal_failure_info *info);

/* ---- Workflows --------------------------------------------------------------------------------- */

typedef struct temporal_workflow_options {
  unsigned int version;
  const char *workflow_id;  /* NULL = a random UUID */
  const char *workflow_type; /* required */
  const char *task_queue;    /* required */
  temporal_duration_ns execution_timeout; /* 0 = none */
} temporal_workflow_options;
#define TEMPORAL_WORKFLOW_OPTIONS_VERSION 1
#define TEMPORAL_WORKFLOW_OPTIONS_INIT {TEMPORAL_WORKFLOW_OPTIONS_VERSION, 0, 0, 0, 0}

typedef struct temporal_workflow_handle temporal_workflow_handle;

/* Starts a workflow with positional arguments (copied). */
TEMPORAL_EXTERN int temporal_client_start_workflow(temporal_workflow_handle **out, temporal_client *client,
                                                   const temporal_workflow_options *opts,
                                                   const temporal_payload *const *args, size_t arg_count);
TEMPORAL_EXTERN const char *temporal_workflow_handle_id(const temporal_workflow_handle *handle);
TEMPORAL_EXTERN const char *temporal_workflow_handle_run_id(const temporal_workflow_handle *handle);
/* Waits for the workflow to close (long polls, following continue-as-new is not done). On success
 * *out receives the result payload (binary/null when none). On failure returns TEMPORAL_EFAILED and
 * fills *failure_out if given; TEMPORAL_ETIMEDOUT when `timeout` (0 = none) passed first. */
TEMPORAL_EXTERN int temporal_workflow_handle_result(temporal_payload **out, temporal_failure_info *failure_out,
                                                    temporal_workflow_handle *handle, temporal_duration_ns timeout);
TEMPORAL_EXTERN int temporal_workflow_handle_cancel(temporal_workflow_handle *handle);
TEMPORAL_EXTERN void temporal_workflow_handle_free(temporal_workflow_handle *handle);

/* ---- Standalone activities (server 1.30+) ------------------------------------------------------ */

typedef struct temporal_activity_options {
  unsigned int version;
  const char *activity_id;    /* NULL = a random UUID */
  const char *activity_type;  /* required */
  const char *task_queue;     /* required */
  temporal_duration_ns schedule_to_close_timeout; /* one of these two is required */
  temporal_duration_ns start_to_close_timeout;
  temporal_duration_ns heartbeat_timeout;         /* 0 = none */
  int32_t maximum_attempts;                       /* 0 = the server's default (unlimited) */
} temporal_activity_options;
#define TEMPORAL_ACTIVITY_OPTIONS_VERSION 1
#define TEMPORAL_ACTIVITY_OPTIONS_INIT {TEMPORAL_ACTIVITY_OPTIONS_VERSION, 0, 0, 0, 0, 0, 0, 0}

typedef struct temporal_activity_handle temporal_activity_handle;

/* Starts an activity that belongs to no workflow, with positional arguments (copied). */
TEMPORAL_EXTERN int temporal_client_start_activity(temporal_activity_handle **out, temporal_client *client,
                                                   const temporal_activity_options *opts,
                                                   const temporal_payload *const *args, size_t arg_count);
TEMPORAL_EXTERN const char *temporal_activity_handle_id(const temporal_activity_handle *handle);
TEMPORAL_EXTERN const char *temporal_activity_handle_run_id(const temporal_activity_handle *handle);
/* Waits for the outcome, as temporal_workflow_handle_result. */
TEMPORAL_EXTERN int temporal_activity_handle_result(temporal_payload **out, temporal_failure_info *failure_out,
                                                    temporal_activity_handle *handle, temporal_duration_ns timeout);
TEMPORAL_EXTERN int temporal_activity_handle_cancel(temporal_activity_handle *handle, const char *reason);
TEMPORAL_EXTERN void temporal_activity_handle_free(temporal_activity_handle *handle);

TEMPORAL_END_DECLS

#endif
