/* The version check of every public options struct and vtable, in one place.
 *
 * Each of them starts with `unsigned int version` and only grows at the end, so a program built
 * against older headers hands the library an older, smaller struct. The library accepts every
 * version from 1 to the one its headers define, and never reads past the end of the caller's struct:
 * it copies the bytes the caller's version has into a zeroed struct of the current version, where the
 * fields added since read as 0, which is their default.
 *
 *   temporal_worker_options o;
 *   int rc = TEMPORAL__OPTIONS_READ(&o, opts);  // NULL opts: every field 0
 *   if (rc < 0) return rc;
 *
 * A table in options.c holds, for each struct, the size of each of its versions. Growing a struct:
 * append the field, raise its _VERSION macro, and append to its row in options.c the new sizeof;
 * the previous last entry becomes offsetof(type, the new field). A static assertion there fails the
 * build when a row has not one size per version. */
#ifndef TEMPORAL_CORE_OPTIONS_H
#define TEMPORAL_CORE_OPTIONS_H

#include <stddef.h>

#include "temporal/client.h"
#include "temporal/executor.h"
#include "temporal/sys/executor.h"
#include "temporal/worker.h"

/* What the library knows of one struct's versions. */
typedef struct temporal__options_layout {
  const char *name;     /* the struct's type name, for messages */
  const char *advice;   /* how a caller sets the version, for messages */
  unsigned int current; /* the version these headers define */
  const size_t *sizes;  /* sizes[v - 1]: how many bytes version v has; sizes[current - 1] == size */
  size_t size;          /* sizeof the current struct */
} temporal__options_layout;

extern const temporal__options_layout temporal__client_options_layout;
extern const temporal__options_layout temporal__workflow_options_layout;
extern const temporal__options_layout temporal__activity_options_layout;
extern const temporal__options_layout temporal__worker_options_layout;
extern const temporal__options_layout temporal__thread_pool_options_layout;
extern const temporal__options_layout temporal__shared_state_manager_options_layout;
extern const temporal__options_layout temporal__process_pool_options_layout;
extern const temporal__options_layout temporal__executor_vtable_layout;
/* Every layout above, for the unit tests' consistency check. */
extern const temporal__options_layout *const temporal__options_layouts[];
extern const size_t temporal__options_layout_count;

/* The layout of the struct `p` points to (a const pointer, as constructors receive them); any other
 * type does not compile. (Kept out of clang-format, whose version 14 splits _Generic's associations.) */
/* clang-format off */
#define TEMPORAL__OPTIONS_LAYOUT(p)                                                                  \
  _Generic((p),                                                                                      \
      const temporal_client_options *: &temporal__client_options_layout,                             \
      const temporal_workflow_options *: &temporal__workflow_options_layout,                         \
      const temporal_activity_options *: &temporal__activity_options_layout,                         \
      const temporal_worker_options *: &temporal__worker_options_layout,                             \
      const temporal_thread_pool_options *: &temporal__thread_pool_options_layout,                   \
      const temporal_shared_state_manager_options *: &temporal__shared_state_manager_options_layout, \
      const temporal_process_pool_options *: &temporal__process_pool_options_layout,                 \
      const temporal_executor_vtable *: &temporal__executor_vtable_layout)
/* clang-format on */

/* Checks that `opts` is not NULL and that its version is one this library reads: 0, or
 * TEMPORAL_EINVAL with a message that names the struct, the version and the accepted range. For what
 * the library keeps by pointer (the executor vtable); before it reads a field that a later version
 * added, the code must check opts->version. */
int temporal__options_check(const temporal__options_layout *layout, const void *opts);
/* Checks `opts` as above and copies it into *out, a struct of the current version: the bytes the
 * caller's version has, the rest 0; out->version is the current version. NULL `opts` gives a struct of
 * zeros (all defaults): a constructor that refuses NULL checks it first. On error *out is all zeros. */
int temporal__options_copy(const temporal__options_layout *layout, void *out, const void *opts);

#define TEMPORAL__OPTIONS_CHECK(opts) temporal__options_check(TEMPORAL__OPTIONS_LAYOUT(opts), (opts))
/* `out` must point to the same struct type as `opts` (a mismatch does not compile: the conditional
 * below has no common type, and _Generic no association). */
#define TEMPORAL__OPTIONS_READ(out, opts) \
  temporal__options_copy(TEMPORAL__OPTIONS_LAYOUT(0 ? (out) : (opts)), (out), (opts))

#endif
