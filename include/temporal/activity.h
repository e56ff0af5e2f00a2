/* Activities: definitions, arguments, results and the running activity's context.
 *
 * An activity is a C function registered under a name. Its kind follows its signature, as in Python
 * it follows `async def` vs `def`:
 *
 *   sync:   temporal_result *fn(temporal_activity *activity, const temporal_args *args);
 *           runs on the worker's activity_executor (a thread pool, a process pool, or your own) and
 *           returns its outcome.
 *   async:  void fn(temporal_activity *activity, const temporal_args *args);
 *           starts on the worker's libuv loop thread, returns at once, and finishes later by calling
 *           temporal_activity_complete() from the loop thread. It holds no thread while it waits.
 *
 * Arguments are positional only: one payload per argument, read with the typed getters below.
 *
 * C++ programs use the same functions and macros; give activity functions C language linkage
 * (extern "C") and let no exception leave them. */
#ifndef TEMPORAL_ACTIVITY_H
#define TEMPORAL_ACTIVITY_H

#include <jansson.h>

#include "common.h"
#include "converter.h"
#include "log.h"

/* libuv's loop, the one libuv type these headers name, declared as libuv declares it so that they do
 * not include <uv.h>. An activity that uses libuv includes <uv.h> itself, before or after these
 * headers: a typedef repeated for the same type is valid C11 and C++. */
typedef struct uv_loop_s uv_loop_t;

TEMPORAL_BEGIN_DECLS

/* The running activity: its info and context. The pointer an activity function receives is valid
 * until the activity finishes: the sync function returns, or the async one calls
 * temporal_activity_complete. Code that may run later (a helper thread, a late callback) must hold
 * a reference (temporal_activity_ref below). Context calls are safe from any thread; the blocking
 * waits are for the sync kinds only. */
typedef struct temporal_activity temporal_activity;
/* The activity's positional arguments; owned by the activity. */
typedef struct temporal_args temporal_args;
/* An outcome: a value, nothing, or an error. Made by the temporal_result_* constructors, which never
 * fail (under memory exhaustion they return a shared "out of memory" failure), and taken by the
 * worker when the activity returns it or passes it to temporal_activity_complete. */
typedef struct temporal_result temporal_result;

typedef temporal_result *(*temporal_sync_activity_fn)(temporal_activity *activity, const temporal_args *args);
typedef void (*temporal_async_activity_fn)(temporal_activity *activity, const temporal_args *args);

typedef enum temporal_activity_kind {
  TEMPORAL_ACTIVITY_KIND_SYNC = 1,
  TEMPORAL_ACTIVITY_KIND_ASYNC = 2,
} temporal_activity_kind;

/* Flags of a definition. */
#define TEMPORAL_ACTIVITY_DYNAMIC 0x1u /* receives every type with no registered function */

/* A definition is a plain value; arrays of them may be static const. Build one with the macros. */
typedef struct temporal_activity_definition {
  const char *name;
  temporal_activity_kind kind;
  temporal_sync_activity_fn sync_fn;
  temporal_async_activity_fn async_fn;
  unsigned int flags;
  void *data; /* handed back by temporal_activity_data() */
} temporal_activity_definition;

/* The definition macros below pick the kind from the function's type, in C with _Generic and in C++
 * with the overloads here; a function of neither signature does not compile. TEMPORAL__ACTIVITY_DEFN
 * is theirs; use them, not it. */
