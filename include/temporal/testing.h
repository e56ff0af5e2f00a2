/* Testing activities without a server: the C counterpart of the Python SDK's ActivityEnvironment.
 *
 * An activity environment runs one activity of any kind on the calling thread, with the same
 * context calls the worker gives it (temporal_activity_get_info, _heartbeat, _is_cancelled,
 * _wait_for_cancelled, _cancellation_details, _is_worker_shutdown, _log, ...), and hands its
 * outcome back to the test:
 *
 *   temporal_activity_environment *env = NULL;
 *   temporal_activity_environment_new(&env);
 *   temporal_payload *name = NULL;
 *   temporal_payload_new_string(&name, "Temporal");
 *   const temporal_payload *args[] = {name};
 *   static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(say_hello);
 *   temporal_result *result = NULL;
 *   temporal_activity_environment_run(&result, env, &defn, args, 1);
 *   json_t *value = NULL;
 *   temporal_result_value_json(&value, result);          // "Hello, Temporal!"
 *   json_decref(value);
 *   temporal_result_free(result);
 *   temporal_payload_free(name);
 *   temporal_activity_environment_free(env);
 *
 * What differs from a worker: heartbeats are not throttled (every call reaches the heartbeat
 * callback at once), no timeout is enforced, and nothing is reported anywhere; cancellation and
 * worker shutdown happen only when the test triggers them. As in Python, both triggers are sticky:
 * they act once, and a later run on the same environment starts cancelled (or shutting down); use a
 * new environment for a fresh start.
 *
 * Everything in this header appeared in 0.1.0. */
#ifndef TEMPORAL_TESTING_H
#define TEMPORAL_TESTING_H

#include <jansson.h>

#include "activity.h"
#include "common.h"
#include "converter.h"

TEMPORAL_BEGIN_DECLS

/* ---- The environment ---------------------------------------------------------------------------
 * Thread rules: new, free, the setters and run are called from one thread at a time (the test's),
 * and the setters not while a run is in progress. temporal_activity_environment_cancel and
 * temporal_activity_environment_shutdown_worker are safe from any thread at any time between new
 * and free, including from inside the heartbeat callback, an activity, or a thread racing a run. */
typedef struct temporal_activity_environment temporal_activity_environment;

/* Receives every heartbeat, synchronously, on the thread that called temporal_activity_heartbeat
 * (the running activity's thread). `details` are borrowed for the call (copy them to keep them);
 * `count` may be 0; `data` is what temporal_activity_environment_on_heartbeat was given. It may call
 * temporal_activity_environment_cancel/_shutdown_worker. */
typedef void (*temporal_activity_environment_heartbeat_cb)(const temporal_payload *const *details,
                                                           size_t count, void *data);

/* A new environment with the Python SDK's default info (see temporal_activity_environment_get_info)
 * and its own libuv loop for async activities. Free it with temporal_activity_environment_free. */
TEMPORAL_EXTERN int temporal_activity_environment_new(temporal_activity_environment **out);
/* Frees the environment, closing any handles still open on its loop (NULL is a no-op). No run may
 * be in progress and no other thread may still call cancel/shutdown_worker on it. */
TEMPORAL_EXTERN void temporal_activity_environment_free(temporal_activity_environment *env);

/* The info every run sees, borrowed until the next set_info or free. Defaults, as in Python:
 * activity_id "test", activity_type "unknown", activity_run_id "", namespace "default", task_queue
 * "test", workflow_id "test", workflow_run_id "test-run", workflow_type "test", task_token "test",
 * attempt 1, schedule_to_close and start_to_close 1 s, no heartbeat timeout, no retry policy,
 * default priority, not local, no heartbeat details. The times are 0 here, meaning "the moment the
 * run starts" (the activity sees that time, never 0). */
TEMPORAL_EXTERN const temporal_activity_info *temporal_activity_environment_get_info(
    const temporal_activity_environment *env);
/* Replaces the info (deep copy: strings, task token, retry policy's type list, fairness key; a NULL
 * string is ""); NULL `info` restores the defaults. Its heartbeat_details field is ignored: use
 * set_heartbeat_details. To change one
 * field, copy the current info, change it and set it back (aliasing the environment's own strings is
 * fine):
 *   temporal_activity_info info = *temporal_activity_environment_get_info(env);
 *   info.attempt = 3;
 *   temporal_activity_environment_set_info(env, &info);
 * TEMPORAL_ESTATE during a run. */
TEMPORAL_EXTERN int temporal_activity_environment_set_info(temporal_activity_environment *env,
                                                           const temporal_activity_info *info);
/* The details a "previous attempt" recorded, which the activity reads from info->heartbeat_details
 * (payloads copied; count 0 = none). TEMPORAL_EDECODE, and the old details kept, if one does not
 * decode as a worker would decode it. TEMPORAL_ESTATE during a run. */
TEMPORAL_EXTERN int temporal_activity_environment_set_heartbeat_details(
    temporal_activity_environment *env, const temporal_payload *const *details, size_t count);
