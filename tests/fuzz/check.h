/* What a fuzz target asserts: a property that failed aborts with a message, which libFuzzer reports
 * as a crash and saves the input for. Not assert(): the build defines NDEBUG (RelWithDebInfo). */
#ifndef TEMPORAL_FUZZ_CHECK_H
#define TEMPORAL_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_REQUIRE(cond)                                                        \
  do {                                                                            \
    if (!(cond)) {                                                                \
      fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                    \
    }                                                                             \
  } while (0)

#endif
