/* The worker's life: options checked at creation, the namespace checked at start, then the services
 * (heartbeats, reporter, timeouts), the loop and the pollers, wired to the dispatch; and the orderly
 * shutdown (stop polling, let running activities finish for the grace period, cancel the rest, report
 * everything, join every thread), also on SIGINT/SIGTERM. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/options.h"
#include "executor/shared_state.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "worker/dispatch.h"
#include "worker/worker_internal.h"

#define DEFAULT_SLOTS 100
#define DEFAULT_POLLERS 5
/* How long stopping waits for in-flight polls to come back on their own, on a server that said it
 * ends them at ShutdownWorker (it answers within milliseconds), before cancelling them locally. */
#define POLL_DRAIN_TIMEOUT (2 * TEMPORAL_SECOND)

static void signals_forget(temporal_worker *w);

static int check_options(const temporal_worker_options *o, const temporal__registry *r) {
  if (!o->task_queue || !o->task_queue[0]) return temporal__error(TEMPORAL_EINVAL, "task_queue is required");
  if (r->count == 0 && !r->dynamic) return temporal__error(TEMPORAL_EINVAL, "the worker has no activities");
  if (r->has_sync || (r->dynamic && r->dynamic->kind == TEMPORAL_ACTIVITY_KIND_SYNC)) {
    if (!o->activity_executor)
      return temporal__error(TEMPORAL_EINVAL,
                             "the worker has sync activities, so activity_executor is required "
                             "(a thread pool, a process pool, or another executor)");
    if (o->activity_executor->kind != TEMPORAL__EXECUTOR_THREAD_POOL && !o->shared_state_manager)
      return temporal__error(TEMPORAL_EINVAL,
                             "activity_executor is not a thread pool, so shared_state_manager is required "
                             "(heartbeats and cancellation cross the process boundary through it)");
  }
  return 0;
}

int temporal_worker_new(temporal_worker **out, temporal_client *client, const temporal_worker_options *opts) {
  if (!out || !client || !opts)
    return temporal__error(TEMPORAL_EINVAL, "out, client and opts are required (task_queue has no default)");
  *out = NULL;
  temporal_worker_options o;
  if (TEMPORAL__OPTIONS_READ(&o, opts) < 0) return TEMPORAL_EINVAL;
  opts = &o;
  temporal_worker *w = calloc(1, sizeof *w);
  if (!w) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  pthread_mutex_init(&w->mu, NULL);
  temporal__cond_init(&w->cond);
  sem_init(&w->shutdown_sem, 0, 0);
  w->max_slots = opts->max_concurrent_activities ? opts->max_concurrent_activities : DEFAULT_SLOTS;
  w->poller_count =
      opts->max_concurrent_activity_polls ? opts->max_concurrent_activity_polls : DEFAULT_POLLERS;
  if (w->poller_count > w->max_slots) w->poller_count = w->max_slots;
  temporal__slots_init(&w->slots, w->max_slots);
  int rc = temporal__registry_init(&w->registry, opts->activities, opts->activity_count);
  if (rc == 0) rc = check_options(opts, &w->registry);
  if (rc != 0) {
    temporal_worker_free(w);
    return rc;
  }
  w->client = client;
  w->transport = client->transport;
  w->executor = opts->activity_executor;
  w->ssm = opts->shared_state_manager;
  w->user_loop = opts->loop;
  w->graceful_shutdown_timeout = opts->graceful_shutdown_timeout;
  w->task_queue = temporal__strdup(opts->task_queue);
  w->identity = temporal__strdup(opts->identity ? opts->identity : client->identity);
  w->namespace_ = temporal__strdup(client->namespace_);
  temporal__uuid4(w->instance_key);
  if (!w->task_queue || !w->identity || !w->namespace_) {
    temporal_worker_free(w);
    return TEMPORAL_ENOMEM;
  }
  if (w->executor && atomic_exchange(&w->executor->in_use, true)) {
    w->executor = NULL; /* not ours to release */
    temporal_worker_free(w);
    return temporal__error(TEMPORAL_EINVAL, "activity_executor is already used by another worker");
  }
  if (w->ssm && temporal__ssm_slot_count(w->ssm) < w->max_slots)
    TLOG_WARN(
        "the shared_state_manager has %u slots for %u activity slots: activities beyond %u fail to start; "
        "raise its max_activities",
        temporal__ssm_slot_count(w->ssm), w->max_slots, temporal__ssm_slot_count(w->ssm));
  unsigned int threads = w->executor ? temporal__thread_pool_size(w->executor) : 0;
  if (threads && threads < w->max_slots)
    TLOG_WARN(
        "the activity_executor thread pool has %u threads for %u slots: sync activities beyond %u wait "
        "for a thread while holding a slot",
        threads, w->max_slots, threads);
  *out = w;
  return 0;
}

