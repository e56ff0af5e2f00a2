/* Async activities on a libuv loop: the worker's own loop thread, or a loop the user runs.
 *
 * Other threads never touch the loop: pollers and the interrupting threads (heartbeat manager,
 * shutdown) queue a message and wake the loop with uv_async_send, the one libuv call that is safe
 * from any thread. On the loop thread, a START message calls the activity function, a CANCEL
 * message calls the cancel callback the activity registered (the C form of cancelling an asyncio
 * task). Messages hold a reference on their task, so a task finished meanwhile is still valid. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/queue.h"
#include "loop/loop.h"

typedef enum { MSG_START, MSG_CANCEL, MSG_WORKER_SHUTDOWN, MSG_CLOSE } msg_kind;

typedef struct msg {
  msg_kind kind;
  temporal__task *task;
  temporal__queue link;
} msg;

struct temporal__loop {
  uv_loop_t own_loop;
  uv_loop_t *loop;
  bool owned;
  pthread_t thread;
  uv_async_t wake;
  pthread_mutex_t mu;
  pthread_cond_t cond;
  temporal__queue messages; /* under mu */
  bool closed;              /* the wake handle's close callback ran */
};

static void push(temporal__loop *l, msg *m) {
  pthread_mutex_lock(&l->mu);
  temporal__queue_insert_tail(&l->messages, &m->link);
  pthread_mutex_unlock(&l->mu);
  uv_async_send(&l->wake);
}

static int post(temporal__loop *l, msg_kind kind, temporal__task *task) {
  msg *m = malloc(sizeof *m);
  if (!m) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  m->kind = kind;
  m->task = task;
  if (task) temporal__task_ref(task);
  push(l, m);
  return 0;
}

