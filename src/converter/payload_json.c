/* Decoding payloads as JSON: json/plain is parsed, binary/null is JSON null, anything else is a
 * decode error that says why. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

/* Exact comparison of the encoding metadata: a value with trailing bytes after a NUL is not a match. */
static bool encoding_is(const temporal_payload *payload, const char *name) {
  size_t len = 0;
  const uint8_t *value = temporal_payload_metadata(payload, "encoding", &len);
  return value && len == strlen(name) && memcmp(value, name, len) == 0;
}

/* Whether the integer literal text[0..len) (optional '-', digits) is outside int64. */
static bool integer_overflows(const uint8_t *text, size_t len) {
  bool negative = len && text[0] == '-';
  if (negative) {
    text++;
    len--;
  }
  const char *limit = negative ? "9223372036854775808" : "9223372036854775807";
  size_t limit_len = strlen(limit);
  if (len != limit_len) return len > limit_len;
  return memcmp(text, limit, len) > 0;
}

static bool is_number_char(uint8_t c) {
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* jansson refuses integers beyond int64 ("too big integer") although they are valid JSON and other
 * SDKs send them (Python's int is unbounded). This copy of the text turns each such literal into a
 * real by appending "e0", so it parses to the nearest double, as JavaScript would read it. Integers
 * in range and everything inside strings are left alone. Returns a malloc'd copy, NULL on ENOMEM. */
static char *widen_big_integers(const uint8_t *text, size_t len, size_t *len_out) {
  /* Every widened literal has at least 19 digits and grows by 2 bytes. */
  size_t cap = len + 2 * (len / 19 + 1) + 1;
  char *out = malloc(cap);
  if (!out) return NULL;
  size_t o = 0;
  bool in_string = false;
  for (size_t i = 0; i < len;) {
    uint8_t c = text[i];
    if (in_string) {
      out[o++] = (char)text[i++];
      if (c == '\\' && i < len)
        out[o++] = (char)text[i++];
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out[o++] = (char)text[i++];
      continue;
    }
    if (c != '-' && !(c >= '0' && c <= '9')) {
      out[o++] = (char)text[i++];
      continue;
    }
    size_t start = i;
    bool integer = true;
    while (i < len && is_number_char(text[i])) {
      if (text[i] == '.' || text[i] == 'e' || text[i] == 'E' || (text[i] == '+') ||
          (text[i] == '-' && i > start))
        integer = false;
      i++;
    }
    memcpy(out + o, text + start, i - start);
    o += i - start;
    if (integer && integer_overflows(text + start, i - start)) {
      out[o++] = 'e';
      out[o++] = '0';
    }
  }
  out[o] = '\0';
  *len_out = o;
  return out;
}

/* Parses JSON text of any kind (scalars too, embedded NULs in strings allowed). */
static int parse_json(json_t **out, const uint8_t *data, size_t len) {
  const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
  json_error_t err;
  json_t *value = json_loadb((const char *)data, len, flags, &err);
  if (!value && json_error_code(&err) == json_error_numeric_overflow) {
    size_t wide_len = 0;
    char *wide = widen_big_integers(data, len, &wide_len);
    if (!wide) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    value = json_loadb(wide, wide_len, flags, &err);
    free(wide);
  }
  if (!value) {
    if (json_error_code(&err) == json_error_out_of_memory)
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    return temporal__error(TEMPORAL_EDECODE, "invalid JSON: %s (line %d, column %d)", err.text, err.line,
                           err.column);
  }
  *out = value;
  return 0;
}

int temporal_payload_to_json(json_t **out, const temporal_payload *payload) {
  if (!out || !payload) return temporal__error(TEMPORAL_EINVAL, "temporal_payload_to_json: NULL argument");
  if (encoding_is(payload, TEMPORAL_ENCODING_JSON)) return parse_json(out, payload->data, payload->len);
  if (encoding_is(payload, TEMPORAL_ENCODING_NULL)) {
    *out = json_null();
    return 0;
  }
  size_t len = 0;
  const uint8_t *encoding = temporal_payload_metadata(payload, "encoding", &len);
  if (!encoding) return temporal__error(TEMPORAL_EDECODE, "payload has no \"encoding\" metadata");
  if (encoding_is(payload, TEMPORAL_ENCODING_BINARY))
    return temporal__error(TEMPORAL_EDECODE, "a binary/plain payload holds bytes, not JSON");
  /* Shown with its length so an encoding with a NUL or a huge one still prints sanely. */
  return temporal__error(TEMPORAL_EDECODE, "unknown encoding \"%.*s\"", len > 100 ? 100 : (int)len,
                         (const char *)encoding);
}
