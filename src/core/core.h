/* Internal helpers shared by every module: errors, time, strings, ids, backoff, logging. */
#ifndef TEMPORAL_CORE_H
#define TEMPORAL_CORE_H

#include <pthread.h>
#include <stdarg.h>
#include <time.h>

#include "temporal/common.h"
#include "temporal/errors.h"
#include "temporal/log.h"

/* The largest gRPC message the transport sends or receives. Nothing bigger can ever be reported to
 * the server, so it also bounds what a process-pool child may send back. */
#define TEMPORAL__MAX_MESSAGE_BYTES (128 * 1024 * 1024)

/* Records `code` with a formatted message as the calling thread's last error; returns `code`, so
 * `return temporal__error(TEMPORAL_EINVAL, "...")` reads naturally. */
int temporal__error(int code, const char *format, ...) TEMPORAL_PRINTF(2, 3);
/* The same, with a va_list. */
int temporal__verror(int code, const char *format, va_list ap);

/* a + b, saturating at INT64_MIN / INT64_MAX instead of overflowing: deadlines are computed from
 * times and timeouts the server (or a broken peer) chose, which may be anything. */
static inline int64_t temporal__add_sat(int64_t a, int64_t b) {
  int64_t sum;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? INT64_MAX : INT64_MIN;
  return sum;
}

/* Wall clock (for timestamps) and monotonic clock (for deadlines), in nanoseconds. */
temporal_time_ns temporal__now_ns(void);
int64_t temporal__monotonic_ns(void);
/* An absolute CLOCK_MONOTONIC time `timeout` from now, for pthread_cond_timedwait on a condition
 * variable made with temporal__cond_init. */
struct timespec temporal__deadline_ts(temporal_duration_ns timeout);
struct timespec temporal__monotonic_ts(int64_t monotonic_ns);
/* A condition variable that waits on CLOCK_MONOTONIC. */
int temporal__cond_init(pthread_cond_t *cond);

/* strdup that maps NULL to NULL and reports ENOMEM through temporal__error. */
char *temporal__strdup(const char *s);
/* A formatted, malloc'd string (NULL on ENOMEM). */
char *temporal__asprintf(const char *format, ...) TEMPORAL_PRINTF(1, 2);

/* A random (version 4) UUID as 36 characters and a NUL. */
void temporal__uuid4(char out[37]);
/* "pid@hostname", malloc'd. */
char *temporal__default_identity(void);

/* Exponential backoff with +-20 % jitter: initial, doubled each step up to max. */
typedef struct temporal__backoff {
  temporal_duration_ns initial;
  temporal_duration_ns max;
  temporal_duration_ns current; /* the un-jittered next delay; 0 = not started */
} temporal__backoff;
void temporal__backoff_init(temporal__backoff *b, temporal_duration_ns initial, temporal_duration_ns max);
temporal_duration_ns temporal__backoff_next(temporal__backoff *b);
void temporal__backoff_reset(temporal__backoff *b);
/* Sleeps for `d` (no-op for d <= 0). */
void temporal__sleep_ns(temporal_duration_ns d);

/* Logging with printf formatting, through the process-wide sink (see temporal/log.h). */
bool temporal__log_enabled(temporal_log_level level);
void temporal__log(temporal_log_level level, const char *format, ...) TEMPORAL_PRINTF(2, 3);
void temporal__vlog(temporal_log_level level, const char *format, va_list ap);
#define TLOG_DEBUG(...) temporal__log(TEMPORAL_LOG_DEBUG, __VA_ARGS__)
#define TLOG_INFO(...) temporal__log(TEMPORAL_LOG_INFO, __VA_ARGS__)
#define TLOG_WARN(...) temporal__log(TEMPORAL_LOG_WARN, __VA_ARGS__)
#define TLOG_ERROR(...) temporal__log(TEMPORAL_LOG_ERROR, __VA_ARGS__)

#endif