#ifdef __cplusplus
extern "C++" { /* nested in TEMPORAL_BEGIN_DECLS' extern "C": overloads need C++ linkage */
constexpr temporal_activity_kind temporal__activity_kind_of(temporal_sync_activity_fn) {
  return TEMPORAL_ACTIVITY_KIND_SYNC;
}
constexpr temporal_activity_kind temporal__activity_kind_of(temporal_async_activity_fn) {
  return TEMPORAL_ACTIVITY_KIND_ASYNC;
}
constexpr temporal_sync_activity_fn temporal__activity_sync_fn(temporal_sync_activity_fn fn) {
  return fn;
}
constexpr temporal_sync_activity_fn temporal__activity_sync_fn(temporal_async_activity_fn) {
  return 0;
}
constexpr temporal_async_activity_fn temporal__activity_async_fn(temporal_sync_activity_fn) {
  return 0;
}
constexpr temporal_async_activity_fn temporal__activity_async_fn(temporal_async_activity_fn fn) {
  return fn;
}
}
#define TEMPORAL__ACTIVITY_KIND_OF(fn) temporal__activity_kind_of(fn)
/* C++ before C++20 has no designated initializers: the fields in their order. */
#define TEMPORAL__ACTIVITY_DEFN(name_, fn, flags_)                           \
  {                                                                          \
    (name_), temporal__activity_kind_of(fn), temporal__activity_sync_fn(fn), \
        temporal__activity_async_fn(fn), (flags_), 0                         \
  }
#else
/* Kept out of clang-format, whose version 14 splits _Generic's associations across lines. */
/* clang-format off */
#define TEMPORAL__ACTIVITY_KIND_OF(fn)                                   \
  _Generic((fn), temporal_sync_activity_fn: TEMPORAL_ACTIVITY_KIND_SYNC, \
                 temporal_async_activity_fn: TEMPORAL_ACTIVITY_KIND_ASYNC)
#define TEMPORAL__ACTIVITY_DEFN(name_, fn, flags_)                                                         \
  {                                                                                                        \
    .name = (name_), .kind = TEMPORAL__ACTIVITY_KIND_OF(fn),                                               \
    .sync_fn = _Generic((fn), temporal_sync_activity_fn: (fn), default: (temporal_sync_activity_fn)0),    \
    .async_fn = _Generic((fn), temporal_async_activity_fn: (fn), default: (temporal_async_activity_fn)0), \
    .flags = (flags_), .data = 0                                                                           \
  }
/* clang-format on */
#endif

/* A definition under a custom name. In C++, define the function extern "C" (only a function with C
 * language linkage may, strictly, be called through these pointer types; GCC and Clang do not tell the
 * two apart). */
#define TEMPORAL_ACTIVITY_DEFN_NAMED(name_, fn) TEMPORAL__ACTIVITY_DEFN(name_, fn, 0u)
/* A definition named after the function: TEMPORAL_ACTIVITY_DEFN(say_hello) is "say_hello". */
#define TEMPORAL_ACTIVITY_DEFN(fn) TEMPORAL_ACTIVITY_DEFN_NAMED(#fn, fn)
/* The dynamic activity: receives any type that has no registered function (at most one). */
#define TEMPORAL_ACTIVITY_DEFN_DYNAMIC(fn) TEMPORAL__ACTIVITY_DEFN("", fn, TEMPORAL_ACTIVITY_DYNAMIC)

/* ---- Arguments ------------------------------------------------------------------------------
 * Each getter fails with TEMPORAL_EINVAL for a NULL `out` (or `len_out`) or `args`,
 * TEMPORAL_ENOTFOUND for an index past the end and TEMPORAL_ETYPE for a value of another type, with
 * a message naming the index and both types; *out is untouched then. A JSON number that no C type
 * here holds exactly (an integer beyond 64 bits, as Python sends them; a real beyond a double) fails
 * every getter but temporal_args_get_payload with TEMPORAL_ERANGE: the raw payload keeps its exact
 * text. Borrowed results live as long as the activity. The arguments never change: any thread that
 * holds a valid activity pointer may read them, concurrently. */
/* How many arguments there are (0 for NULL). */
TEMPORAL_EXTERN size_t temporal_args_count(const temporal_args *args);
TEMPORAL_EXTERN int temporal_args_get_string(const char **out, const temporal_args *args, size_t index);
/* An integer that fits int64 (a JSON real with no fraction is accepted). */
TEMPORAL_EXTERN int temporal_args_get_int(int64_t *out, const temporal_args *args, size_t index);
/* Any JSON number. */
TEMPORAL_EXTERN int temporal_args_get_real(double *out, const temporal_args *args, size_t index);
TEMPORAL_EXTERN int temporal_args_get_bool(bool *out, const temporal_args *args, size_t index);
/* A binary/plain payload's bytes. */
TEMPORAL_EXTERN int temporal_args_get_bytes(const uint8_t **out, size_t *len_out, const temporal_args *args,
                                            size_t index);
