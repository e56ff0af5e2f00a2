/* The nesting walk of proto_depth.h: a loop over tags with an explicit stack of the messages it is
 * inside, one entry per level. Unknown fields and fields of other types are skipped by length, as
 * protobuf-c keeps them as bytes without looking inside. */
#include "core/proto_depth.h"

typedef struct frame {
  const ProtobufCMessageDescriptor *descriptor;
  size_t end; /* offset just past this message's bytes */
} frame;

bool temporal__proto_read_varint(const uint8_t *data, size_t end, size_t *pos, uint64_t *v) {
  *v = 0;
  for (unsigned int shift = 0; shift < 64 && *pos < end; shift += 7) {
    uint8_t b = data[(*pos)++];
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

temporal__proto_depth temporal__proto_check_depth(const ProtobufCMessageDescriptor *descriptor,
                                                  const uint8_t *data, size_t len, unsigned int max_depth) {
  if (max_depth == 0 || max_depth > TEMPORAL__PROTO_MAX_DEPTH) max_depth = TEMPORAL__PROTO_MAX_DEPTH;
  frame stack[TEMPORAL__PROTO_MAX_DEPTH];
  unsigned int depth = 1;
  stack[0] = (frame){descriptor, len};
  size_t pos = 0;
  for (;;) {
    /* Leave every message that ends here (a message may end where its parent ends). */
    while (pos == stack[depth - 1].end) {
      if (--depth == 0) return TEMPORAL__PROTO_DEPTH_OK;
    }
    frame *top = &stack[depth - 1];
    uint64_t key, n;
    if (!temporal__proto_read_varint(data, top->end, &pos, &key)) return TEMPORAL__PROTO_MALFORMED;
    uint64_t number = key >> 3;
    if (number == 0 || number > 0x1fffffff) return TEMPORAL__PROTO_MALFORMED;
    switch (key & 7) {
      case 0: /* varint */
        if (!temporal__proto_read_varint(data, top->end, &pos, &n)) return TEMPORAL__PROTO_MALFORMED;
        continue;
      case 1: n = 8; break; /* fixed64 */
      case 5: n = 4; break; /* fixed32 */
      case 2:               /* length-delimited: bytes, a string, packed scalars or a message */
        if (!temporal__proto_read_varint(data, top->end, &pos, &n)) return TEMPORAL__PROTO_MALFORMED;
        break;
      default: return TEMPORAL__PROTO_MALFORMED; /* groups: protobuf-c does not take them either */
    }
    if (n > top->end - pos) return TEMPORAL__PROTO_MALFORMED;
    const ProtobufCFieldDescriptor *field =
        top->descriptor ? protobuf_c_message_descriptor_get_field(top->descriptor, (unsigned)number) : NULL;
    if ((key & 7) == 2 && field && field->type == PROTOBUF_C_TYPE_MESSAGE) {
      if (depth == max_depth) return TEMPORAL__PROTO_TOO_DEEP;
      stack[depth++] = (frame){field->descriptor, pos + (size_t)n};
      continue; /* the loop reads the inner message's tags next */
    }
    pos += (size_t)n;
  }
}
