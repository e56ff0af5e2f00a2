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

/* The key is a literal (a static slice); the value is a literal too or one of the transport's
 * reference-counted slices, which gRPC references for as long as it keeps them. */
static grpc_metadata metadata_entry(const char *key, grpc_slice value) {
  grpc_metadata md;
  memset(&md, 0, sizeof md);
  md.key = grpc_slice_from_static_string(key);
  md.value = value;
  return md;
}

static void copy_slice(char *out, size_t cap, grpc_slice s) {
  size_t n = GRPC_SLICE_LENGTH(s);
  if (n >= cap) n = cap - 1;
  memcpy(out, GRPC_SLICE_START_PTR(s), n);
  out[n] = '\0';
}

static void read_status_details(temporal__attempt_result *a, const grpc_metadata_array *trailers) {
  for (size_t i = 0; i < trailers->count; i++) {
    if (grpc_slice_str_cmp(trailers->metadata[i].key, STATUS_DETAILS_KEY) != 0) continue;
    /* gRPC core has already base64-decoded the -bin value. */
    grpc_slice v = trailers->metadata[i].value;
    temporal__status_detail_type(a->detail_type, sizeof a->detail_type, GRPC_SLICE_START_PTR(v),
                                 GRPC_SLICE_LENGTH(v));
    return;
  }
}

int temporal__attempt_start(temporal__attempt *a, temporal__transport *t, const char *method, grpc_slice path,
                            grpc_slice request, temporal_duration_ns timeout, temporal__cancel_source *cancel,
                            grpc_completion_queue *cq, void *tag) {
  memset(a, 0, sizeof *a);
  gpr_timespec deadline =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos(timeout, GPR_TIMESPAN));
  /* A reference-counted copy of the path, never the caller's bytes as a static slice: gRPC's HPACK
   * compressor keeps the paths it has sent in its index and compares later ones with them, so a
   * static slice over memory that goes (a stack buffer, a finished call) is read after it is gone. */
  grpc_slice owned_path =
      grpc_slice_from_copied_buffer((const char *)GRPC_SLICE_START_PTR(path), GRPC_SLICE_LENGTH(path));
  a->call = grpc_channel_create_call(t->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, owned_path, NULL,
                                     deadline, NULL);
  grpc_slice_unref(owned_path); /* the call holds its own reference */
  if (!a->call) return temporal__error(TEMPORAL_ETRANSPORT, "%s: cannot create a call", method);
  if (cancel) {
    int rc = temporal__cancel_source_add(cancel, a->call);
    if (rc != 0) {
      grpc_call_unref(a->call);
      return rc == TEMPORAL_ECANCELLED ? temporal__error(rc, "%s: cancelled", method) : rc;
    }
    a->cancel = cancel;
  }
  size_t md_count = 0;
  a->md[md_count++] = metadata_entry("client-name", grpc_slice_from_static_string("temporal-c"));
  a->md[md_count++] =
      metadata_entry("client-version", grpc_slice_from_static_string(TEMPORAL_VERSION_STRING));
  a->md[md_count++] = metadata_entry("temporal-namespace", t->namespace_md);
  if (!GRPC_SLICE_IS_EMPTY(t->authorization_md))
    a->md[md_count++] = metadata_entry("authorization", t->authorization_md);

  a->send = grpc_raw_byte_buffer_create(&request, 1); /* takes its own ref */
  grpc_metadata_array_init(&a->initial);
  grpc_metadata_array_init(&a->trailing);
  a->code = GRPC_STATUS_UNKNOWN;
  a->details = grpc_empty_slice();

  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = md_count;
  ops[0].data.send_initial_metadata.metadata = a->md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = a->send;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &a->initial;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &a->recv;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &a->trailing;
  ops[5].data.recv_status_on_client.status = &a->code;
  ops[5].data.recv_status_on_client.status_details = &a->details;
  /* Nothing of *a is read past this store: the batch may complete, and *a be reused, at once. */
  grpc_call *call = a->call;
  atomic_store_explicit(&a->started, true, memory_order_release);
  grpc_call_error err = grpc_call_start_batch(call, ops, 6, tag, NULL);
  if (err != GRPC_CALL_OK) {
    temporal__attempt_result ignored;
    temporal__attempt_finish(a, &ignored);
    return temporal__error(TEMPORAL_ETRANSPORT, "%s: cannot start the call (grpc_call_error %d)", method,
                           (int)err);
  }
  return 0;
}

