/* The JSON string fast path (converter/json_fast.c) against jansson itself: the same text written,
 * the same strings accepted, the same value read. */
#include <stdlib.h>
#include <string.h>

#include "converter/converter_internal.h"
#include "core/core.h"
#include "test.h"

/* jansson's compact text of the string, or NULL when jansson refuses it. */
static char *jansson_dump(const char *s) {
  json_t *v = json_string(s);
  if (!v) return NULL;
  char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(v);
  return text;
}

/* Checks one string both ways; returns whether it was valid. */
static bool check_string(const char *s) {
  char *expected = jansson_dump(s);
  uint8_t *text = NULL;
  size_t len = 0;
  int rc = temporal__json_string_fast_dump(&text, &len, s, strlen(s));
  if (!expected) {
    CHECK_EQ_INT(TEMPORAL_EINVAL, rc);
    return false;
  }
  CHECK_EQ_INT(0, rc);
  CHECK_EQ_INT((long long)strlen(expected), (long long)len);
  CHECK(memcmp(expected, text, len) == 0);
  json_t *fast = NULL;
  int parsed = temporal__json_string_fast_parse(&fast, text, len);
  CHECK(parsed == 0 || parsed == 1);
  if (parsed == 1) {
    json_t *slow = json_loadb((const char *)text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    CHECK(slow && json_equal(fast, slow));
    json_decref(slow);
    json_decref(fast);
  } else {
    CHECK(strpbrk(expected + 1, "\\") != NULL); /* only an escape sends a valid string to jansson */
  }
  free(text);
  free(expected);
  return true;
}

TEST(json_fast_writes_every_ascii_character_as_jansson_does) {
  char s[4];
  for (int c = 1; c < 0x80; c++) {
    s[0] = 'a';
    s[1] = (char)c;
    s[2] = 'z';
    s[3] = '\0';
    CHECK(check_string(s));
  }
  CHECK(check_string(""));
  CHECK(check_string("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 / \x7f"));
}

TEST(json_fast_agrees_with_jansson_on_random_bytes) {
  static const uint8_t pool[] = {'a',  '"',  '\\', '\n', 0x01, 0x1f, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xc3, 0xa9,
                                 0xe0, 0xa0, 0xed, 0xa0, 0xef, 0xf0, 0x90, 0xf4, 0x8f, 0xf5, 0xff, ' '};
  unsigned int seed = 7;
  int valid = 0;
  for (int round = 0; round < 20000; round++) {
    char s[24];
    seed = seed * 1103515245u + 12345u;
    size_t n = (seed >> 16) % 20;
    for (size_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      s[i] = (char)pool[(seed >> 16) % sizeof pool];
    }
    s[n] = '\0';
    if (check_string(s)) valid++;
  }
  CHECK(valid > 1000 && valid < 19000); /* both kinds were met */
}

/* The scan takes eight plain bytes at a time: one byte of every kind the writer or reader must stop
 * at (and a plain one), at every offset of strings long enough for several words, either way. */
TEST(json_fast_finds_a_special_byte_at_every_offset_of_a_long_string) {
  static const char *const specials[] = {"\"", "\\", "\n",       "\x01", "\x1f",         "\x7f",
                                         " ",  "~",  "\xc3\xa9", "\xff", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
  for (size_t k = 0; k < sizeof specials / sizeof *specials; k++) {
    for (size_t len = 1; len <= 40; len++) {
      for (size_t at = 0; at < len; at++) {
        char s[64];
        memset(s, 'x', len);
        s[len] = '\0';
        size_t n = strlen(specials[k]);
        if (at + n > len) continue;
        memcpy(s + at, specials[k], n);
        CHECK(check_string(s) == (k != 9)); /* all but the lone 0xff are valid UTF-8 */
      }
    }
  }
}

TEST(json_fast_reader_leaves_everything_but_plain_strings_to_jansson) {
  static const char *const others[] = {"",         "\"",           "x\"abc\"",         "\"abc\" ",
                                       " \"abc\"", "\"a\\nb\"",    "\"a\"b\"",         "\"tab\there\"",
                                       "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "123",
                                       "null",     "[\"a\"]"};
  for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
    json_t *v = NULL;
    CHECK_EQ_INT(0, temporal__json_string_fast_parse(&v, (const uint8_t *)others[i], strlen(others[i])));
    CHECK(v == NULL);
  }
  json_t *v = NULL;
  CHECK_EQ_INT(1, temporal__json_string_fast_parse(&v, (const uint8_t *)"\"h\xc3\xa9\"", 5));
  CHECK_STR_EQ("h\xc3\xa9", json_string_value(v));
  json_decref(v);
}
