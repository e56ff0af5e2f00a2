/* Results <-> bytes, to carry an outcome from a process-pool child back to the worker.
 *
 * Format (version 1), all integers little-endian:
 *   "TCR" version:u8 kind:u8
 *   kind VALUE:     len:u32 Payload[len]                      (a packed Payload proto)
 *   kind ERROR:     n:u32 then n x (len:u32 Failure[len])     (the cause chain, outermost first)
 *   kind CANCELLED: nothing
 * and nothing after. Each Failure is packed without its `cause`, the chain being spelled out
 * instead, so decoding never recurses through nested causes: the bytes may come from a crashed or
 * misbehaving child, and any input, however truncated or garbled, gives TEMPORAL_EDECODE. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "core/proto_depth.h"

#define MAGIC "TCR"
#define MAGIC_LEN 3
#define FORMAT_VERSION 1
#define HEADER_LEN (MAGIC_LEN + 2)

/* ---- writing ---- */

typedef struct writer {
  uint8_t *buf;
  size_t len;
} writer;

static void put_u32(writer *w, uint32_t v) {
  for (int i = 0; i < 4; i++) w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

static void put_message(writer *w, const ProtobufCMessage *msg, size_t size) {
  put_u32(w, (uint32_t)size);
  w->len += protobuf_c_message_pack(msg, w->buf + w->len);
}

/* The packed size of `f` alone, without its cause. */
static size_t failure_size(Temporal__Api__Failure__V1__Failure *f) {
  Temporal__Api__Failure__V1__Failure *cause = f->cause;
  f->cause = NULL;
  size_t size = protobuf_c_message_get_packed_size(&f->base);
  f->cause = cause;
  return size;
}

static void put_failure(writer *w, Temporal__Api__Failure__V1__Failure *f, size_t size) {
  Temporal__Api__Failure__V1__Failure *cause = f->cause;
  f->cause = NULL;
  put_message(w, &f->base, size);
  f->cause = cause;
}

/* Total size and element count of the flattened chain; TEMPORAL_ETOOBIG past the u32 framing. */
static int measure_chain(Temporal__Api__Failure__V1__Failure *head, size_t *total, uint32_t *count) {
  size_t sum = 4;
  uint32_t n = 0;
  for (Temporal__Api__Failure__V1__Failure *f = head; f; f = f->cause) {
    size_t size = failure_size(f);
    if (size > UINT32_MAX || n == UINT32_MAX || sum > SIZE_MAX - 4 - size)
      return temporal__error(TEMPORAL_ETOOBIG, "result error too large to serialize");
    sum += 4 + size;
    n++;
  }
  *total = sum;
  *count = n;
  return 0;
}

int temporal__result_serialize(uint8_t **out, size_t *len_out, const temporal_result *result) {
  if (!out || !len_out || !result)
    return temporal__error(TEMPORAL_EINVAL, "temporal__result_serialize: NULL argument");
  Temporal__Api__Common__V1__Payload *payload = NULL;
  Temporal__Api__Failure__V1__Failure *failure = NULL;
  size_t body = 0;
  uint32_t chain = 0;
  int rc = 0;
  switch (result->kind) {
    case TEMPORAL__RESULT_VALUE:
      rc = temporal__result_value_to_proto(&payload, result);
      if (rc == 0) {
        body = protobuf_c_message_get_packed_size(&payload->base);
        if (body > UINT32_MAX) rc = temporal__error(TEMPORAL_ETOOBIG, "result too large to serialize");
        body += 4;
      }
      break;
    case TEMPORAL__RESULT_ERROR:
      rc = result->error ? temporal__failure_from_application_error(&failure, result->error)
                         : temporal__failure_new(&failure, "Error", "", false);
      if (rc == 0) rc = measure_chain(failure, &body, &chain);
      break;
    case TEMPORAL__RESULT_CANCELLED:
    case TEMPORAL__RESULT_ASYNC: break;
    default:
      rc = temporal__error(TEMPORAL_EINVAL, "temporal__result_serialize: unknown result kind %d",
                           (int)result->kind);
  }
  writer w = {NULL, 0};
  if (rc == 0 && !(w.buf = malloc(HEADER_LEN + body))) rc = temporal__error(TEMPORAL_ENOMEM, "out of memory");
  if (rc == 0) {
    memcpy(w.buf, MAGIC, MAGIC_LEN);
    w.len = MAGIC_LEN;
    w.buf[w.len++] = FORMAT_VERSION;
    w.buf[w.len++] = (uint8_t)result->kind;
    if (payload) put_message(&w, &payload->base, body - 4);
    if (failure) {
      put_u32(&w, chain);
      for (Temporal__Api__Failure__V1__Failure *f = failure; f; f = f->cause)
        put_failure(&w, f, failure_size(f));
    }
    *out = w.buf;
    *len_out = w.len;
  }
  if (payload) protobuf_c_message_free_unpacked(&payload->base, NULL);
  if (failure) protobuf_c_message_free_unpacked(&failure->base, NULL);
  return rc;
}

/* ---- reading ---- */

typedef struct reader {
  const uint8_t *p;
  size_t len;
  size_t pos;
} reader;

static bool get_u32(reader *r, uint32_t *v) {
  if (r->len - r->pos < 4) return false;
  *v = 0;
  for (int i = 0; i < 4; i++) *v |= (uint32_t)r->p[r->pos + (size_t)i] << (8 * i);
  r->pos += 4;
  return true;
}

/* A length-prefixed block: its start and length, bounds-checked. */
static bool get_block(reader *r, const uint8_t **data, size_t *len) {
  uint32_t n;
  if (!get_u32(r, &n) || r->len - r->pos < n) return false;
  *data = r->p + r->pos;
  *len = n;
  r->pos += n;
  return true;
}

/* Walks the top level of a packed message without unpacking it: true when it is well formed and
 * has no field `field`. Used to refuse a Failure that carries a nested `cause`, which protobuf-c
 * would unpack recursively, as deep as crafted bytes ask. */
static bool wire_lacks_field(const uint8_t *data, size_t len, uint32_t field) {
  reader r = {data, len, 0};
  while (r.pos < r.len) {
    uint64_t key, n = 0;
    if (!temporal__proto_read_varint(r.p, r.len, &r.pos, &key) || (key >> 3) == field) return false;
    switch (key & 7) {
      case 0: /* varint */
        if (!temporal__proto_read_varint(r.p, r.len, &r.pos, &n)) return false;
        continue;
      case 1: n = 8; break; /* fixed64 */
      case 5: n = 4; break; /* fixed32 */
      case 2:               /* length-delimited */
        if (!temporal__proto_read_varint(r.p, r.len, &r.pos, &n)) return false;
        break;
      default: return false; /* groups are not used by these messages */
    }
    if (r.len - r.pos < n) return false;
    r.pos += (size_t)n;
  }
  return true;
}

static int decode_error(const char *what) {
  return temporal__error(TEMPORAL_EDECODE, "serialized result: %s", what);
}

static int duration_to_ns(temporal_duration_ns *out, const Google__Protobuf__Duration *d) {
  if (!d) {
    *out = 0;
    return 0;
  }
  /* Exactly the delays an error can hold (any non-negative int64 of nanoseconds), the longest
   * included: a child's error with one must not read as a broken result. */
  if (d->seconds < 0 || d->nanos < 0 || d->nanos >= 1000000000 || d->seconds > INT64_MAX / TEMPORAL_SECOND ||
      (d->seconds == INT64_MAX / TEMPORAL_SECOND && d->nanos > INT64_MAX % TEMPORAL_SECOND))
    return decode_error("bad next_retry_delay");
  *out = d->seconds * TEMPORAL_SECOND + d->nanos;
  return 0;
}

/* One unpacked application Failure -> a new application error (without a cause). */
static int error_from_failure(temporal_application_error **out,
                              const Temporal__Api__Failure__V1__Failure *f) {
  if (f->failure_info_case != TEMPORAL__API__FAILURE__V1__FAILURE__FAILURE_INFO_APPLICATION_FAILURE_INFO ||
      !f->application_failure_info)
    return decode_error("error is not an application failure");
  const Temporal__Api__Failure__V1__ApplicationFailureInfo *info = f->application_failure_info;
  temporal_error_category category = TEMPORAL_ERROR_CATEGORY_UNSPECIFIED;
  if (info->category ==
      TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_BENIGN)
    category = TEMPORAL_ERROR_CATEGORY_BENIGN;
  else if (info->category !=
           TEMPORAL__API__ENUMS__V1__APPLICATION_ERROR_CATEGORY__APPLICATION_ERROR_CATEGORY_UNSPECIFIED)
    return decode_error("unknown error category");
  temporal_duration_ns delay = 0;
  int rc = duration_to_ns(&delay, info->next_retry_delay);
  if (rc != 0) return rc;
  temporal_application_error *e = NULL;
  if ((rc = temporal_application_error_new(&e, info->type, f->message)) != 0) return rc;
  e->non_retryable = info->non_retryable;
  e->next_retry_delay = delay;
  e->category = category;
  size_t n = info->details ? info->details->n_payloads : 0;
  if (n && !(e->details = calloc(n, sizeof *e->details)))
    rc = temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; rc == 0 && i < n; i++) {
    rc = temporal__payload_from_proto(&e->details[i], info->details->payloads[i]);
    if (rc == 0) e->detail_count++;
  }
  if (rc != 0) {
    temporal_application_error_free(e);
    return rc;
  }
  *out = e;
  return 0;
}

