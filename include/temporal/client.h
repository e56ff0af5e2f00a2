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
  const char *target;     /* "host:port"; NULL = "localhost:7233" */
  const char *namespace_; /* NULL = "default" */
  const char *identity;   /* NULL = "pid@hostname" */
  const char *api_key;    /* sent as "authorization: Bearer <key>" when set; turns TLS on (below) */
  bool tls;               /* TLS with the system roots, or tls_root_certs_pem; also on with api_key */
  const char *tls_root_certs_pem;
  const char *tls_server_name;          /* overrides the name checked in the server's certificate */
  temporal_duration_ns connect_timeout; /* 0 = 10 s: how long connect waits for GetSystemInfo */
  /* Version 2. An api_key is a secret, so it turns TLS on even when `tls` is false (as the Python
   * SDK does); set this to send it over plaintext anyway (e.g. to a local proxy that adds TLS).
   * Setting it together with `tls` or tls_root_certs_pem is an error. */
  bool plaintext_api_key;
} temporal_client_options;
#define TEMPORAL_CLIENT_OPTIONS_VERSION 2
#define TEMPORAL_CLIENT_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_client_options, TEMPORAL_CLIENT_OPTIONS_VERSION)

/* Connects and asks the server for its system info; fails with TEMPORAL_ETRANSPORT when the server
 * cannot be reached before connect_timeout. NULL `opts` = every default (localhost:7233, namespace
 * "default"); the strings in it are copied. Versions 1 and 2 are accepted (a version 1 struct reads
 * as plaintext_api_key = false). *out is the caller's: temporal_client_free. Any thread; blocks for
 * the connection. */
TEMPORAL_EXTERN int temporal_client_connect(temporal_client **out, const temporal_client_options *opts);
/* Closes the connection. Call it once everything made from the client (workers, handles) was freed and
 * no call on it is in flight; any thread. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_client_free(temporal_client *client);

/* The namespace, identity and server version ("" when the server did not say) the client uses,
 * borrowed from it until temporal_client_free. Any thread. */
TEMPORAL_EXTERN const char *temporal_client_namespace(const temporal_client *client);
TEMPORAL_EXTERN const char *temporal_client_identity(const temporal_client *client);
TEMPORAL_EXTERN const char *temporal_client_server_version(const temporal_client *client);
/* Checks that the client's namespace exists (DescribeNamespace): TEMPORAL_ENOTFOUND if not. Any
 * thread; blocks for one RPC. */
TEMPORAL_EXTERN int temporal_client_check_namespace(temporal_client *client);

/* The outcome of a workflow or activity awaited through the client: on TEMPORAL_EFAILED the failure
 * is described here, in strings the caller owns. temporal_failure_info_free frees them (not the
 * struct, which is the caller's, e.g. on its stack) and zeroes the fields; any thread. */
typedef struct temporal_failure_info {
  char *message; /* the top failure's message */
  char *type;    /* application failure type, or the failure kind ("CanceledError", "TimeoutError") */
  bool non_retryable;
  char *cause_message; /* the cause's message, if any (e.g. the activity's error under ActivityError) */
  char *cause_type;
} temporal_failure_info;
TEMPORAL_EXTERN void temporal_failure_info_free(temporal_failure_info *info);

/* ---- Workflows --------------------------------------------------------------------------------- */

typedef struct temporal_workflow_options {
  unsigned int version;
  const char *workflow_id;                /* NULL = a random UUID */
  const char *workflow_type;              /* required */
  const char *task_queue;                 /* required */
  temporal_duration_ns execution_timeout; /* 0 = none */
} temporal_workflow_options;
#define TEMPORAL_WORKFLOW_OPTIONS_VERSION 1
#define TEMPORAL_WORKFLOW_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_workflow_options, TEMPORAL_WORKFLOW_OPTIONS_VERSION)

/* A started workflow: its ids, borrowed from the client (free the handle first). A handle never
 * changes after it is made: any number of threads may use one at once; free it once no call on it is
 * in flight. */
typedef struct temporal_workflow_handle temporal_workflow_handle;

