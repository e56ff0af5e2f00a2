/* The transport's floor: the worker's CPU per unary call with nothing else to do, which bounds what
 * an activity can cost (a worker makes two calls per activity: its poll and its report).
 *
 *   call_floor HOST:PORT [N]
 *
 * Makes N (1000) GetSystemInfo calls one after the other, blocking, then N asynchronous ones, one at a
 * time (src/transport/call_async.c), and prints the process's CPU time per call for each. Uses the
 * library's internal transport (linked statically), so it is built with the project, never installed
 * and never run by `make test`. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/core.h"
#include "temporal/api/workflowservice/v1/request_response.pb-c.h"
#include "transport/transport.h"

typedef Temporal__Api__Workflowservice__V1__GetSystemInfoRequest Request;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ended, failed;

static double cpu_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void on_end(int rc, const ProtobufCMessage *response, const temporal__call_status *status,
                   void *data) {
  (void)response, (void)status, (void)data;
  pthread_mutex_lock(&mu);
  ended++;
  failed += rc != 0;
  pthread_cond_signal(&cond);
  pthread_mutex_unlock(&mu);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: call_floor HOST:PORT [N]\n");
    return 2;
  }
  int n = argc > 2 ? atoi(argv[2]) : 1000;
  temporal_client_options opts = TEMPORAL_CLIENT_OPTIONS_INIT;
  opts.target = argv[1];
  temporal__transport *t = NULL;
  if (temporal__transport_new(&t, &opts) != 0) {
    fprintf(stderr, "%s\n", temporal_error_last());
    return 1;
  }
  Request req = TEMPORAL__API__WORKFLOWSERVICE__V1__GET_SYSTEM_INFO_REQUEST__INIT;
  const ProtobufCMessageDescriptor *d =
      &temporal__api__workflowservice__v1__get_system_info_response__descriptor;
  int errors = 0;
  double start = 0;
  for (int i = -1; i < n; i++) { /* the first call connects, and is not counted */
    if (i == 0) start = cpu_us();
    ProtobufCMessage *resp = NULL;
    errors += temporal__transport_call(t, "GetSystemInfo", &req.base, d, &resp, NULL, NULL) != 0;
    if (resp) protobuf_c_message_free_unpacked(resp, NULL);
  }
  double blocking = (cpu_us() - start) / n;
  start = cpu_us();
  for (int i = 0; i < n; i++) {
    if (temporal__transport_call_async(t, "GetSystemInfo", &req.base, d, NULL, on_end, NULL) != 0) {
      errors++;
      continue;
    }
    pthread_mutex_lock(&mu);
    while (ended < i + 1) pthread_cond_wait(&cond, &mu);
    pthread_mutex_unlock(&mu);
  }
  double async = (cpu_us() - start) / n;
  temporal__transport_free(t);
  printf("CPU per GetSystemInfo call: %.0f us blocking, %.0f us asynchronous (%d calls each, %d failed)\n",
         blocking, async, n, errors + failed);
  return errors + failed ? 1 : 0;
}
