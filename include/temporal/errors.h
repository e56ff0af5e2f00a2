/* Error codes and messages.
 *
 * Every fallible function returns 0 on success or a negative TEMPORAL_E* code. The code says what
 * kind of failure it was; temporal_error_last() gives the detailed message of the calling thread's
 * most recent failure (valid until that thread's next failing call). */
#ifndef TEMPORAL_ERRORS_H
#define TEMPORAL_ERRORS_H

#include "common.h"

TEMPORAL_BEGIN_DECLS

typedef enum temporal_error_code {
  TEMPORAL_OK = 0,
  TEMPORAL_EINVAL = -1,     /* an argument or option is invalid */
  TEMPORAL_ENOMEM = -2,     /* out of memory */
  TEMPORAL_ENOTFOUND = -3,  /* no such thing (namespace, workflow, activity, argument index) */
  TEMPORAL_ETIMEDOUT = -4,  /* a deadline passed */
  TEMPORAL_ECANCELLED = -5, /* the operation or activity was cancelled */
  TEMPORAL_EEXISTS = -6,    /* already exists (duplicate activity name, workflow id in use) */
  TEMPORAL_ETYPE = -7,      /* a value has another type than the one asked for */
  TEMPORAL_EDECODE = -8,    /* a payload or message could not be decoded */
  TEMPORAL_ETRANSPORT = -9, /* the server could not be reached or the call failed in transit */
  TEMPORAL_ESERVER = -10,   /* the server refused the request */
  TEMPORAL_ESTATE = -11,    /* called in a state that does not allow it */
  TEMPORAL_ESYSTEM = -12,   /* an operating-system call failed */
  TEMPORAL_EFAILED = -13,   /* the workflow or activity ran and failed (see the failure) */
  TEMPORAL_ETOOBIG = -14,   /* a message or payload exceeds a size limit */
  TEMPORAL_ERANGE = -15,    /* a number does not fit the type it must be read as (since 0.2.0) */
} temporal_error_code;

/* A static, human-readable name for a code ("invalid argument"). Never NULL. Any thread. */
TEMPORAL_EXTERN const char *temporal_strerror(int code);

/* The calling thread's last error message, with detail (e.g. "argument 1: expected string, got
 * integer"). Never NULL; "" when nothing failed yet. Any thread, each its own; the string belongs to
 * the library and is valid until the thread's next failing call. */
TEMPORAL_EXTERN const char *temporal_error_last(void);

TEMPORAL_END_DECLS

#endif