/* Starts a workflow with positional arguments (copied). `opts` is required (workflow_type and
 * task_queue have no default): NULL is TEMPORAL_EINVAL. *out is the caller's:
 * temporal_workflow_handle_free. Any thread; blocks for one RPC. */
TEMPORAL_EXTERN int temporal_client_start_workflow(temporal_workflow_handle **out, temporal_client *client,
                                                   const temporal_workflow_options *opts,
                                                   const temporal_payload *const *args, size_t arg_count);
/* The workflow id and run id, borrowed from the handle. */
TEMPORAL_EXTERN const char *temporal_workflow_handle_id(const temporal_workflow_handle *handle);
TEMPORAL_EXTERN const char *temporal_workflow_handle_run_id(const temporal_workflow_handle *handle);
/* Waits for the workflow to close (long polls, following continue-as-new is not done). On success
 * *out receives the result payload (binary/null when none), the caller's. On failure returns
 * TEMPORAL_EFAILED and fills *failure_out if given (temporal_failure_info_free);
 * TEMPORAL_ETIMEDOUT when `timeout` (0 = none) passed first. Blocks the calling thread. */
TEMPORAL_EXTERN int temporal_workflow_handle_result(temporal_payload **out,
                                                    temporal_failure_info *failure_out,
                                                    temporal_workflow_handle *handle,
                                                    temporal_duration_ns timeout);
/* Requests cancellation of the workflow; blocks for one RPC. */
TEMPORAL_EXTERN int temporal_workflow_handle_cancel(temporal_workflow_handle *handle);
/* NULL is a no-op. */
TEMPORAL_EXTERN void temporal_workflow_handle_free(temporal_workflow_handle *handle);

/* ---- Standalone activities (server 1.30+) ------------------------------------------------------ */

typedef struct temporal_activity_options {
  unsigned int version;
  const char *activity_id;                        /* NULL = a random UUID */
  const char *activity_type;                      /* required */
  const char *task_queue;                         /* required */
  temporal_duration_ns schedule_to_close_timeout; /* one of these two is required */
  temporal_duration_ns start_to_close_timeout;
  temporal_duration_ns heartbeat_timeout; /* 0 = none */
  int32_t maximum_attempts;               /* 0 = the server's default (unlimited) */
} temporal_activity_options;
#define TEMPORAL_ACTIVITY_OPTIONS_VERSION 1
#define TEMPORAL_ACTIVITY_OPTIONS_INIT \
  TEMPORAL__OPTIONS_INIT(temporal_activity_options, TEMPORAL_ACTIVITY_OPTIONS_VERSION)

/* A started standalone activity; as a workflow handle: borrows the client, never changes, any number of
 * threads at once. */
typedef struct temporal_activity_handle temporal_activity_handle;

/* Starts an activity that belongs to no workflow, with positional arguments (copied). `opts` is
 * required (activity_type, task_queue and a timeout have no default): NULL is TEMPORAL_EINVAL. *out
 * is the caller's: temporal_activity_handle_free. Any thread; blocks for one RPC. */
TEMPORAL_EXTERN int temporal_client_start_activity(temporal_activity_handle **out, temporal_client *client,
                                                   const temporal_activity_options *opts,
                                                   const temporal_payload *const *args, size_t arg_count);
/* The activity id and run id, borrowed from the handle. */
TEMPORAL_EXTERN const char *temporal_activity_handle_id(const temporal_activity_handle *handle);
TEMPORAL_EXTERN const char *temporal_activity_handle_run_id(const temporal_activity_handle *handle);
/* Waits for the outcome, as temporal_workflow_handle_result (ownership and blocking the same). */
TEMPORAL_EXTERN int temporal_activity_handle_result(temporal_payload **out,
                                                    temporal_failure_info *failure_out,
                                                    temporal_activity_handle *handle,
                                                    temporal_duration_ns timeout);
/* Requests cancellation, with a reason for the record (NULL = none); blocks for one RPC. */
TEMPORAL_EXTERN int temporal_activity_handle_cancel(temporal_activity_handle *handle, const char *reason);
/* NULL is a no-op. */
TEMPORAL_EXTERN void temporal_activity_handle_free(temporal_activity_handle *handle);