void temporal__attempt_finish(temporal__attempt *a, temporal__attempt_result *out) {
  (void)atomic_load_explicit(&a->started, memory_order_acquire);
  memset(out, 0, sizeof *out);
  out->code = a->code;
  copy_slice(out->message, sizeof out->message, a->details);
  if (a->code != GRPC_STATUS_OK) read_status_details(out, &a->trailing);
  if (a->code == GRPC_STATUS_OK) {
    out->response = a->recv;
    a->recv = NULL;
  }
  if (a->cancel) temporal__cancel_source_remove(a->cancel, a->call);
  if (a->recv) grpc_byte_buffer_destroy(a->recv);
  grpc_byte_buffer_destroy(a->send);
  grpc_slice_unref(a->details);
  grpc_metadata_array_destroy(&a->initial);
  grpc_metadata_array_destroy(&a->trailing);
  grpc_call_unref(a->call);
  memset(a, 0, sizeof *a);
}

/* Runs one attempt on a completion queue of its own and waits for it. Returns 0 when the call ran to
 * a status (in *out), or a TEMPORAL_E* code (with the last error set) when it could not be made. */
static int run_attempt(temporal__transport *t, const char *method, grpc_slice path, grpc_slice request,
                       temporal_duration_ns timeout, temporal__cancel_source *cancel,
                       temporal__attempt_result *out) {
  memset(out, 0, sizeof *out);
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  if (!cq) return temporal__error(TEMPORAL_ETRANSPORT, "%s: cannot create a completion queue", method);
  temporal__attempt a;
  int rc = temporal__attempt_start(&a, t, method, path, request, timeout, cancel, cq, &a);
  if (rc == 0) {
    /* No pluck deadline: the call's own deadline (or a cancel) guarantees the batch completes. */
    grpc_event ev = grpc_completion_queue_pluck(cq, &a, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type != GRPC_OP_COMPLETE)
      rc = temporal__error(TEMPORAL_ETRANSPORT, "%s: completion queue ended unexpectedly", method);
    temporal__attempt_finish(&a, out);
    if (rc != 0 && out->response) {
      grpc_byte_buffer_destroy(out->response);
      out->response = NULL;
    }
  }
  grpc_completion_queue_shutdown(cq);
  grpc_completion_queue_destroy(cq);
  return rc;
}