/* The decoded JSON value (borrowed; json_incref to keep it). binary/null gives JSON null. */
TEMPORAL_EXTERN int temporal_args_get_json(json_t **out, const temporal_args *args, size_t index);
/* The raw payload (borrowed). Never a type error. */
TEMPORAL_EXTERN int temporal_args_get_payload(const temporal_payload **out, const temporal_args *args,
                                              size_t index);
/* True when the argument is binary/null or JSON null. False for a missing index. */
TEMPORAL_EXTERN bool temporal_args_is_null(const temporal_args *args, size_t index);

/* ---- Results ----------------------------------------------------------------------------------
 * Constructors never return NULL. Those that take a value take ownership of it. Any thread; the
 * result is the caller's until it hands it over: returns it from a sync activity, passes it to
 * temporal_activity_complete, or frees it. */
TEMPORAL_EXTERN temporal_result *temporal_result_json(json_t *value);      /* steals the reference */
TEMPORAL_EXTERN temporal_result *temporal_result_string(const char *utf8); /* a JSON string */
TEMPORAL_EXTERN temporal_result *temporal_result_bytes(const void *data, size_t len); /* copied */
TEMPORAL_EXTERN temporal_result *temporal_result_payload(temporal_payload *payload);  /* taken */
TEMPORAL_EXTERN temporal_result *temporal_result_none(void);                          /* binary/null */
/* Fails the attempt with an application error (taken). */
TEMPORAL_EXTERN temporal_result *temporal_result_error(temporal_application_error *error);
/* Fails the attempt with a retryable application error of `type` (NULL = "Error") and a message. */
TEMPORAL_EXTERN temporal_result *temporal_result_errorf(const char *type, const char *format, ...)
    TEMPORAL_PRINTF(2, 3);
/* Fails the attempt from a TEMPORAL_E* code: the message is temporal_error_last() of this thread,
 * e.g. what a failed temporal_args_get_* said. Retryable, type "TemporalError". */
TEMPORAL_EXTERN temporal_result *temporal_result_from_code(int code);
/* Ends the activity as cancelled: what an activity returns once it saw cancellation. The worker
 * reports it as the final-result order says (cancelled, paused, reset, ...). */
TEMPORAL_EXTERN temporal_result *temporal_result_cancelled(void);
/* Says the activity will be completed later, from elsewhere, by whoever holds its task token (see
 * temporal_async_activity_handle in client.h): the worker reports nothing for this attempt and
 * frees its slot. */
TEMPORAL_EXTERN temporal_result *temporal_result_async(void);
/* Frees a result that was not handed to the worker. NULL is a no-op. */
TEMPORAL_EXTERN void temporal_result_free(temporal_result *result);

/* ---- Handing the activity to other threads -------------------------------------------------------
 * Take a reference while the activity is still running (in the activity function, before starting
 * the thread or arming the callback that will use it) and drop it when that code is done with the
 * activity. While a reference is held the pointer stays valid, from any thread, and once the activity
 * has finished every context call is safe and reaches nothing of the worker:
 *   heartbeat, wait_for_cancelled, wait_for_worker_shutdown, on_cancel, on_worker_shutdown and
 *   complete return TEMPORAL_ESTATE (a thread blocked in a wait returns TEMPORAL_ESTATE when the
 *   activity finishes); is_cancelled returns true (the activity is over: stop); cancellation_details
 *   and is_worker_shutdown answer what was true when it finished; get_info, the arguments, data and
 *   log work as before; temporal_activity_loop returns NULL.
 * A reference does not delay the report of the outcome or the worker's shutdown. The activity must
 * not be used after the last reference was dropped (the worker's own reference goes when it has
 * reported the outcome). Since 0.2.0. */

/* Takes a reference; returns `activity` (NULL stays NULL). Any thread that already holds a valid
 * pointer (the activity's own code, or a holder of a reference). */
