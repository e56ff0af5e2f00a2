/* Error codes, their names, and the per-thread last-error message. */
#include <stdio.h>

#include "core/core.h"

static _Thread_local char last_error[1024];

const char *temporal_strerror(int code) {
  switch (code) {
    case TEMPORAL_OK: return "success";
    case TEMPORAL_EINVAL: return "invalid argument";
    case TEMPORAL_ENOMEM: return "out of memory";
    case TEMPORAL_ENOTFOUND: return "not found";
    case TEMPORAL_ETIMEDOUT: return "timed out";
    case TEMPORAL_ECANCELLED: return "cancelled";
    case TEMPORAL_EEXISTS: return "already exists";
    case TEMPORAL_ETYPE: return "wrong type";
    case TEMPORAL_EDECODE: return "could not decode";
    case TEMPORAL_ETRANSPORT: return "transport error";
    case TEMPORAL_ESERVER: return "server error";
    case TEMPORAL_ESTATE: return "invalid state";
    case TEMPORAL_ESYSTEM: return "system error";
    case TEMPORAL_EFAILED: return "execution failed";
    case TEMPORAL_ETOOBIG: return "too big";
    case TEMPORAL_ERANGE: return "number out of range";
    default: return "unknown error";
  }
}

const char *temporal_error_last(void) {
  return last_error;
}

int temporal__verror(int code, const char *format, va_list ap) {
  vsnprintf(last_error, sizeof last_error, format, ap);
  return code;
}

int temporal__error(int code, const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  temporal__verror(code, format, ap);
  va_end(ap);
  return code;
}
