/* The nesting walk that guards every response before protobuf-c unpacks it (core/proto_depth.h). */
#include "core/proto_depth.h"
#include "google/rpc/status.pb-c.h"
#include "temporal/api/failure/v1/message.pb-c.h"
#include "test.h"

/* Appends a varint to buf at *len. */
static void put_varint(uint8_t *buf, size_t *len, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    buf[(*len)++] = b | (v ? 0x80 : 0);
  } while (v);
}

/* A packed Failure whose `cause` chain is `depth` failures long (depth 1: no cause), each with the
 * message "m". Built inside out, without recursion, as a hostile peer would. */
static uint8_t *failure_chain(unsigned int depth, size_t *len_out) {
  const unsigned int cause = protobuf_c_message_descriptor_get_field_by_name(
                                 &temporal__api__failure__v1__failure__descriptor, "cause")
                                 ->id;
  size_t cap = (size_t)depth * 16 + 16;
  uint8_t *buf = malloc(cap), *tmp = malloc(cap);
  size_t len = 0;
  for (unsigned int i = 0; i < depth; i++) {
    size_t n = 0;
    tmp[n++] = (1 << 3) | 2; /* message = "m" */
    tmp[n++] = 1;
    tmp[n++] = 'm';
    if (len > 0) {
      put_varint(tmp, &n, ((uint64_t)cause << 3) | 2);
      put_varint(tmp, &n, len);
      memcpy(tmp + n, buf, len);
      n += len;
    }
    memcpy(buf, tmp, n);
    len = n;
  }
  free(tmp);
  *len_out = len;
  return buf;
}

#define FAILURE (&temporal__api__failure__v1__failure__descriptor)

TEST(proto_depth_accepts_a_chain_within_the_limit) {
  size_t len;
  uint8_t *bytes = failure_chain(TEMPORAL__PROTO_MAX_DEPTH, &len);
  CHECK_EQ_INT(TEMPORAL__PROTO_DEPTH_OK, temporal__proto_check_depth(FAILURE, bytes, len, 0));
  /* And protobuf-c agrees with the walk about the shape. */
  Temporal__Api__Failure__V1__Failure *f = temporal__api__failure__v1__failure__unpack(NULL, len, bytes);
  CHECK(f != NULL);
  unsigned int seen = 0;
  for (Temporal__Api__Failure__V1__Failure *c = f; c; c = c->cause) {
    CHECK_STR_EQ("m", c->message);
    seen++;
  }
  CHECK_EQ_INT(TEMPORAL__PROTO_MAX_DEPTH, seen);
  temporal__api__failure__v1__failure__free_unpacked(f, NULL);
  free(bytes);
}

TEST(proto_depth_refuses_a_chain_one_too_deep_and_a_very_deep_one) {
  size_t len;
  uint8_t *bytes = failure_chain(TEMPORAL__PROTO_MAX_DEPTH + 1, &len);
  CHECK_EQ_INT(TEMPORAL__PROTO_TOO_DEEP, temporal__proto_check_depth(FAILURE, bytes, len, 0));
  free(bytes);
  /* 9,000 deep: protobuf-c's recursive unpack overflows an 8 MiB stack on this; the walk does not. */
  bytes = failure_chain(9000, &len);
  CHECK_EQ_INT(TEMPORAL__PROTO_TOO_DEEP, temporal__proto_check_depth(FAILURE, bytes, len, 0));
  CHECK_EQ_INT(TEMPORAL__PROTO_TOO_DEEP, temporal__proto_check_depth(FAILURE, bytes, len, 10));
  free(bytes);
}

TEST(proto_depth_reports_malformed_bytes) {
  size_t len;
  uint8_t *bytes = failure_chain(5, &len);
  /* The outermost failure is its message field (3 bytes: whole, so a cut there is well formed),
   * then its cause: cut anywhere in the cause, a length runs past the end. */
  CHECK_EQ_INT(TEMPORAL__PROTO_DEPTH_OK, temporal__proto_check_depth(FAILURE, bytes, 3, 0));
  for (size_t cut = 4; cut < len; cut++)
    CHECK_EQ_INT(TEMPORAL__PROTO_MALFORMED, temporal__proto_check_depth(FAILURE, bytes, cut, 0));
  free(bytes);
  const uint8_t group[] = {(1 << 3) | 3};       /* a start-group tag */
  const uint8_t field_zero[] = {0x00, 0x01};    /* field number 0 */
  const uint8_t endless[] = {0x08, 0xff, 0xff}; /* a varint with no last byte */
  CHECK_EQ_INT(TEMPORAL__PROTO_MALFORMED, temporal__proto_check_depth(FAILURE, group, sizeof group, 0));
  CHECK_EQ_INT(TEMPORAL__PROTO_MALFORMED,
               temporal__proto_check_depth(FAILURE, field_zero, sizeof field_zero, 0));
  CHECK_EQ_INT(TEMPORAL__PROTO_MALFORMED, temporal__proto_check_depth(FAILURE, endless, sizeof endless, 0));
  CHECK_EQ_INT(TEMPORAL__PROTO_DEPTH_OK, temporal__proto_check_depth(FAILURE, NULL, 0, 0));
}

TEST(proto_depth_does_not_enter_bytes_and_unknown_fields) {
  /* A deep chain carried as bytes (google.rpc.Status details are Any, whose value is bytes) or in a
   * field the schema does not know is never unpacked by protobuf-c, so it does not count. */
  size_t inner_len;
  uint8_t *inner = failure_chain(500, &inner_len);
  uint8_t *buf = malloc(inner_len + 32);
  size_t len = 0;
  put_varint(buf, &len, (999u << 3) | 2); /* unknown field 999 */
  put_varint(buf, &len, inner_len);
  memcpy(buf + len, inner, inner_len);
  len += inner_len;
  CHECK_EQ_INT(TEMPORAL__PROTO_DEPTH_OK, temporal__proto_check_depth(FAILURE, buf, len, 0));
  CHECK_EQ_INT(TEMPORAL__PROTO_DEPTH_OK,
               temporal__proto_check_depth(&google__rpc__status__descriptor, buf, len, 0));
  free(buf);
  free(inner);
}