TEMPORAL_EXTERN temporal_activity *temporal_activity_ref(temporal_activity *activity);
/* Drops a reference taken with temporal_activity_ref. NULL is a no-op. Any thread. */
TEMPORAL_EXTERN void temporal_activity_unref(temporal_activity *activity);

/* ---- The async kind ---------------------------------------------------------------------------- */

/* Finishes an async activity with `result` (taken, even on error). Call once, from the loop thread.
 * Returns TEMPORAL_ESTATE if the activity already finished (the result is freed). */
TEMPORAL_EXTERN int temporal_activity_complete(temporal_activity *activity, temporal_result *result);
/* The loop the async activity runs on: the worker's, or the one in temporal_worker_options.loop
 * (borrowed). NULL for sync activities and once the activity finished. Any thread may ask, but only
 * the loop thread may use the loop (libuv's one thread-safe call is uv_async_send). */
TEMPORAL_EXTERN uv_loop_t *temporal_activity_loop(temporal_activity *activity);
/* Registers the callback an async activity gets when it is cancelled (the C form of cancelling the
 * asyncio task): called once, on the loop thread, with the activity; the activity should stop and
 * complete with temporal_result_cancelled(). Replaces any earlier callback; NULL removes it. Call from
 * the loop thread. `data` is handed to the callback as is (it stays yours). TEMPORAL_ESTATE for a
 * sync activity or one that finished. */
typedef void (*temporal_cancel_cb)(temporal_activity *activity, void *data);
TEMPORAL_EXTERN int temporal_activity_on_cancel(temporal_activity *activity, temporal_cancel_cb cb,
                                                void *data);
/* Registers the callback an async activity gets when the worker begins shutting down (the C form of
 * awaiting Python's activity.wait_for_worker_shutdown()): called at most once, on the loop thread,
 * as soon as shutdown begins (on the next loop iteration if it already had), while the activity may
 * still finish within the worker's graceful_shutdown_timeout. Replaces any earlier callback; NULL
 * removes it. Call from the loop thread; `data` as for temporal_activity_on_cancel. TEMPORAL_ESTATE
 * for a sync activity or one that finished. Since 0.2.0. */
typedef void (*temporal_worker_shutdown_cb)(temporal_activity *activity, void *data);
TEMPORAL_EXTERN int temporal_activity_on_worker_shutdown(temporal_activity *activity,
                                                         temporal_worker_shutdown_cb cb, void *data);

/* ---- Info ----------------------------------------------------------------------------------- */

typedef struct temporal_retry_policy {
  temporal_duration_ns initial_interval;
  double backoff_coefficient;
  temporal_duration_ns maximum_interval; /* 0 = unset */
  int32_t maximum_attempts;              /* 0 = unlimited */
  const char *const *non_retryable_error_types;
  size_t non_retryable_error_type_count;
} temporal_retry_policy;

typedef struct temporal_priority {
  int32_t priority_key; /* 0 = default */
  const char *fairness_key;
  float fairness_weight;
} temporal_priority;

/* Who and where the activity is. Strings are never NULL ("" when unset); all of it is borrowed from
 * the activity. Workflow fields are empty, and activity_run_id is set, for standalone activities. */
typedef struct temporal_activity_info {
  const char *activity_id;
  const char *activity_type;
  const char *activity_run_id;
  const char *namespace_;
  const char *task_queue;
  const char *workflow_id;
  const char *workflow_run_id;
  const char *workflow_type;
  const uint8_t *task_token;
  size_t task_token_len;
  int32_t attempt; /* starts at 1 */
  temporal_time_ns scheduled_time;
  temporal_time_ns current_attempt_scheduled_time;
  temporal_time_ns started_time;
  temporal_duration_ns schedule_to_close_timeout; /* 0 = none */
  temporal_duration_ns start_to_close_timeout;    /* 0 = none */
  temporal_duration_ns heartbeat_timeout;         /* 0 = none */
  const temporal_args *heartbeat_details;         /* from the previous attempt; count 0 if none */
  bool has_retry_policy;
  temporal_retry_policy retry_policy;
  temporal_priority priority;
  bool is_local;
} temporal_activity_info;

