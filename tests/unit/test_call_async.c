/* The transport's asynchronous calls without a server (a port where nothing listens): each call ends
 * once, on the engine thread, with the code and status a blocking call would give; many at once;
 * retries until the deadline of RETRY_UNTIL; a callback may start the next call; misuse is refused
 * before anything starts. The engine's calls against a real server are in tests/integration. */
#include <pthread.h>

#include <grpc/status.h>

#include "core/core.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "test.h"
#include "transport/transport_private.h"

#define DEAD_TARGET "127.0.0.1:1" /* connections are refused at once */

typedef struct ends {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int count, wrong; /* calls ended; of which ended otherwise than expected */
  pthread_t caller; /* the thread that started the calls: never the one that ends them */
  int64_t last_end; /* monotonic ns */
  bool chain;       /* start one more call from the first callback */
  temporal__transport *t;
} ends;

static void ends_init(ends *e, temporal__transport *t) {
  memset(e, 0, sizeof *e);
  pthread_mutex_init(&e->mu, NULL);
  pthread_cond_init(&e->cond, NULL);
  e->caller = pthread_self();
  e->t = t;
}

static void ends_wait(ends *e, int count) {
  pthread_mutex_lock(&e->mu);
  while (e->count < count) pthread_cond_wait(&e->cond, &e->mu);
  pthread_mutex_unlock(&e->mu);
}

static int start(ends *e, const temporal__call_options *opts);

static void on_end(int rc, const ProtobufCMessage *response, const temporal__call_status *status,
                   void *data) {
  ends *e = data;
  bool right = rc == TEMPORAL_ETRANSPORT && response == NULL &&
               status->grpc_code == GRPC_STATUS_UNAVAILABLE &&
               strstr(temporal_error_last(), "GetSystemInfo: UNAVAILABLE") != NULL &&
               !pthread_equal(pthread_self(), e->caller);
  pthread_mutex_lock(&e->mu);
  bool chain = e->chain;
  e->chain = false;
  pthread_mutex_unlock(&e->mu);
  if (chain) {
    const temporal__call_options none = {.retry = TEMPORAL__RETRY_NONE};
    if (start(e, &none) != 0) right = false;
  }
  pthread_mutex_lock(&e->mu);
  if (!right) e->wrong++;
  e->count++;
  e->last_end = temporal__monotonic_ns();
  pthread_cond_broadcast(&e->cond);
  pthread_mutex_unlock(&e->mu);
}

static int start(ends *e, const temporal__call_options *opts) {
  Temporal__Api__Workflowservice__V1__GetSystemInfoRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
  return temporal__transport_call_async(
      e->t, "GetSystemInfo", &req.base,
      &temporal__api__workflowservice__v1__get_system_info_response__descriptor, opts, on_end, e);
}

static temporal__transport *dead_transport(void) {
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.target = DEAD_TARGET;
  temporal__transport *t = NULL;
  CHECK_EQ_INT(0, temporal__transport_new(&t, &opts));
  return t;
}

TEST(call_async_many_at_once_each_end_once) {
  temporal__transport *t = dead_transport();
  ends e;
  ends_init(&e, t);
  const temporal__call_options opts = {.timeout = 5 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_NONE};
  enum { CALLS = 300 };
  for (int i = 0; i < CALLS; i++) CHECK_EQ_INT(0, start(&e, &opts));
  ends_wait(&e, CALLS);
  temporal__transport_free(t); /* joins the engine: no call may end after this */
  CHECK_EQ_INT(CALLS, e.count);
  CHECK_EQ_INT(0, e.wrong);
}

TEST(call_async_retry_until_backs_off_then_gives_up) {
  temporal__transport *t = dead_transport();
  ends e;
  ends_init(&e, t);
  int64_t t0 = temporal__monotonic_ns();
  const temporal__call_options opts = {
      .timeout = 5 * TEMPORAL_SECOND, .retry = TEMPORAL__RETRY_UNTIL, .retry_until = t0 + 700 * TEMPORAL_MS};
  CHECK_EQ_INT(0, start(&e, &opts));
  ends_wait(&e, 1);
  temporal__transport_free(t);
  CHECK_EQ_INT(1, e.count);
  CHECK_EQ_INT(0, e.wrong);
  /* Refused at once, so the time is the pauses': the first (200 ms +-20 %) at least, and no pause
   * that would end past the deadline is started. */
  CHECK(e.last_end - t0 >= 160 * TEMPORAL_MS);
}

TEST(call_async_a_callback_starts_the_next_call) {
  temporal__transport *t = dead_transport();
  ends e;
  ends_init(&e, t);
  e.chain = true;
  const temporal__call_options opts = {.retry = TEMPORAL__RETRY_NONE};
  CHECK_EQ_INT(0, start(&e, &opts));
  ends_wait(&e, 2);
  temporal__transport_free(t);
  CHECK_EQ_INT(2, e.count);
  CHECK_EQ_INT(0, e.wrong);
}

TEST(call_async_refuses_misuse) {
  temporal__transport *t = dead_transport();
  ends e;
  ends_init(&e, t);
  Temporal__Api__Workflowservice__V1__GetSystemInfoRequest req =
      TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
  const ProtobufCMessageDescriptor *d =
      &temporal__api__workflowservice__v1__get_system_info_response__descriptor;
  CHECK_EQ_INT(TEMPORAL_EINVAL,
               temporal__transport_call_async(t, "GetSystemInfo", &req.base, d, NULL, NULL, &e));
  CHECK_EQ_INT(TEMPORAL_EINVAL,
               temporal__transport_call_async(t, "GetSystemInfo", NULL, d, NULL, on_end, &e));
  temporal__cancel_source *src = NULL;
  CHECK_EQ_INT(0, temporal__cancel_source_new(&src));
  const temporal__call_options with_cancel = {.cancel = src};
  CHECK_EQ_INT(TEMPORAL_EINVAL,
               temporal__transport_call_async(t, "GetSystemInfo", &req.base, d, &with_cancel, on_end, &e));
  temporal__cancel_source_free(src);
  temporal__transport_free(t);
  CHECK_EQ_INT(0, e.count); /* a refused call never ends */
}
