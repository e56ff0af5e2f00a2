/* say_hello as each kind of activity; see hello_activities.h.
 *
 * The Python it mirrors:
 *   @activity.defn
 *   async def say_hello_activity(name: str) -> str:
 *       return f"Hello, {name}!" */
#include "hello_activities.h"

#include <stdlib.h>
#include <unistd.h>

#include <uv.h> /* the async kind answers from a libuv timer */

/* "Hello, <name>!" for argument 0, or the failure that says why there is no name. */
static temporal_result *greeting(temporal_activity *activity, const temporal_args *args) {
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) return temporal_result_from_code(rc); /* e.g. "argument 0: expected string, got integer" */
  /* The log line carries the activity's id, type, attempt, namespace, task queue and workflow. */
  temporal_activity_log(activity, TEMPORAL_LOG_INFO, "greeting %s from pid %d", name, (int)getpid());
  json_t *text = json_sprintf("Hello, %s!", name);
  if (!text) return temporal_result_errorf("EncodingError", "cannot build the greeting");
  return temporal_result_json(text);
}

/* ---- sync: returns its outcome; runs wherever the worker's activity_executor runs it ---------- */

temporal_result *say_hello_activity(temporal_activity *activity, const temporal_args *args) {
  return greeting(activity, args);
}

/* The same function under another name, so the demo can send it to the process-pool worker. */
temporal_result *say_hello_process(temporal_activity *activity, const temporal_args *args) {
  return greeting(activity, args);
}

/* ---- async: starts on the loop thread, returns at once, completes later ----------------------- */

typedef struct hello_later {
  uv_timer_t timer;
  temporal_activity *activity;
  temporal_result *greeting; /* what the timer completes the activity with */
} hello_later;

static void hello_later_closed(uv_handle_t *handle) {
  hello_later *h = handle->data;
  temporal_result_free(h->greeting); /* NULL once handed over */
  free(h);
}

static void hello_later_fire(uv_timer_t *timer) {
  hello_later *h = timer->data;
  temporal_activity_complete(h->activity, h->greeting);
  h->greeting = NULL;
  uv_close((uv_handle_t *)&h->timer, hello_later_closed);
}

/* The C form of cancelling the asyncio task: called once, on the loop thread, if the activity is
 * cancelled before the timer fires. Stop the work, then complete as cancelled. */
static void hello_later_cancelled(temporal_activity *activity, void *data) {
  hello_later *h = data;
  uv_timer_stop(&h->timer);
  uv_close((uv_handle_t *)&h->timer, hello_later_closed);
  temporal_activity_complete(activity, temporal_result_cancelled());
}

void say_hello_async(temporal_activity *activity, const temporal_args *args) {
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) { /* a wrong argument: answer at once, from here */
    temporal_activity_complete(activity, temporal_result_from_code(rc));
    return;
  }
  hello_later *h = calloc(1, sizeof *h);
  if (!h) {
    temporal_activity_complete(activity, temporal_result_errorf("OutOfMemory", "say_hello_async"));
    return;
  }
  if ((rc = uv_timer_init(temporal_activity_loop(activity), &h->timer)) != 0) {
    free(h);
    temporal_activity_complete(activity,
                               temporal_result_errorf("LoopError", "uv_timer_init: %s", uv_strerror(rc)));
    return;
  }
  h->activity = activity;
  h->greeting = greeting(activity, args);
  h->timer.data = h;
  uv_timer_start(&h->timer, hello_later_fire, HELLO_ASYNC_DELAY_MS, 0);
  temporal_activity_on_cancel(activity, hello_later_cancelled, h);
}