static int read_error_chain(temporal_application_error **out, reader *r) {
  const ProtobufCFieldDescriptor *cause_field = protobuf_c_message_descriptor_get_field_by_name(
      &temporal__api__failure__v1__failure__descriptor, "cause");
  uint32_t count;
  /* Every element takes at least its 4-byte length, which bounds a garbage count. */
  if (!get_u32(r, &count) || count == 0 || count > (r->len - r->pos) / 4)
    return decode_error("bad error chain");
  temporal_application_error *head = NULL, **link = &head;
  int rc = 0;
  for (uint32_t i = 0; rc == 0 && i < count; i++) {
    const uint8_t *data;
    size_t len;
    if (!get_block(r, &data, &len) || !wire_lacks_field(data, len, cause_field->id)) {
      rc = decode_error("bad failure");
      break;
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(&temporal__api__failure__v1__failure__descriptor, NULL,
                                                      len, len ? data : (const uint8_t *)"");
    if (!msg) {
      rc = decode_error("bad failure");
      break;
    }
    rc = error_from_failure(link, (Temporal__Api__Failure__V1__Failure *)msg);
    protobuf_c_message_free_unpacked(msg, NULL);
    if (rc == 0) link = &(*link)->cause;
  }
  if (rc != 0) {
    temporal_application_error_free(head);
    return rc;
  }
  *out = head;
  return 0;
}

static int read_value(temporal_payload **out, reader *r) {
  const uint8_t *data;
  size_t len;
  if (!get_block(r, &data, &len)) return decode_error("truncated value");
  ProtobufCMessage *msg = protobuf_c_message_unpack(&temporal__api__common__v1__payload__descriptor, NULL,
                                                    len, len ? data : (const uint8_t *)"");
  if (!msg) return decode_error("bad value payload");
  int rc = temporal__payload_from_proto(out, (Temporal__Api__Common__V1__Payload *)msg);
  protobuf_c_message_free_unpacked(msg, NULL);
  return rc;
}

int temporal__result_deserialize(temporal_result **out, const uint8_t *data, size_t len) {
  if (!out || (!data && len))
    return temporal__error(TEMPORAL_EINVAL, "temporal__result_deserialize: NULL argument");
  if (len < HEADER_LEN || memcmp(data, MAGIC, MAGIC_LEN) != 0) return decode_error("not a serialized result");
  if (data[MAGIC_LEN] != FORMAT_VERSION)
    return temporal__error(TEMPORAL_EDECODE, "serialized result: unsupported format version %u",
                           data[MAGIC_LEN]);
  temporal_result *result = calloc(1, sizeof *result);
  if (!result) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  reader r = {data, len, HEADER_LEN};
  int rc = 0;
  result->kind = (temporal__result_kind)data[MAGIC_LEN + 1];
  switch (data[MAGIC_LEN + 1]) {
    case TEMPORAL__RESULT_VALUE: rc = read_value(&result->value, &r); break;
    case TEMPORAL__RESULT_ERROR: rc = read_error_chain(&result->error, &r); break;
    case TEMPORAL__RESULT_CANCELLED:
    case TEMPORAL__RESULT_ASYNC: break;
    default: rc = decode_error("unknown result kind");
  }
  if (rc == 0 && r.pos != r.len) rc = decode_error("trailing bytes");
  if (rc != 0) {
    temporal_result_free(result);
    return rc;
  }
  *out = result;
  return 0;
}
