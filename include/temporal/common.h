/* Definitions shared by every temporal-c header: export macro, time types. */
#ifndef TEMPORAL_COMMON_H
#define TEMPORAL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define TEMPORAL_BEGIN_DECLS extern "C" {
#define TEMPORAL_END_DECLS }
#else
#define TEMPORAL_BEGIN_DECLS
#define TEMPORAL_END_DECLS
#endif

/* Every public function is declared with TEMPORAL_EXTERN; the library is built with
 * -fvisibility=hidden, so nothing else leaves the shared object. */
#if defined(TEMPORAL_BUILDING) && defined(__GNUC__)
#define TEMPORAL_EXTERN __attribute__((visibility("default")))
#else
#define TEMPORAL_EXTERN
#endif

#if defined(__GNUC__)
#define TEMPORAL_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define TEMPORAL_PRINTF(fmt, args)
#endif

/* A point in time: nanoseconds since the Unix epoch (0 = unset). */
typedef int64_t temporal_time_ns;
/* A length of time in nanoseconds (0 = unset / none). */
typedef int64_t temporal_duration_ns;

#define TEMPORAL_MS ((temporal_duration_ns)1000000)
#define TEMPORAL_SECOND ((temporal_duration_ns)1000000000)

#endif
