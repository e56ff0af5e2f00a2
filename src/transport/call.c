/* Unary calls: one blocking attempt on its own pluck completion queue, and the retry loop around it.
 *
 * Each attempt is a single batch (send metadata + message + close, receive metadata + message +
 * status), so a call needs no locking of its own and any number of threads may call at once. The
 * request is packed once into a slice that every attempt re-sends. */
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/time.h>

#include "core/proto_depth.h"
#include "temporal/version.h"
#include "transport/transport_private.h"

#define STATUS_DETAILS_KEY "grpc-status-details-bin"

/* What one attempt ended with. */
typedef struct attempt {
  grpc_status_code code;
  char message[512];
  char detail_type[128];
  grpc_byte_buffer *response; /* owned; set only with GRPC_STATUS_OK */
} attempt;

static grpc_metadata metadata_entry(const char *key, const char *value) {
  grpc_metadata md;
  memset(&md, 0, sizeof md);
  /* Static slices: the keys are literals and the values live in the transport. */
  md.key = grpc_slice_from_static_string(key);
  md.value = grpc_slice_from_static_string(value);
  return md;
}

static void copy_slice(char *out, size_t cap, grpc_slice s) {
  size_t n = GRPC_SLICE_LENGTH(s);
  if (n >= cap) n = cap - 1;
  memcpy(out, GRPC_SLICE_START_PTR(s), n);
  out[n] = '\0';
}

static void read_status_details(attempt *a, const grpc_metadata_array *trailers) {
  for (size_t i = 0; i < trailers->count; i++) {
    if (grpc_slice_str_cmp(trailers->metadata[i].key, STATUS_DETAILS_KEY) != 0) continue;
    /* gRPC core has already base64-decoded the -bin value. */
    grpc_slice v = trailers->metadata[i].value;
    temporal__status_detail_type(a->detail_type, sizeof a->detail_type, GRPC_SLICE_START_PTR(v),
                                 GRPC_SLICE_LENGTH(v));
    return;
  }
}

/* Creates the call, on a completion queue of its own, with its deadline, and lets `cancel` (may be
 * NULL) cancel it. */
static int open_call(temporal__transport *t, const char *method, grpc_slice method_slice,
                     temporal_duration_ns timeout, temporal__cancel_source *cancel,
                     grpc_completion_queue **cq_out, grpc_call **call_out) {
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  if (!cq) return temporal__error(TEMPORAL_ETRANSPORT, "%s: cannot create a completion queue", method);
  gpr_timespec deadline =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(timeout, GPR_TIMESPAN));
  grpc_call *call = grpc_channel_create_call(t->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method_slice,
                                             NULL, deadline, NULL);
  if (!call) {
    grpc_completion_queue_destroy(cq);
    return temporal__error(TEMPORAL_ETRANSPORT, "%s: cannot create a call", method);
  }
  if (cancel) {
    int rc = temporal__cancel_source_add(cancel, call);
    if (rc != 0) {
      grpc_call_unref(call);
      grpc_completion_queue_destroy(cq);
      return rc == TEMPORAL_ECANCELLED ? temporal__error(rc, "%s: cancelled", method) : rc;
    }
  }
  *cq_out = cq;
  *call_out = call;
  return 0;
}

/* Runs one attempt. Returns 0 when the call ran to a status (in *a), or a TEMPORAL_E* code (with the
 * last error set) when it could not be made at all. */