/* Sets the heartbeat callback (NULL = heartbeats are accepted and dropped) and the `data` handed to it
 * as is (it stays yours). TEMPORAL_ESTATE during a run. */
TEMPORAL_EXTERN int temporal_activity_environment_on_heartbeat(temporal_activity_environment *env,
                                                               temporal_activity_environment_heartbeat_cb cb,
                                                               void *data);

/* Cancels the activity, as the worker does when the server asks it to (or times it out, or shuts
 * down past its grace period: say which in `reason`; NULL = {.cancel_requested = true}; copied).
 * temporal_activity_is_cancelled becomes true, temporal_activity_wait_for_cancelled wakes, and
 * temporal_activity_cancellation_details returns `reason`. For an async activity, its cancel callback
 * (temporal_activity_on_cancel) is called once on the loop thread, as soon as it is registered.
 * Only the first call has an effect; a run that starts later starts cancelled. Any thread. */
TEMPORAL_EXTERN int temporal_activity_environment_cancel(temporal_activity_environment *env,
                                                         const temporal_cancellation_details *reason);
/* Tells the activity the worker is shutting down: temporal_activity_is_worker_shutdown becomes true
 * and temporal_activity_wait_for_worker_shutdown wakes. It does not cancel (a worker cancels only
 * after its grace period: call cancel with .worker_shutdown for that). Only the first call has an
 * effect. Any thread. */
TEMPORAL_EXTERN int temporal_activity_environment_shutdown_worker(temporal_activity_environment *env);

/* The environment's libuv loop (borrowed from it), which async activities run on (temporal_activity_loop
 * gives them the same loop). A test may add its own handles to it before a run, e.g. a timer that cancels;
 * the loop runs only while temporal_activity_environment_run runs an async activity, on the thread
 * calling it. Handles still open when the environment is freed are closed then (their memory must
 * still be valid). */
TEMPORAL_EXTERN uv_loop_t *temporal_activity_environment_loop(temporal_activity_environment *env);

/* Runs the activity of `definition` (sync or async; dynamic ones too, with info's activity_type)
 * with `args` (payloads copied and decoded as the worker decodes them) and gives its outcome to
 * *out (owned by the caller: temporal_result_free). `definition` is borrowed for the run.
 *   sync:  the function runs on the calling thread; its result is the outcome (NULL = none).
 *   async: the function starts on the calling thread, which then runs the environment's loop until
 *          the activity calls temporal_activity_complete, then a little longer (at most 100 ms) so
 *          the handles it closed finish closing. Handles it leaves open stay on the loop.
 * Returns 0 whenever the activity ran, whatever its outcome; an input that does not decode gives
 * the worker's failure "Failed decoding arguments" as the outcome, without calling the function.
 * Fails (nothing in *out) with TEMPORAL_EINVAL on a bad definition or arguments, TEMPORAL_ESTATE
 * when called during a run, or when an async activity has not completed and can never complete
 * (nothing left on the loop, and no cancellation left to deliver), TEMPORAL_ENOMEM. Runs may repeat
 * on one environment, one at a time. */
TEMPORAL_EXTERN int temporal_activity_environment_run(temporal_result **out,
                                                      temporal_activity_environment *env,
                                                      const temporal_activity_definition *definition,
                                                      const temporal_payload *const *args, size_t arg_count);

/* ---- Reading results ---------------------------------------------------------------------------
 * For tests (and anyone else holding a temporal_result): what kind of outcome it is and what it
 * holds. Everything returned is borrowed from the result unless it says otherwise. Any thread, while
 * the result is not freed or handed over. */
typedef enum temporal_result_kind {
  TEMPORAL_RESULT_VALUE = 1,     /* a value (binary/null for "nothing") */
  TEMPORAL_RESULT_ERROR = 2,     /* an application error */
  TEMPORAL_RESULT_CANCELLED = 3, /* temporal_result_cancelled() */
  TEMPORAL_RESULT_ASYNC = 4,     /* temporal_result_async(): completed later through a client */
} temporal_result_kind;

/* The kind; 0 for NULL. */
TEMPORAL_EXTERN temporal_result_kind temporal_result_kind_of(const temporal_result *result);
/* The value's payload; NULL unless the result is a value. */
TEMPORAL_EXTERN const temporal_payload *temporal_result_value(const temporal_result *result);
/* The value decoded as JSON (a new reference; binary/null gives JSON null). TEMPORAL_ETYPE when the
 * result is not a value (the message says what it is, with an error's type and message),
 * TEMPORAL_EDECODE for a value that is not JSON (bytes). */
TEMPORAL_EXTERN int temporal_result_value_json(json_t **out, const temporal_result *result);
/* The application error; NULL unless the result is an error. */
TEMPORAL_EXTERN const temporal_application_error *temporal_result_get_error(const temporal_result *result);

TEMPORAL_END_DECLS

#endif
