/* Decoding payloads as JSON: json/plain is parsed, binary/null is JSON null, anything else is a
 * decode error that says why. A number jansson cannot hold exactly is TEMPORAL_ERANGE. */
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

/* The length of the JSON number (RFC 8259 grammar) at text[0..len), 0 if there is none. */
static size_t number_length(const uint8_t *t, size_t len) {
  size_t i = 0;
  if (i < len && t[i] == '-') i++;
  if (i < len && t[i] == '0') {
    i++;
  } else if (i < len && t[i] >= '1' && t[i] <= '9') {
    while (i < len && t[i] >= '0' && t[i] <= '9') i++;
  } else {
    return 0;
  }
  if (i + 1 < len && t[i] == '.' && t[i + 1] >= '0' && t[i + 1] <= '9') {
    i++;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++;
  }
  if (i < len && (t[i] == 'e' || t[i] == 'E')) {
    size_t j = i + 1;
    if (j < len && (t[j] == '+' || t[j] == '-')) j++;
    if (j < len && t[j] >= '0' && t[j] <= '9') {
      while (j < len && t[j] >= '0' && t[j] <= '9') j++;
      i = j;
    }
  }
  return i;
}

/* Whether the text is valid JSON once every well-formed number (outside strings) is read as 0: tells
 * a document whose only fault is a number jansson cannot hold from one that is broken elsewhere. */
static int valid_but_for_numbers(const uint8_t *text, size_t len, size_t flags, json_error_t *err) {
  char *copy = malloc(len ? len : 1);
  if (!copy) return TEMPORAL_ENOMEM;
  size_t o = 0;
  bool in_string = false;
  for (size_t i = 0; i < len;) {
    uint8_t c = text[i];
    size_t n;
    if (in_string) {
      copy[o++] = (char)text[i++];
      if (c == '\\' && i < len)
        copy[o++] = (char)text[i++];
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
      copy[o++] = (char)text[i++];
    } else if ((c == '-' || (c >= '0' && c <= '9')) && (n = number_length(text + i, len - i)) > 0) {
      copy[o++] = '0';
      i += n;
    } else {
      copy[o++] = (char)text[i++];
    }
  }
  json_t *value = json_loadb(copy, o, flags, err);
  free(copy);
  if (!value) return json_error_code(err) == json_error_out_of_memory ? TEMPORAL_ENOMEM : TEMPORAL_EDECODE;
  json_decref(value);
  return 0;
}

/* Parses JSON text of any kind (scalars too, embedded NULs in strings allowed). */
static int parse_json(json_t **out, const uint8_t *data, size_t len) {
  /* The commonest argument, a plain string, needs no parser (json_fast.c). */
  int fast = temporal__json_string_fast_parse(out, data, len);
  if (fast != 0) return fast < 0 ? fast : 0;
  const size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL;
  json_error_t err;
  json_t *value = json_loadb((const char *)data, len, flags, &err);
  if (!value) {
    if (json_error_code(&err) == json_error_out_of_memory)
      return temporal__error(TEMPORAL_ENOMEM, "out of memory");
    /* Valid JSON that jansson cannot hold exactly: an integer beyond 64 bits (Python's int is
     * unbounded) or a real beyond a double. Read as a nearby double it would be silently wrong, so it
     * is refused as out of range; the payload's text keeps the exact digits. */
    if (json_error_code(&err) == json_error_numeric_overflow) {
      json_error_t overflow = err;
      int rc = valid_but_for_numbers(data, len, flags, &err);
      if (rc == TEMPORAL_ENOMEM) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
      if (rc == 0)
        return temporal__error(
            TEMPORAL_ERANGE,
            "a JSON number does not fit a 64-bit integer or a double (%s, line %d, column %d); "
            "the payload's text holds it exactly",
            overflow.text, overflow.line, overflow.column);
    }
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
