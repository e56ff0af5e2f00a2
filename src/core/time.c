/* Clocks, deadlines and sleeping. Deadlines use CLOCK_MONOTONIC so wall-clock jumps do not stretch
 * or cut waits. */
#include <errno.h>

#include "core/core.h"

temporal_time_ns temporal__now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t temporal__monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct timespec temporal__monotonic_ts(int64_t monotonic_ns) {
  struct timespec ts = {.tv_sec = (time_t)(monotonic_ns / 1000000000),
                        .tv_nsec = (long)(monotonic_ns % 1000000000)};
  return ts;
}

struct timespec temporal__deadline_ts(temporal_duration_ns timeout) {
  return temporal__monotonic_ts(temporal__monotonic_ns() + (timeout > 0 ? timeout : 0));
}

int temporal__cond_init(pthread_cond_t *cond) {
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(cond, &attr);
  pthread_condattr_destroy(&attr);
  return rc == 0 ? 0 : temporal__error(TEMPORAL_ESYSTEM, "pthread_cond_init failed");
}

void temporal__sleep_ns(temporal_duration_ns d) {
  if (d <= 0) return;
  struct timespec ts = {.tv_sec = (time_t)(d / 1000000000), .tv_nsec = (long)(d % 1000000000)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}
