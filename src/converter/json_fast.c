/* The fast path for the commonest payload, a JSON string: a string argument read and a string result
 * written without jansson's parser or serializer, whose per-character work dominated the cost of a
 * large string (docs/BENCHMARKS.md). Both produce exactly what jansson would: a string the fast
 * reader does not take (an escape, surrounding whitespace, anything odd) goes to jansson, so every
 * error message stays jansson's; the writer escapes as jansson's compact dump does
 * (tests/unit/test_json_fast.c compares them). */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"

/* The length of the UTF-8 sequence at s (1..4), or 0 when it is not one jansson accepts: no overlong
 * forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence(const uint8_t *s, size_t left) {
  uint8_t c = s[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (left < n) return 0;
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* How many bytes at s go through either way unchanged: printable ASCII other than '"' and '\\'.
 * Eight at a time while it can (a word-wide test for "any byte < 0x20, == '"', == '\\' or >= 0x80"):
 * for a large string this scan is nearly all the work. */
static size_t plain_prefix(const uint8_t *s, size_t len) {
  const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
    uint64_t special = (w | ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
    if (special) break;
  }
  while (i < len && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') i++;
  return i;
}

int temporal__json_string_fast_parse(json_t **out, const uint8_t *text, size_t len) {
  *out = NULL;
  if (len < 2 || text[0] != '"' || text[len - 1] != '"') return 0;
  const uint8_t *body = text + 1;
  size_t body_len = len - 2;
  for (size_t i = 0; i < body_len;) {
    i += plain_prefix(body + i, body_len - i);
    if (i == body_len) break;
    uint8_t c = body[i];
    if (c == '"' || c == '\\' || c < 0x20) return 0; /* an escape or an error: jansson's */
    size_t n = c < 0x80 ? 1 : utf8_sequence(body + i, body_len - i);
    if (!n) return 0;
    i += n;
  }
  json_t *s = json_stringn_nocheck((const char *)body, body_len);
  if (!s) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  *out = s;
  return 1;
}

/* The escape jansson's compact dump writes for byte c, or NULL when c goes as it is. */
static const char *escape_of(uint8_t c, char buf[8]) {
  switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\f': return "\\f";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: break;
  }
  if (c >= 0x20) return NULL;
  snprintf(buf, 8, "\\u%04X", c);
  return buf;
}

int temporal__json_string_fast_dump(uint8_t **out, size_t *len_out, const char *utf8, size_t len) {
  const uint8_t *s = (const uint8_t *)utf8;
  size_t size = 2; /* the quotes */
  char buf[8];
  for (size_t i = 0; i < len;) {
    size_t run = plain_prefix(s + i, len - i);
    size += run;
    i += run;
    if (i == len) break;
    if (s[i] < 0x80) {
      size += strlen(escape_of(s[i], buf));
      i++;
      continue;
    }
    size_t n = utf8_sequence(s + i, len - i);
    if (!n) return temporal__error(TEMPORAL_EINVAL, "the string is not valid UTF-8");
    size += n;
    i += n;
  }
  uint8_t *b = malloc(size + 1);
  if (!b) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  uint8_t *p = b;
  *p++ = '"';
  bool unescaped = size == len + 2; /* nothing to escape: one copy, no second scan */
  if (unescaped) {
    memcpy(p, s, len);
    p += len;
  }
  for (size_t i = unescaped ? len : 0; i < len;) {
    size_t run = plain_prefix(s + i, len - i);
    memcpy(p, s + i, run);
    p += run;
    i += run;
    if (i == len) break;
    const char *e = s[i] < 0x80 ? escape_of(s[i], buf) : NULL;
    if (!e) {
      *p++ = s[i++]; /* a byte of a sequence the first pass checked */
      continue;
    }
    size_t n = strlen(e);
    memcpy(p, e, n);
    p += n;
    i++;
  }
  *p++ = '"';
  *p = '\0';
  *out = b;
  *len_out = size;
  return 0;
}