/* The services the dispatch hands tasks to, each given what it needs of the worker. */
static int start_services(temporal_worker *w) {
  temporal__heartbeats_config heartbeats = {
      .transport = w->transport,
      .namespace_ = w->namespace_,
      .identity = w->identity,
      .blob_size_limit = w->namespace_facts.blob_size_limit,
  };
  temporal__reporter_config reporter = {
      .transport = w->transport,
      .namespace_ = w->namespace_,
      .identity = w->identity,
      .blob_size_limit = w->namespace_facts.blob_size_limit,
      .reported = temporal__dispatch_reported,
      .data = w,
  };
  int rc = temporal__heartbeats_new(&w->heartbeats, &heartbeats);
  if (rc == 0) rc = temporal__reporter_new(&w->reporter, &reporter);
  if (rc == 0) rc = temporal__timeouts_new(&w->timeouts);
  return rc;
}

/* Stops what start_services and the rest of start made, in the reverse order of their use. */
static void stop_services(temporal_worker *w) {
  temporal__loop_free(w->loop);
  w->loop = NULL;
  temporal__timeouts_free(w->timeouts);
  w->timeouts = NULL;
  temporal__reporter_free(w->reporter);
  w->reporter = NULL;
  temporal__heartbeats_free(w->heartbeats);
  w->heartbeats = NULL;
  if (w->ssm_attached) temporal__ssm_detach(w->ssm);
  w->ssm_attached = false;
}

int temporal_worker_start(temporal_worker *w) {
  if (!w) return temporal__error(TEMPORAL_EINVAL, "worker is NULL");
  if (w->state != TEMPORAL__WORKER_NEW)
    return temporal__error(TEMPORAL_ESTATE, "the worker was already started");
  int rc = temporal__client_describe_namespace(w->client, &w->namespace_facts);
  if (rc != 0) return rc;
  if ((rc = temporal__cancel_source_new(&w->poll_cancel)) != 0) return rc;
  if ((rc = start_services(w)) != 0) return rc;
  if (w->registry.has_async ||
      (w->registry.dynamic && w->registry.dynamic->kind == TEMPORAL_ACTIVITY_KIND_ASYNC))
    if ((rc = temporal__loop_new(&w->loop, w->user_loop)) != 0) return rc;
  if (w->executor && w->executor->kind != TEMPORAL__EXECUTOR_THREAD_POOL) {
    if ((rc = temporal__ssm_attach(w->ssm)) != 0) return rc;
    w->ssm_attached = true;
  }
  pthread_mutex_lock(&w->mu);
  w->state = TEMPORAL__WORKER_RUNNING;
  pthread_mutex_unlock(&w->mu);
  temporal__pollers_config pollers = {
      .transport = w->transport,
      .namespace_ = w->namespace_,
      .task_queue = w->task_queue,
      .identity = w->identity,
      .instance_key = w->instance_key,
      .count = w->poller_count,
      .slots = &w->slots,
      .cancel = w->poll_cancel,
      .stop = &w->shutdown_requested,
      .deliver = temporal__dispatch,
      .data = w,
  };
  if ((rc = temporal__pollers_start(&w->pollers, &pollers)) != 0) {
    temporal_worker_shutdown(w);
    temporal_worker_wait(w);
    return rc;
  }
  TLOG_INFO("worker polling task queue %s in namespace %s (%u slots, %u pollers)", w->task_queue,
            w->namespace_, w->max_slots, w->poller_count);
  return 0;
}

