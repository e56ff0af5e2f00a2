/* Internal: the worker's mapping from activity type names to definitions. */
#ifndef TEMPORAL_REGISTRY_H
#define TEMPORAL_REGISTRY_H

#include "temporal/activity.h"

typedef struct temporal__registry {
  temporal_activity_definition *defs; /* sorted by name; names owned */
  size_t count;
  temporal_activity_definition *dynamic; /* owned; NULL when none */
  char *names;                           /* "a, b, c": the registered names, for NotFoundError */
  bool has_sync;
  bool has_async;
} temporal__registry;

/* Copies and validates definitions: every name non-empty and unique ("more than one activity named
 * X" otherwise), the function matching the kind, at most one dynamic. */
int temporal__registry_init(temporal__registry *r, const temporal_activity_definition *defs, size_t count);
void temporal__registry_destroy(temporal__registry *r);
/* The definition for `type`, the dynamic one when none matches, or NULL. */
const temporal_activity_definition *temporal__registry_find(const temporal__registry *r, const char *type);

#endif