static int run_attempt(temporal__transport *t, const char *method, grpc_slice method_slice,
                       grpc_slice request, temporal_duration_ns timeout, temporal__cancel_source *cancel,
                       attempt *a) {
  memset(a, 0, sizeof *a);
  grpc_completion_queue *cq = NULL;
  grpc_call *call = NULL;
  int open_rc = open_call(t, method, method_slice, timeout, cancel, &cq, &call);
  if (open_rc != 0) return open_rc;

  grpc_metadata md[4];
  size_t md_count = 0;
  md[md_count++] = metadata_entry("client-name", "temporal-c");
  md[md_count++] = metadata_entry("client-version", TEMPORAL_VERSION_STRING);
  md[md_count++] = metadata_entry("temporal-namespace", t->namespace_);
  if (t->authorization) md[md_count++] = metadata_entry("authorization", t->authorization);

  grpc_byte_buffer *send = grpc_raw_byte_buffer_create(&request, 1); /* takes its own ref */
  grpc_metadata_array initial, trailing;
  grpc_metadata_array_init(&initial);
  grpc_metadata_array_init(&trailing);
  grpc_byte_buffer *recv = NULL;
  grpc_status_code code = GRPC_STATUS_UNKNOWN;
  grpc_slice details = grpc_empty_slice();

  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = md_count;
  ops[0].data.send_initial_metadata.metadata = md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &trailing;
  ops[5].data.recv_status_on_client.status = &code;
  ops[5].data.recv_status_on_client.status_details = &details;

  int rc = 0;
  grpc_call_error err = grpc_call_start_batch(call, ops, 6, a, NULL);
  if (err != GRPC_CALL_OK) {
    rc = temporal__error(TEMPORAL_ETRANSPORT, "%s: cannot start the call (grpc_call_error %d)", method,
                         (int)err);
  } else {
    /* No pluck deadline: the call's own deadline (or a cancel) guarantees the batch completes. */
    grpc_event ev = grpc_completion_queue_pluck(cq, a, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type != GRPC_OP_COMPLETE) {
      rc = temporal__error(TEMPORAL_ETRANSPORT, "%s: completion queue ended unexpectedly", method);
    } else {
      a->code = code;
      copy_slice(a->message, sizeof a->message, details);
      if (code != GRPC_STATUS_OK) read_status_details(a, &trailing);
      if (code == GRPC_STATUS_OK) {
        a->response = recv;
        recv = NULL;
      }
    }
  }
  if (cancel) temporal__cancel_source_remove(cancel, call);

  if (recv) grpc_byte_buffer_destroy(recv);
  grpc_byte_buffer_destroy(send);
  grpc_slice_unref(details);
  grpc_metadata_array_destroy(&initial);
  grpc_metadata_array_destroy(&trailing);
  grpc_call_unref(call);
  grpc_completion_queue_shutdown(cq);
  grpc_completion_queue_destroy(cq);
  return rc;
}

static int decode_response(ProtobufCMessage **out, const char *method, grpc_byte_buffer *buffer,
                           const ProtobufCMessageDescriptor *descriptor) {
  if (!buffer) return temporal__error(TEMPORAL_EDECODE, "%s: OK status without a response message", method);
  grpc_byte_buffer_reader reader;
  if (!grpc_byte_buffer_reader_init(&reader, buffer))
    return temporal__error(TEMPORAL_EDECODE, "%s: cannot read the response", method);
  grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
  grpc_byte_buffer_reader_destroy(&reader);
  size_t len = GRPC_SLICE_LENGTH(all);
  /* Measured before protobuf-c unpacks it recursively (core/proto_depth.h): anyone who can fail an
   * activity chooses how deep its failure's cause chain goes. */
  temporal__proto_depth depth =
      temporal__proto_check_depth(descriptor, GRPC_SLICE_START_PTR(all), len, TEMPORAL__PROTO_MAX_DEPTH);
  if (depth != TEMPORAL__PROTO_DEPTH_OK) {
    grpc_slice_unref(all);
    if (depth == TEMPORAL__PROTO_TOO_DEEP)
      return temporal__error(TEMPORAL_EDECODE,
                             "%s: the %zu-byte response nests messages more than %d deep (a failure's cause "
                             "chain?); refusing to decode it",
                             method, len, TEMPORAL__PROTO_MAX_DEPTH);
    return temporal__error(TEMPORAL_EDECODE, "%s: the %zu-byte response is not a well-formed %s", method, len,
                           descriptor->name);
  }
  *out = protobuf_c_message_unpack(descriptor, NULL, len, GRPC_SLICE_START_PTR(all));
  grpc_slice_unref(all);
  if (!*out)
    return temporal__error(TEMPORAL_EDECODE, "%s: cannot decode the %zu-byte response as %s", method, len,
                           descriptor->name);
  return 0;
}

static void set_status(temporal__call_status *status, int code, const char *message) {
  if (!status) return;
  status->grpc_code = code;
  snprintf(status->message, sizeof status->message, "%s", message ? message : "");
}

/* The delay before retrying after `code`; polls retry an expired long poll at once. */
static temporal_duration_ns retry_delay(int code, temporal__backoff *normal, temporal__backoff *exhausted) {
  if (code == GRPC_STATUS_DEADLINE_EXCEEDED) return 0;
  if (code == GRPC_STATUS_RESOURCE_EXHAUSTED) return temporal__backoff_next(exhausted);
  return temporal__backoff_next(normal);
}