void temporal_worker_shutdown(temporal_worker *w) {
  /* Async-signal-safe: clock_gettime, atomics and sem_post only. The time is stored before the flag,
   * so whoever sees the flag sees when it was asked. */
  if (!w || atomic_load(&w->shutdown_requested)) return;
  int64_t now = temporal__monotonic_ns();
  long long expected = 0;
  atomic_compare_exchange_strong(&w->shutdown_requested_at, &expected, now);
  if (!atomic_exchange(&w->shutdown_requested, true)) sem_post(&w->shutdown_sem);
}

/* Tells the server this worker is going away, so it ends our long polls at once (and does not hand
 * them a task that would then be lost). Servers without the RPC answer Unimplemented: ignored. */
static void send_shutdown_worker(temporal_worker *w) {
  Temporal__Api__Workflowservice__V1__ShutdownWorkerRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__SHUTDOWN_WORKER_REQUEST__INIT;
  Temporal__Api__Enums__V1__TaskQueueType types[1] = {
      TEMPORAL__API__ENUMS__V1__TASK_QUEUE_TYPE__TASK_QUEUE_TYPE_ACTIVITY};
  req.namespace_ = w->namespace_;
  req.identity = w->identity;
  req.reason = "graceful shutdown";
  req.worker_instance_key = w->instance_key;
  req.task_queue = w->task_queue;
  req.n_task_queue_types = 1;
  req.task_queue_types = types;
  ProtobufCMessage *resp = NULL;
  temporal__call_options opts = {.timeout = 2 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_NONE};
  if (temporal__transport_call(w->transport, "ShutdownWorker", &req.base,
                               &temporal__api__workflowservice__v1__shutdown_worker_response__descriptor,
                               &resp, &opts, NULL) != 0)
    TLOG_DEBUG("ShutdownWorker: %s", temporal_error_last());
  if (resp) protobuf_c_message_free_unpacked(resp, NULL);
}

static void tell_shutdown(temporal__task *t, void *data) {
  (void)data;
  temporal__task_worker_shutdown(t);
}

static void interrupt_for_shutdown(temporal__task *t, void *data) {
  (void)data;
  temporal__task_interrupt(t, TEMPORAL__INTERRUPT_SHUTDOWN, NULL);
}

/* Running activities learn that the worker is shutting down: the flag their calls read, their
 * waiters woken, async ones' callbacks posted to the loop, pool children's shared flag. Pollers
 * waiting for a slot stop waiting. */
static void announce_shutdown(temporal_worker *w) {
  atomic_store(&w->is_shutting_down, true);
  temporal__slots_close(&w->slots);
  temporal__slots_each(&w->slots, tell_shutdown, NULL);
  temporal__ssm_set_worker_shutdown(w->ssm);
}

/* Ends polling. A server that ends our polls when told (ShutdownWorker) is told, and they come back
 * empty within milliseconds, so no task it hands out is lost. Any other server would hold them to
 * their 70 s deadline: they are cancelled here at once (a task in flight to a cancelled poll is
 * retried by the server after its timeout, as with any lost worker). */
static void stop_polling(temporal_worker *w) {
  if (!w->namespace_facts.poll_complete_on_shutdown) temporal__cancel_source_cancel(w->poll_cancel);
  send_shutdown_worker(w);
  if (!temporal__pollers_wait(w->pollers, temporal__monotonic_ns() + POLL_DRAIN_TIMEOUT)) {
    TLOG_WARN("the server did not end this worker's polls at shutdown; cancelling them");
    temporal__cancel_source_cancel(w->poll_cancel);
  }
  temporal__pollers_free(w->pollers);
  w->pollers = NULL;
}

static void stop(temporal_worker *w) {
  int64_t asked_at = atomic_load(&w->shutdown_requested_at);
  announce_shutdown(w);
  stop_polling(w);

  /* Running activities get the grace period, counted from the shutdown call, then are interrupted
   * with reason worker_shutdown. */
  int64_t grace_end = asked_at + w->graceful_shutdown_timeout;
  if (w->graceful_shutdown_timeout <= 0 || !temporal__slots_wait_empty(&w->slots, grace_end))
    temporal__slots_each(&w->slots, interrupt_for_shutdown, NULL);
  temporal__slots_wait_empty(&w->slots, 0); /* every finished result is reported */
  stop_services(w);
  pthread_mutex_lock(&w->mu);
  w->state = TEMPORAL__WORKER_STOPPED;
  pthread_mutex_unlock(&w->mu);
  TLOG_INFO("worker on task queue %s stopped", w->task_queue);
}