static void close_walk_cb(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void on_wake_closed(uv_handle_t *h) {
  temporal__loop *l = h->data;
  /* On our own loop nothing else may keep it alive: handles an activity forgot are closed too. */
  if (l->owned) uv_walk(l->loop, close_walk_cb, NULL);
  pthread_mutex_lock(&l->mu);
  l->closed = true;
  pthread_cond_broadcast(&l->cond);
  pthread_mutex_unlock(&l->mu);
}

static void run_message(temporal__loop *l, msg *m) {
  temporal__task *t = m->task;
  switch (m->kind) {
    case MSG_START:
      t->activity.loop = l->loop;
      t->activity.defn.async_fn(&t->activity, t->activity.args);
      break;
    case MSG_CANCEL:
      if (!temporal__activity_is_finished(&t->activity) && t->activity.cancel_cb &&
          !t->activity.cancel_delivered) {
        t->activity.cancel_delivered = true;
        t->activity.cancel_cb(&t->activity, t->activity.cancel_data);
      }
      break;
    case MSG_WORKER_SHUTDOWN:
      if (!temporal__activity_is_finished(&t->activity) && t->activity.shutdown_cb &&
          !t->activity.shutdown_delivered) {
        t->activity.shutdown_delivered = true;
        t->activity.shutdown_cb(&t->activity, t->activity.shutdown_data);
      }
      break;
    case MSG_CLOSE: uv_close((uv_handle_t *)&l->wake, on_wake_closed); break;
  }
  if (t) temporal__task_unref(t);
  free(m);
}

static void on_wake(uv_async_t *h) {
  temporal__loop *l = h->data;
  temporal__queue batch;
  temporal__queue_init(&batch);
  pthread_mutex_lock(&l->mu);
  temporal__queue_move(&l->messages, &batch);
  pthread_mutex_unlock(&l->mu);
  temporal__queue *node;
  while ((node = temporal__queue_pop(&batch))) run_message(l, TEMPORAL__QUEUE_DATA(node, msg, link));
}

static void *loop_thread(void *arg) {
  temporal__loop *l = arg;
  uv_run(l->loop, UV_RUN_DEFAULT);
  return NULL;
}

/* ---- The runner side of the task port (activity/task.h) ---------------------------------------- */

static void on_interrupt(temporal__task *t, unsigned int reasons, void *data) {
  (void)reasons;
  if (post(data, MSG_CANCEL, t) != 0)
    TLOG_ERROR("activity %s: could not deliver its cancellation: out of memory",
               t->activity.info.activity_id);
}

static void on_worker_shutdown(temporal__task *t, void *data) {
  if (post(data, MSG_WORKER_SHUTDOWN, t) != 0)
    TLOG_ERROR("activity %s: could not tell it of the worker's shutdown: out of memory",
               t->activity.info.activity_id);
}

static void on_cancel_registered(temporal__task *t, void *data) {
  /* Cancelled before the callback existed: the earlier CANCEL message found none, so send another. */
  if (temporal__task_interrupts(t) != 0 && !t->activity.cancel_delivered && post(data, MSG_CANCEL, t) != 0)
    TLOG_ERROR("activity %s: could not deliver its cancellation", t->activity.info.activity_id);
}

static void on_worker_shutdown_registered(temporal__task *t, void *data) {
  /* Shutdown began before the callback existed: the earlier message found none, so send another. */
  if (t->activity.ops->is_worker_shutdown(&t->activity) && !t->activity.shutdown_delivered &&
      post(data, MSG_WORKER_SHUTDOWN, t) != 0)
    TLOG_ERROR("activity %s: could not tell it of the worker's shutdown", t->activity.info.activity_id);
}

static const temporal__task_runner loop_runner = {
    .interrupted = on_interrupt,
    .worker_shutdown = on_worker_shutdown,
    .cancel_registered = on_cancel_registered,
    .worker_shutdown_registered = on_worker_shutdown_registered,
};

int temporal__loop_submit(temporal__loop *l, temporal__task *t) {
  temporal__task_set_runner(t, &loop_runner, l);
  return post(l, MSG_START, t);
}

/* ---- The loop ----------------------------------------------------------------------------------- */

int temporal__loop_new(temporal__loop **out, uv_loop_t *user_loop) {
  temporal__loop *l = calloc(1, sizeof *l);
  if (!l) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  temporal__queue_init(&l->messages);
  pthread_mutex_init(&l->mu, NULL);
  pthread_cond_init(&l->cond, NULL);
  l->owned = user_loop == NULL;
  l->loop = user_loop;
  int rc = 0;
  if (l->owned && (rc = uv_loop_init(&l->own_loop)) != 0) goto fail;
  if (l->owned) l->loop = &l->own_loop;
  if ((rc = uv_async_init(l->loop, &l->wake, on_wake)) != 0) {
    if (l->owned) uv_loop_close(&l->own_loop);
    goto fail;
  }
  l->wake.data = l;
  if (l->owned && pthread_create(&l->thread, NULL, loop_thread, l) != 0) {
    uv_close((uv_handle_t *)&l->wake, NULL);
    uv_run(l->loop, UV_RUN_DEFAULT);
    uv_loop_close(l->loop);
    rc = UV_EAGAIN;
    goto fail;
  }
  *out = l;
  return 0;
fail:
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cond);
  free(l);
  return temporal__error(TEMPORAL_ESYSTEM, "could not set up the event loop: %s", uv_strerror(rc));
}

void temporal__loop_free(temporal__loop *l) {
  if (!l) return;
  msg *m = malloc(sizeof *m);
  if (m) {
    m->kind = MSG_CLOSE;
    m->task = NULL;
    push(l, m);
  } else {
    TLOG_ERROR("out of memory closing the event loop");
    return; /* leak rather than free a handle the loop still holds */
  }
  pthread_mutex_lock(&l->mu);
  while (!l->closed) pthread_cond_wait(&l->cond, &l->mu);
  pthread_mutex_unlock(&l->mu);
  if (l->owned) {
    pthread_join(l->thread, NULL);
    uv_loop_close(l->loop);
  }
  temporal__queue *node; /* messages after close: none expected, the worker's tasks are all done */
  while ((node = temporal__queue_pop(&l->messages))) {
    msg *late = TEMPORAL__QUEUE_DATA(node, msg, link);
    if (late->task) temporal__task_unref(late->task);
    free(late);
  }
  pthread_mutex_destroy(&l->mu);
  pthread_cond_destroy(&l->cond);
  free(l);
}
