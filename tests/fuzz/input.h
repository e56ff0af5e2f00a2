/* Structured values read off the front of a fuzz input, for targets that build the library's values
 * themselves instead of decoding the input as one format. Reading past the end gives zeros and
 * empty runs, so every input, however short, makes some value. */
#ifndef TEMPORAL_FUZZ_INPUT_H
#define TEMPORAL_FUZZ_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct fuzz_input {
  const uint8_t *p;
  size_t left;
} fuzz_input;

uint8_t fuzz_u8(fuzz_input *in);
bool fuzz_bool(fuzz_input *in);
uint32_t fuzz_u32(fuzz_input *in);
uint64_t fuzz_u64(fuzz_input *in);
/* A run of up to `max` bytes (its length is the next byte, then as many bytes as are left): points
 * into the input. */
const uint8_t *fuzz_bytes(fuzz_input *in, size_t max, size_t *len_out);
/* The same run as a NUL-terminated malloc'd string (a NUL inside ends it early, as C strings do);
 * NULL only when memory runs out. */
char *fuzz_string(fuzz_input *in, size_t max);

#endif
