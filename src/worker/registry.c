/* The name -> callable mapping a worker is built from. Sorted once at creation so lookups are
 * binary searches and the NotFoundError message lists the names in order. */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "worker/registry.h"

static int compare_defs(const void *a, const void *b) {
  return strcmp(((const temporal_activity_definition *)a)->name,
                ((const temporal_activity_definition *)b)->name);
}

static int check_definition(const temporal_activity_definition *d, size_t index) {
  if (d->kind == TEMPORAL_ACTIVITY_KIND_SYNC && !d->sync_fn)
    return temporal__error(TEMPORAL_EINVAL, "activity definition %zu (%s): sync kind without sync_fn", index,
                           d->name ? d->name : "?");
  if (d->kind == TEMPORAL_ACTIVITY_KIND_ASYNC && !d->async_fn)
    return temporal__error(TEMPORAL_EINVAL, "activity definition %zu (%s): async kind without async_fn",
                           index, d->name ? d->name : "?");
  if (d->kind != TEMPORAL_ACTIVITY_KIND_SYNC && d->kind != TEMPORAL_ACTIVITY_KIND_ASYNC)
    return temporal__error(TEMPORAL_EINVAL, "activity definition %zu: unknown kind %d", index, (int)d->kind);
  if (!(d->flags & TEMPORAL_ACTIVITY_DYNAMIC) && (!d->name || !d->name[0]))
    return temporal__error(TEMPORAL_EINVAL, "activity definition %zu has no name", index);
  return 0;
}

static int build_names(temporal__registry *r) {
  size_t len = 1;
  for (size_t i = 0; i < r->count; i++) len += strlen(r->defs[i].name) + 2;
  r->names = malloc(len);
  if (!r->names) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  char *p = r->names;
  for (size_t i = 0; i < r->count; i++) {
    size_t n = strlen(r->defs[i].name);
    if (i) {
      memcpy(p, ", ", 2);
      p += 2;
    }
    memcpy(p, r->defs[i].name, n);
    p += n;
  }
  *p = '\0';
  return 0;
}

int temporal__registry_init(temporal__registry *r, const temporal_activity_definition *defs, size_t count) {
  memset(r, 0, sizeof *r);
  if (count && !defs)
    return temporal__error(TEMPORAL_EINVAL, "activities is NULL with a count of %zu", count);
  int rc = 0;
  r->defs = calloc(count ? count : 1, sizeof *r->defs);
  if (!r->defs) return temporal__error(TEMPORAL_ENOMEM, "out of memory");
  for (size_t i = 0; i < count; i++) {
    const temporal_activity_definition *d = &defs[i];
    if ((rc = check_definition(d, i)) != 0) goto fail;
    if (d->kind == TEMPORAL_ACTIVITY_KIND_SYNC) r->has_sync = true;
    if (d->kind == TEMPORAL_ACTIVITY_KIND_ASYNC) r->has_async = true;
    if (d->flags & TEMPORAL_ACTIVITY_DYNAMIC) {
      if (r->dynamic) {
        rc = temporal__error(TEMPORAL_EEXISTS, "more than one dynamic activity");
        goto fail;
      }
      r->dynamic = malloc(sizeof *r->dynamic);
      if (!r->dynamic) {
        rc = temporal__error(TEMPORAL_ENOMEM, "out of memory");
        goto fail;
      }
      *r->dynamic = *d;
      r->dynamic->name = NULL;
      continue;
    }
    r->defs[r->count] = *d;
    if (!(r->defs[r->count].name = temporal__strdup(d->name))) {
      rc = TEMPORAL_ENOMEM;
      goto fail;
    }
    r->count++;
  }
  qsort(r->defs, r->count, sizeof *r->defs, compare_defs);
  for (size_t i = 1; i < r->count; i++) {
    if (strcmp(r->defs[i - 1].name, r->defs[i].name) == 0) {
      rc = temporal__error(TEMPORAL_EEXISTS, "more than one activity named %s", r->defs[i].name);
      goto fail;
    }
  }
  if ((rc = build_names(r)) != 0) goto fail;
  return 0;
fail:
  temporal__registry_destroy(r);
  return rc;
}

void temporal__registry_destroy(temporal__registry *r) {
  if (!r) return;
  for (size_t i = 0; i < r->count; i++) free((char *)r->defs[i].name);
  free(r->defs);
  free(r->dynamic);
  free(r->names);
  memset(r, 0, sizeof *r);
}

const temporal_activity_definition *temporal__registry_find(const temporal__registry *r, const char *type) {
  temporal_activity_definition key = {.name = type};
  const temporal_activity_definition *d =
      r->count ? bsearch(&key, r->defs, r->count, sizeof *r->defs, compare_defs) : NULL;
  return d ? d : r->dynamic;
}