int temporal__transport_call(temporal__transport *t, const char *method, const ProtobufCMessage *request,
                             const ProtobufCMessageDescriptor *response_descriptor,
                             ProtobufCMessage **resp_out, const temporal__call_options *opts,
                             temporal__call_status *status_out) {
  if (resp_out) *resp_out = NULL;
  set_status(status_out, GRPC_STATUS_UNKNOWN, "");
  if (!t || !method || !request || !response_descriptor || !resp_out)
    return temporal__error(TEMPORAL_EINVAL, "transport call: missing argument");
  const temporal__call_options defaults = {0};
  if (!opts) opts = &defaults;
  temporal_duration_ns timeout = opts->timeout > 0 ? opts->timeout : TEMPORAL__DEFAULT_CALL_TIMEOUT;
  if (temporal__cancel_source_is_cancelled(opts->cancel)) {
    set_status(status_out, GRPC_STATUS_CANCELLED, "cancelled");
    return temporal__error(TEMPORAL_ECANCELLED, "%s: cancelled", method);
  }

  size_t size = protobuf_c_message_get_packed_size(request);
  if (size > TEMPORAL__MAX_MESSAGE_BYTES) {
    set_status(status_out, GRPC_STATUS_RESOURCE_EXHAUSTED, "message larger than max");
    return temporal__error(TEMPORAL_ETOOBIG, "%s: request of %zu bytes is larger than the %d-byte limit",
                           method, size, TEMPORAL__MAX_MESSAGE_BYTES);
  }
  char path[256];
  if ((size_t)snprintf(path, sizeof path, TEMPORAL__SERVICE_PATH "%s", method) >= sizeof path)
    return temporal__error(TEMPORAL_EINVAL, "transport call: method name too long");
  grpc_slice payload = grpc_slice_malloc(size);
  protobuf_c_message_pack(request, GRPC_SLICE_START_PTR(payload));
  grpc_slice method_slice = grpc_slice_from_static_string(path);

  bool differentiation = atomic_load(&t->internal_error_differentiation);
  temporal__backoff normal, exhausted;
  temporal__backoff_init(&normal, 200 * TEMPORAL_MS,
                         opts->retry == TEMPORAL__RETRY_FOREVER ? 10 * TEMPORAL_SECOND : 5 * TEMPORAL_SECOND);
  temporal__backoff_init(&exhausted, TEMPORAL_SECOND, 10 * TEMPORAL_SECOND);
  int rc = 0;
  for (int attempts = 1;; attempts++) {
    attempt a;
    rc = run_attempt(t, method, method_slice, payload, timeout, opts->cancel, &a);
    if (rc != 0) {
      set_status(status_out, rc == TEMPORAL_ECANCELLED ? GRPC_STATUS_CANCELLED : GRPC_STATUS_UNKNOWN,
                 temporal_error_last());
      break;
    }
    if (a.code == GRPC_STATUS_OK) {
      set_status(status_out, GRPC_STATUS_OK, "");
      rc = decode_response(resp_out, method, a.response, response_descriptor);
      if (a.response) grpc_byte_buffer_destroy(a.response);
      break;
    }
    bool cancelled = temporal__cancel_source_is_cancelled(opts->cancel);
    const char *code_name = temporal__grpc_code_name(a.code);
    if (!cancelled && temporal__grpc_is_retryable(a.code, a.message, opts->retry, differentiation) &&
        (opts->retry == TEMPORAL__RETRY_FOREVER || attempts < TEMPORAL__DEFAULT_MAX_ATTEMPTS)) {
      temporal_duration_ns delay = retry_delay(a.code, &normal, &exhausted);
      /* The first failure of a call warns; a poll retried forever then warns every 10th, not at each. */
      bool loud = attempts == 1 || (opts->retry == TEMPORAL__RETRY_FOREVER && attempts % 10 == 0);
      if (a.code != GRPC_STATUS_DEADLINE_EXCEEDED)
        temporal__log(loud ? TEMPORAL_LOG_WARN : TEMPORAL_LOG_DEBUG,
                      "%s: %s: %s; retrying in %lld ms (attempt %d)", method, code_name, a.message,
                      (long long)(delay / TEMPORAL_MS), attempts);
      if (temporal__transport_retry_sleep(t, opts->cancel, delay)) continue;
      cancelled = true;
    }
    set_status(status_out, cancelled ? GRPC_STATUS_CANCELLED : (int)a.code,
               cancelled ? "cancelled" : a.message);
    rc = temporal__grpc_status_to_error(a.code, a.message, cancelled);
    if (cancelled)
      temporal__error(rc, "%s: cancelled", method);
    else
      temporal__error(rc, "%s: %s: %s%s%s%s", method, code_name, a.message, a.detail_type[0] ? " (" : "",
                      a.detail_type, a.detail_type[0] ? ")" : "");
    break;
  }
  grpc_slice_unref(payload);
  return rc;
}
