/* A small unit-test framework: each TEST registers itself; the runner (runner.c) forks each case
 * with a timeout, so a crash or hang fails that case only.
 *
 *   TEST(converter_roundtrip) { CHECK_EQ_INT(0, f()); CHECK_STR_EQ("a", s); }
 *
 * A failed CHECK prints file:line and the values and ends the case with exit status 1. */
#ifndef TEMPORAL_TEST_H
#define TEMPORAL_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void test__register(const char *name, test_fn fn);

#define TEST(name)                                                      \
  static void test_##name(void);                                        \
  __attribute__((constructor)) static void test_register_##name(void) { \
    test__register(#name, test_##name);                                 \
  }                                                                     \
  static void test_##name(void)

#define TEST_FAIL(...)                                \
  do {                                                \
    fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__); \
    fprintf(stderr, __VA_ARGS__);                     \
    fprintf(stderr, "\n");                            \
    exit(1);                                          \
  } while (0)

#define CHECK(cond)                                    \
  do {                                                 \
    if (!(cond)) TEST_FAIL("CHECK(%s) failed", #cond); \
  } while (0)

#define CHECK_EQ_INT(expected, actual)                                                        \
  do {                                                                                        \
    long long e_ = (long long)(expected), a_ = (long long)(actual);                           \
    if (e_ != a_) TEST_FAIL("%s == %s: expected %lld, got %lld", #expected, #actual, e_, a_); \
  } while (0)

#define CHECK_STR_EQ(expected, actual)                                                           \
  do {                                                                                           \
    const char *e_ = (expected), *a_ = (actual);                                                 \
    if (!e_ || !a_ || strcmp(e_, a_) != 0)                                                       \
      TEST_FAIL("%s == %s: expected \"%s\", got \"%s\"", #expected, #actual, e_ ? e_ : "(null)", \
                a_ ? a_ : "(null)");                                                             \
  } while (0)

/* Substring check, for error messages. */
#define CHECK_CONTAINS(haystack, needle)                                                             \
  do {                                                                                               \
    const char *h_ = (haystack), *n_ = (needle);                                                     \
    if (!h_ || !strstr(h_, n_)) TEST_FAIL("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); \
  } while (0)

#endif
