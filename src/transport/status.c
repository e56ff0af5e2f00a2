/* What a gRPC status means to us: its name, the TEMPORAL_E* code it maps to, whether to retry it,
 * and the type of the Temporal error detail the server attached. Pure functions (unit-tested). */
#include <string.h>

#include <grpc/status.h>

#include "google/rpc/status.pb-c.h"
#include "transport/transport_private.h"

const char *temporal__grpc_code_name(int grpc_code) {
  switch (grpc_code) {
    case GRPC_STATUS_OK: return "OK";
    case GRPC_STATUS_CANCELLED: return "CANCELLED";
    case GRPC_STATUS_UNKNOWN: return "UNKNOWN";
    case GRPC_STATUS_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case GRPC_STATUS_DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case GRPC_STATUS_NOT_FOUND: return "NOT_FOUND";
    case GRPC_STATUS_ALREADY_EXISTS: return "ALREADY_EXISTS";
    case GRPC_STATUS_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case GRPC_STATUS_RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case GRPC_STATUS_FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case GRPC_STATUS_ABORTED: return "ABORTED";
    case GRPC_STATUS_OUT_OF_RANGE: return "OUT_OF_RANGE";
    case GRPC_STATUS_UNIMPLEMENTED: return "UNIMPLEMENTED";
    case GRPC_STATUS_INTERNAL: return "INTERNAL";
    case GRPC_STATUS_UNAVAILABLE: return "UNAVAILABLE";
    case GRPC_STATUS_DATA_LOSS: return "DATA_LOSS";
    case GRPC_STATUS_UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN_CODE";
  }
}

bool temporal__grpc_is_too_big(int grpc_code, const char *message) {
  /* gRPC core says "Received message larger than max (N vs. M)" / "Sent message larger than max";
   * Go servers say "grpc: received message larger than max". Retrying cannot make it smaller. */
  return grpc_code == GRPC_STATUS_RESOURCE_EXHAUSTED && message && strstr(message, "message larger than max");
}

int temporal__grpc_status_to_error(int grpc_code, const char *message, bool cancelled) {
  if (cancelled) return TEMPORAL_ECANCELLED;
  if (temporal__grpc_is_too_big(grpc_code, message)) return TEMPORAL_ETOOBIG;
  switch (grpc_code) {
    case GRPC_STATUS_OK: return TEMPORAL_OK;
    case GRPC_STATUS_NOT_FOUND: return TEMPORAL_ENOTFOUND;
    case GRPC_STATUS_INVALID_ARGUMENT: return TEMPORAL_EINVAL;
    case GRPC_STATUS_ALREADY_EXISTS: return TEMPORAL_EEXISTS;
    case GRPC_STATUS_DEADLINE_EXCEEDED: return TEMPORAL_ETIMEDOUT;
    case GRPC_STATUS_UNAVAILABLE: return TEMPORAL_ETRANSPORT;
    default: return TEMPORAL_ESERVER;
  }
}

bool temporal__grpc_is_retryable(int grpc_code, const char *message, temporal__retry_mode mode,
                                 bool internal_error_differentiation) {
  if (mode == TEMPORAL__RETRY_NONE) return false;
  if (temporal__grpc_is_too_big(grpc_code, message)) return false;
  switch (grpc_code) {
    case GRPC_STATUS_UNAVAILABLE:
    case GRPC_STATUS_UNKNOWN:
    case GRPC_STATUS_ABORTED:
    case GRPC_STATUS_RESOURCE_EXHAUSTED: return true;
    /* A server that differentiates internal errors means INTERNAL is a real bug, not a blip. */
    case GRPC_STATUS_INTERNAL: return !internal_error_differentiation;
    case GRPC_STATUS_DEADLINE_EXCEEDED:
      return mode == TEMPORAL__RETRY_FOREVER || mode == TEMPORAL__RETRY_UNTIL;
    default: return false;
  }
}

bool temporal__status_detail_type(char *out, size_t cap, const uint8_t *data, size_t len) {
  if (cap == 0) return false;
  out[0] = '\0';
  if (!data || len == 0) return false;
  Google__Rpc__Status *status = google__rpc__status__unpack(NULL, len, data);
  if (!status) return false;
  bool found = false;
  if (status->n_details > 0 && status->details[0]->type_url) {
    /* "type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure": the last
     * dotted component is the message name users recognise. */
    const char *url = status->details[0]->type_url;
    const char *name = strrchr(url, '.');
    const char *slash = strrchr(url, '/');
    if (!name || (slash && slash > name)) name = slash;
    name = name ? name + 1 : url;
    if (*name) {
      size_t n = strlen(name);
      if (n >= cap) n = cap - 1;
      memcpy(out, name, n);
      out[n] = '\0';
      found = true;
    }
  }
  google__rpc__status__free_unpacked(status, NULL);
  return found;
}
