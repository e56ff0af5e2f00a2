/* Small string helpers, identities and UUIDs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/core.h"

char *temporal__strdup(const char *s) {
  if (!s) return NULL;
  char *copy = strdup(s);
  if (!copy) temporal__error(TEMPORAL_ENOMEM, "out of memory");
  return copy;
}

char *temporal__asprintf(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  char *out = NULL;
  int n = vasprintf(&out, format, ap);
  va_end(ap);
  if (n < 0) {
    temporal__error(TEMPORAL_ENOMEM, "out of memory");
    return NULL;
  }
  return out;
}

void temporal__uuid4(char out[37]) {
  uint8_t b[16];
  size_t got = 0;
  while (got < sizeof b) {
    ssize_t n = getrandom(b + got, sizeof b - got, 0);
    if (n > 0) got += (size_t)n;
  }
  b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
           b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

char *temporal__default_identity(void) {
  char host[256] = "localhost";
  if (gethostname(host, sizeof host - 1) != 0) strcpy(host, "localhost");
  host[sizeof host - 1] = '\0';
  return temporal__asprintf("%ld@%s", (long)getpid(), host);
}
