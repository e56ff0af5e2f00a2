/* Internal: async activities on a libuv loop, the runner of the async kind. The worker starts one
 * when it has async activities; tasks reach it through temporal__loop_submit. */
#ifndef TEMPORAL_LOOP_LOOP_H
#define TEMPORAL_LOOP_LOOP_H

#include <uv.h>

#include "activity/task.h"

typedef struct temporal__loop temporal__loop;

/* Runs activities on `user_loop` (the user keeps running it), or, when NULL, on a loop and thread of
 * its own. */
int temporal__loop_new(temporal__loop **out, uv_loop_t *user_loop);
/* Starts the task's async function on the loop thread and carries its interruptions there. Any
 * thread. On error the task is not taken. */
int temporal__loop_submit(temporal__loop *loop, temporal__task *task);
/* Closes the loop's handle (from the loop thread) and, for its own loop, joins the thread. With a
 * user loop, the user must keep running it until this returns. Call once every task finished. */
void temporal__loop_free(temporal__loop *loop);

#endif