/* The running activity's info, borrowed from it. Never NULL for a running activity. Any thread. */
TEMPORAL_EXTERN const temporal_activity_info *temporal_activity_get_info(const temporal_activity *activity);

/* ---- Context: any kind ------------------------------------------------------------------------- */

/* The definition's `data` pointer, as given (the library never touches what it points to). Any
 * thread. */
TEMPORAL_EXTERN void *temporal_activity_data(const temporal_activity *activity);

/* Records a heartbeat with optional details (copied; last value wins). Any thread. Throttled: the first goes
 * out at once, later ones at most once per 0.8 x heartbeat_timeout (30 s without one, 60 s at most); details
 * recorded in between go out when the interval ends, without another call. A sync activity learns of
 * cancellation only through heartbeats: once it was asked to stop, this returns TEMPORAL_ECANCELLED (the
 * details are still recorded), as Python's heartbeat raises CancelledError. TEMPORAL_EINVAL for a NULL
 * activity, a NULL `details` with a count, or a NULL detail; TEMPORAL_ETOOBIG for details over the server's
 * payload limit (the attempt then fails, not retryable, when the activity ends cancelled); TEMPORAL_ESTATE
 * after the activity finished. */
TEMPORAL_EXTERN int temporal_activity_heartbeat(temporal_activity *activity,
                                                const temporal_payload *const *details, size_t count);
/* Convenience: one JSON detail (encoded now, the value stays the caller's; NULL = none). Any thread. */
TEMPORAL_EXTERN int temporal_activity_heartbeat_json(temporal_activity *activity, const json_t *detail);

/* True once the activity was asked to stop (cancel, pause, reset, timeout, worker shutdown). Any thread. */
TEMPORAL_EXTERN bool temporal_activity_is_cancelled(const temporal_activity *activity);
/* Blocks until the activity is asked to stop or `timeout` passes (<= 0: wait without limit).
 * Returns 0 when cancelled, TEMPORAL_ETIMEDOUT otherwise. Sync kinds only, from any thread but the
 * loop's (which it would block). */
TEMPORAL_EXTERN int temporal_activity_wait_for_cancelled(temporal_activity *activity,
                                                         temporal_duration_ns timeout);

/* Why the activity was asked to stop (several may be true). */
typedef struct temporal_cancellation_details {
  bool cancel_requested; /* the workflow (or a client) requested cancellation */
  bool paused;           /* the activity was paused */
  bool reset;            /* the activity was reset */
  bool timed_out;        /* the worker timed it out locally (the server already has) */
  bool not_found;        /* the server no longer knows it (completed elsewhere, timed out) */
  bool worker_shutdown;  /* the worker shut down and the grace period ended */
} temporal_cancellation_details;

/* All false until the activity is asked to stop. Any thread. */
TEMPORAL_EXTERN temporal_cancellation_details
temporal_activity_cancellation_details(const temporal_activity *activity);

/* True once the worker began shutting down (the activity may still finish during the grace period).
 * Any thread. */
TEMPORAL_EXTERN bool temporal_activity_is_worker_shutdown(const temporal_activity *activity);
/* Blocks until the worker begins shutting down or `timeout` passes (<= 0: no limit): 0 or
 * TEMPORAL_ETIMEDOUT. Sync kinds only, from any thread but the loop's (async ones register
 * temporal_activity_on_worker_shutdown). */
TEMPORAL_EXTERN int temporal_activity_wait_for_worker_shutdown(temporal_activity *activity,
                                                               temporal_duration_ns timeout);

/* Logs a line that carries the activity's id, type, attempt, namespace, task queue and workflow ids,
 * through the process-wide sink (temporal/log.h). Any thread. */
TEMPORAL_EXTERN void temporal_activity_log(const temporal_activity *activity, temporal_log_level level,
                                           const char *format, ...) TEMPORAL_PRINTF(3, 4);

TEMPORAL_END_DECLS

#endif