int temporal__decode_response(ProtobufCMessage **out, const char *method, grpc_byte_buffer *buffer,
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

void temporal__call_set_status(temporal__call_status *status, int code, const char *message) {
  if (!status) return;
  status->grpc_code = code;
  snprintf(status->message, sizeof status->message, "%s", message ? message : "");
}

void temporal__retry_init(temporal__retry *r, const temporal__call_options *opts, bool differentiation) {
  r->opts = opts;
  r->differentiation = differentiation;
  r->attempts = 0;
  temporal__backoff_init(&r->normal, 200 * TEMPORAL_MS,
                         opts->retry == TEMPORAL__RETRY_DEFAULT ? 5 * TEMPORAL_SECOND : 10 * TEMPORAL_SECOND);
  temporal__backoff_init(&r->exhausted, TEMPORAL_SECOND, 10 * TEMPORAL_SECOND);
}

bool temporal__retry_again(temporal__retry *r, const char *method, const temporal__attempt_result *a,
                           temporal_duration_ns *delay_out) {
  const temporal__call_options *opts = r->opts;
  int attempts = ++r->attempts;
  bool retryable = temporal__grpc_is_retryable(a->code, a->message, opts->retry, r->differentiation);
  bool more = false;
  switch (opts->retry) {
    case TEMPORAL__RETRY_NONE: break;
    case TEMPORAL__RETRY_DEFAULT: more = attempts < TEMPORAL__DEFAULT_MAX_ATTEMPTS; break;
    case TEMPORAL__RETRY_FOREVER: more = true; break;
    case TEMPORAL__RETRY_UNTIL: more = true; break;
  }
  if (!retryable || !more) return false;
  /* An expired long poll is routine: retried at once, and logged at debug level only. */
  bool expired_poll = a->code == GRPC_STATUS_DEADLINE_EXCEEDED && opts->retry == TEMPORAL__RETRY_FOREVER;
  temporal_duration_ns delay = 0;
  if (a->code == GRPC_STATUS_RESOURCE_EXHAUSTED)
    delay = temporal__backoff_next(&r->exhausted);
  else if (!expired_poll)
    delay = temporal__backoff_next(&r->normal);
  if (opts->retry == TEMPORAL__RETRY_UNTIL && temporal__monotonic_ns() + delay >= opts->retry_until) {
    TLOG_ERROR("%s: giving up at the call's deadline: %s: %s", method, temporal__grpc_code_name(a->code),
               a->message);
    return false;
  }
  /* The first failure of a call warns; a call retried without a count then warns every 10th. */
  bool loud = attempts == 1 || (opts->retry != TEMPORAL__RETRY_DEFAULT && attempts % 10 == 0);
  temporal__log(loud && !expired_poll ? TEMPORAL_LOG_WARN : TEMPORAL_LOG_DEBUG,
                "%s: %s: %s; retrying in %lld ms (attempt %d)", method, temporal__grpc_code_name(a->code),
                a->message, (long long)(delay / TEMPORAL_MS), attempts);
  *delay_out = delay;
  return true;
}

int temporal__call_failed(const char *method, const temporal__attempt_result *a, bool cancelled,
                          temporal__call_status *status) {
  temporal__call_set_status(status, cancelled ? GRPC_STATUS_CANCELLED : (int)a->code,
                            cancelled ? "cancelled" : a->message);
  int rc = temporal__grpc_status_to_error(a->code, a->message, cancelled);
  if (cancelled) return temporal__error(rc, "%s: cancelled", method);
  return temporal__error(rc, "%s: %s: %s%s%s%s", method, temporal__grpc_code_name(a->code), a->message,
                         a->detail_type[0] ? " (" : "", a->detail_type, a->detail_type[0] ? ")" : "");
}

int temporal__call_prepare(const char *method, const ProtobufCMessage *request, char *path, size_t path_cap,
                           grpc_slice *payload, temporal__call_status *status) {
  size_t size = protobuf_c_message_get_packed_size(request);
  if (size > TEMPORAL__MAX_MESSAGE_BYTES) {
    temporal__call_set_status(status, GRPC_STATUS_RESOURCE_EXHAUSTED, "message larger than max");
    return temporal__error(TEMPORAL_ETOOBIG, "%s: request of %zu bytes is larger than the %d-byte limit",
                           method, size, TEMPORAL__MAX_MESSAGE_BYTES);
  }
  if ((size_t)snprintf(path, path_cap, TEMPORAL__SERVICE_PATH "%s", method) >= path_cap)
    return temporal__error(TEMPORAL_EINVAL, "transport call: method name too long");
  *payload = grpc_slice_malloc(size);
  protobuf_c_message_pack(request, GRPC_SLICE_START_PTR(*payload));
  return 0;
}

int temporal__transport_call(temporal__transport *t, const char *method, const ProtobufCMessage *request,
                             const ProtobufCMessageDescriptor *response_descriptor,
                             ProtobufCMessage **resp_out, const temporal__call_options *opts,
                             temporal__call_status *status_out) {
  if (resp_out) *resp_out = NULL;
  temporal__call_set_status(status_out, GRPC_STATUS_UNKNOWN, "");
  if (!t || !method || !request || !response_descriptor || !resp_out)
    return temporal__error(TEMPORAL_EINVAL, "transport call: missing argument");
  const temporal__call_options defaults = {0};
  if (!opts) opts = &defaults;
  temporal_duration_ns timeout = opts->timeout > 0 ? opts->timeout : TEMPORAL__DEFAULT_CALL_TIMEOUT;
  if (temporal__cancel_source_is_cancelled(opts->cancel)) {
    temporal__call_set_status(status_out, GRPC_STATUS_CANCELLED, "cancelled");
    return temporal__error(TEMPORAL_ECANCELLED, "%s: cancelled", method);
  }
  char path[256];
  grpc_slice payload;
  int rc = temporal__call_prepare(method, request, path, sizeof path, &payload, status_out);
  if (rc != 0) return rc;
  grpc_slice path_slice = grpc_slice_from_static_string(path);

  temporal__retry retry;
  temporal__retry_init(&retry, opts, atomic_load(&t->internal_error_differentiation));
  for (;;) {
    temporal__attempt_result a;
    rc = run_attempt(t, method, path_slice, payload, timeout, opts->cancel, &a);
    if (rc != 0) {
      temporal__call_set_status(status_out,
                                rc == TEMPORAL_ECANCELLED ? GRPC_STATUS_CANCELLED : GRPC_STATUS_UNKNOWN,
                                temporal_error_last());
      break;
    }
    if (a.code == GRPC_STATUS_OK) {
      temporal__call_set_status(status_out, GRPC_STATUS_OK, "");
      rc = temporal__decode_response(resp_out, method, a.response, response_descriptor);
      if (a.response) grpc_byte_buffer_destroy(a.response);
      break;
    }
    bool cancelled = temporal__cancel_source_is_cancelled(opts->cancel);
    temporal_duration_ns delay = 0;
    if (!cancelled && temporal__retry_again(&retry, method, &a, &delay)) {
      if (temporal__transport_retry_sleep(t, opts->cancel, delay)) continue;
      cancelled = true;
    }
    rc = temporal__call_failed(method, &a, cancelled, status_out);
    break;
  }
  grpc_slice_unref(payload);
  return rc;
}