int temporal_worker_wait(temporal_worker *w) {
  if (!w) return temporal__error(TEMPORAL_EINVAL, "worker is NULL");
  pthread_mutex_lock(&w->mu);
  temporal__worker_state state = w->state;
  if (state == TEMPORAL__WORKER_RUNNING) w->state = TEMPORAL__WORKER_STOPPING;
  pthread_mutex_unlock(&w->mu);
  if (state == TEMPORAL__WORKER_NEW) return temporal__error(TEMPORAL_ESTATE, "the worker was not started");
  if (state != TEMPORAL__WORKER_RUNNING) {
    /* Another thread is stopping it (or did): wait for that to finish. */
    pthread_mutex_lock(&w->mu);
    while (w->state != TEMPORAL__WORKER_STOPPED) pthread_cond_wait(&w->cond, &w->mu);
    pthread_mutex_unlock(&w->mu);
    return 0;
  }
  while (sem_wait(&w->shutdown_sem) != 0 && errno == EINTR) {
  }
  stop(w);
  pthread_mutex_lock(&w->mu);
  pthread_cond_broadcast(&w->cond);
  pthread_mutex_unlock(&w->mu);
  return 0;
}

int temporal_worker_run(temporal_worker *w) {
  int rc = temporal_worker_start(w);
  return rc != 0 ? rc : temporal_worker_wait(w);
}

void temporal_worker_free(temporal_worker *w) {
  if (!w) return;
  if (w->state == TEMPORAL__WORKER_RUNNING || w->state == TEMPORAL__WORKER_STOPPING) {
    temporal_worker_shutdown(w);
    temporal_worker_wait(w);
  } else {
    /* Started halfway (start failed) or never started: release what exists. */
    stop_services(w);
  }
  signals_forget(w);
  temporal__cancel_source_free(w->poll_cancel);
  if (w->executor) atomic_store(&w->executor->in_use, false);
  temporal__registry_destroy(&w->registry);
  free(w->task_queue);
  free(w->identity);
  free(w->namespace_);
  sem_destroy(&w->shutdown_sem);
  temporal__slots_destroy(&w->slots);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cond);
  free(w);
}

/* ---- SIGINT/SIGTERM -> temporal_worker_shutdown ------------------------------------------------
 * Process-wide: one worker at a time is the target. The handler only does async-signal-safe work (an
 * atomic flag and sem_post inside temporal_worker_shutdown); a second signal restores the default
 * action so an impatient Ctrl-C still ends the program. */

static _Atomic(temporal_worker *) signal_worker;
static struct sigaction old_int, old_term;
static bool installed;

static void on_signal(int signo) {
  temporal_worker *w = atomic_exchange(&signal_worker, NULL);
  if (w) {
    temporal_worker_shutdown(w);
  } else {
    signal(signo, SIG_DFL);
    raise(signo);
  }
}

/* A freed worker must not be signalled: forget it if it is the one the handlers target. */
static void signals_forget(temporal_worker *w) {
  temporal_worker *expected = w;
  atomic_compare_exchange_strong(&signal_worker, &expected, NULL);
}

int temporal_worker_shutdown_on_signals(temporal_worker *w) {
  if (!w) {
    if (installed) {
      atomic_store(&signal_worker, NULL);
      sigaction(SIGINT, &old_int, NULL);
      sigaction(SIGTERM, &old_term, NULL);
      installed = false;
    }
    return 0;
  }
  atomic_store(&signal_worker, w);
  if (installed) return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGINT, &sa, &old_int) != 0 || sigaction(SIGTERM, &sa, &old_term) != 0)
    return temporal__error(TEMPORAL_ESYSTEM, "sigaction failed");
  installed = true;
  return 0;
}
