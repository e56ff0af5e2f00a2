/* How deep a packed protobuf message nests, found without unpacking it.
 *
 * protobuf-c unpacks nested messages recursively, one C stack frame chain per level, so bytes that
 * nest a message thousands deep (a Failure whose `cause` chain anyone who can fail an activity may
 * choose) overflow the stack of whoever unpacks them. Every message that comes from outside the
 * process is measured with this walk first: it follows the schema (only fields the descriptor says
 * are messages are entered), keeps its own stack bounded by the limit, and never recurses. */
#ifndef TEMPORAL_CORE_PROTO_DEPTH_H
#define TEMPORAL_CORE_PROTO_DEPTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* The deepest nesting accepted: the top-level message is depth 1. Google's protobuf runtimes refuse
 * deeper messages by default too (their recursion limit is 100). */
#define TEMPORAL__PROTO_MAX_DEPTH 100

typedef enum temporal__proto_depth {
  TEMPORAL__PROTO_DEPTH_OK = 0,
  TEMPORAL__PROTO_TOO_DEEP = 1,  /* nests deeper than max_depth */
  TEMPORAL__PROTO_MALFORMED = 2, /* not well-formed wire data (a length past the end, a bad tag, ...) */
} temporal__proto_depth;

/* Reads the varint at data[*pos] (not past `end`) into *v and moves *pos past it; false when it runs
 * past `end` or over 10 bytes. */
bool temporal__proto_read_varint(const uint8_t *data, size_t end, size_t *pos, uint64_t *v);

/* Walks `data` (len bytes) as a message of type `descriptor`; max_depth is at most
 * TEMPORAL__PROTO_MAX_DEPTH. Pure; any thread. */
temporal__proto_depth temporal__proto_check_depth(const ProtobufCMessageDescriptor *descriptor,
                                                  const uint8_t *data, size_t len, unsigned int max_depth);

#endif
