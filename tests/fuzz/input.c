/* Reading the fuzz input front to back (input.h). Little-endian, like the library's own formats, so
 * a seed's bytes read the way one expects in a hex dump. */
#include "input.h"

#include <stdlib.h>
#include <string.h>

uint8_t fuzz_u8(fuzz_input *in) {
  if (in->left == 0) return 0;
  in->left--;
  return *in->p++;
}

bool fuzz_bool(fuzz_input *in) {
  return fuzz_u8(in) & 1;
}

uint32_t fuzz_u32(fuzz_input *in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)fuzz_u8(in) << (8 * i);
  return v;
}

uint64_t fuzz_u64(fuzz_input *in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)fuzz_u8(in) << (8 * i);
  return v;
}

const uint8_t *fuzz_bytes(fuzz_input *in, size_t max, size_t *len_out) {
  size_t len = fuzz_u8(in);
  if (len > max) len = max;
  if (len > in->left) len = in->left;
  const uint8_t *at = in->p;
  in->p += len;
  in->left -= len;
  *len_out = len;
  return at;
}

char *fuzz_string(fuzz_input *in, size_t max) {
  size_t len;
  const uint8_t *bytes = fuzz_bytes(in, max, &len);
  char *s = malloc(len + 1);
  if (!s) return NULL;
  if (len) memcpy(s, bytes, len);
  s[len] = '\0';
  return s;
}