/* ---- Async activity completion ------------------------------------------------------------------
 * An activity that returned temporal_result_async() stays open on the server until someone finishes
 * it through one of these handles: this process or any other that has a client on the same namespace
 * (pass the task token or the ids along however you like).
 *
 * A handle only names the activity; it holds no server state and makes no call until used. It
 * borrows `client` (free the handle first) and never changes after it is made, so any number of
 * threads may use one handle at once; free it once no call on it is in flight. The calls block for
 * one RPC (10 s per attempt; transient errors are retried). Each of complete, fail and
 * report_cancellation settles the activity: afterwards, and for an activity that timed out or never
 * existed, calls return TEMPORAL_ENOTFOUND ("activity not found: already completed, timed out, or
 * never existed"). */
typedef struct temporal_async_activity_handle temporal_async_activity_handle;

/* The three constructors make no call; *out is the caller's: temporal_async_activity_handle_free.
 * Any thread. */

/* By the task token the activity saw (temporal_activity_info.task_token): the exact attempt.
 * The token is copied. */
TEMPORAL_EXTERN int temporal_client_async_activity_by_token(temporal_async_activity_handle **out,
                                                            temporal_client *client,
                                                            const uint8_t *task_token, size_t task_token_len);
/* By ids, for an activity of a workflow: whatever attempt is current. workflow_id and activity_id
 * are required; run_id NULL or "" means the workflow's current run. Strings are copied. */
TEMPORAL_EXTERN int temporal_client_async_activity_by_id(temporal_async_activity_handle **out,
                                                         temporal_client *client, const char *workflow_id,
                                                         const char *run_id, const char *activity_id);
/* By ids, for a standalone activity (temporal_client_start_activity): its activity id and run id
 * (temporal_activity_info.activity_run_id, temporal_activity_handle_run_id; NULL or "" = the latest
 * run). Strings are copied. */
TEMPORAL_EXTERN int temporal_client_async_activity_standalone(temporal_async_activity_handle **out,
                                                              temporal_client *client,
                                                              const char *activity_id,
                                                              const char *activity_run_id);

/* Completes the activity with `result` (borrowed; NULL = no value, sent as binary/null). */
TEMPORAL_EXTERN int temporal_async_activity_complete(temporal_async_activity_handle *handle,
                                                     const temporal_payload *result);
/* Fails the attempt with `error` (borrowed; its type, non_retryable, details, next_retry_delay,
 * category and causes are sent). The server retries it per the activity's retry policy, as for a
 * failure the worker reports. */
TEMPORAL_EXTERN int temporal_async_activity_fail(temporal_async_activity_handle *handle,
                                                 const temporal_application_error *error);

/* What the server answered to a heartbeat: the reasons the activity should stop. */
typedef struct temporal_async_heartbeat_response {
  bool cancel_requested; /* stop, then temporal_async_activity_report_cancellation */
  bool paused;           /* the activity was paused */
  bool reset;            /* the activity was reset */
} temporal_async_heartbeat_response;

/* Records a heartbeat with optional details (borrowed; count 0 = none). Unlike
 * temporal_activity_heartbeat this is not throttled: every call is one RPC. `response_out` (may be
 * NULL) says whether cancellation, a pause or a reset was requested; it is all false on error.
 * The worker no longer heartbeats an activity it handed over, so when the activity has a
 * heartbeat_timeout, whoever completes it must heartbeat within it or the server times it out. */
TEMPORAL_EXTERN int temporal_async_activity_heartbeat(temporal_async_activity_handle *handle,
                                                      const temporal_payload *const *details, size_t count,
                                                      temporal_async_heartbeat_response *response_out);
/* Reports that the activity stopped because it was cancelled, with optional details (borrowed).
 * The server accepts this only after cancellation was requested (a heartbeat said cancel_requested);
 * otherwise TEMPORAL_ESTATE, and the activity stays open (fail it instead). */
TEMPORAL_EXTERN int temporal_async_activity_report_cancellation(temporal_async_activity_handle *handle,
                                                                const temporal_payload *const *details,
                                                                size_t count);
/* NULL is a no-op. */
TEMPORAL_EXTERN void temporal_async_activity_handle_free(temporal_async_activity_handle *handle);

TEMPORAL_END_DECLS

#endif
