/* Definitions shared by every temporal-c header: export macro, time types, options initialisers.
 *
 * What the comments of every header take for granted (a declaration says so when it departs):
 *   ownership  Arguments are borrowed for the call; what a function keeps it copies, unless its
 *              comment says it takes the argument (then the caller must not use or free it after)
 *              or keeps the pointer. What a constructor stores in *out belongs to the caller, who
 *              releases it with the matching _free (NULL is a no-op). A pointer returned into an
 *              object is borrowed from that object and valid as long as it is.
 *   threads    Each function says which threads may call it. "Any thread" never allows freeing an
 *              object while another thread still uses it.
 *   options    Constructors read their options struct during the call only. NULL options mean every
 *              default, except where a field is required: then NULL is TEMPORAL_EINVAL, and the
 *              constructor's comment says so.
 * The headers compile alone, as C11 and as C++11 or later. */
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

/* Options structs start with `unsigned int version` and only grow at the end. Their _INIT macros
 * (TEMPORAL_WORKER_OPTIONS_INIT, ...) set the version and leave every other field 0, its default, so
 * a field added later needs no edit of the macro and no change in your code. In C the macro is a
 * designated initializer; C++ before C++20 has none, and a short brace list draws
 * -Wmissing-field-initializers, so there it is a value-initialised struct with its version set. */
#ifdef __cplusplus
extern "C++" {
template <typename T>
inline T temporal__options_init(unsigned int version) {
  T options = T();
  options.version = version;
  return options;
}
}
#define TEMPORAL__OPTIONS_INIT(type, v) temporal__options_init<type>(v)
#else
#define TEMPORAL__OPTIONS_INIT(type, v) \
  { .version = (v) }
#endif

#endif
