/* The sizes of each version of each public options struct and vtable, and the one check that reads
 * them (options.h). */
#include "core/options.h"

#include <string.h>

#include "core/core.h"
#include "temporal/version.h"

/* One row: `name` names the layout (temporal__<name>_layout), `type` is the struct, `current` the
 * headers' version macro, `advice` how a caller sets the version; then one size per version, oldest
 * first. */
#define LAYOUT(name, type, current, advice, ...)                                                      \
  _Static_assert(offsetof(type, version) == 0, #type " starts with its version");                     \
  static const size_t name##_sizes[] = {__VA_ARGS__};                                                 \
  _Static_assert(sizeof name##_sizes / sizeof name##_sizes[0] == (current),                           \
                 #type ": options.c needs one size per version, up to " #current);                    \
  const temporal__options_layout temporal__##name##_layout = {#type, advice, (current), name##_sizes, \
                                                              sizeof(type)}

LAYOUT(client_options, temporal_client_options, TEMPORAL_CLIENT_OPTIONS_VERSION,
       "start from TEMPORAL_CLIENT_OPTIONS_INIT",
       offsetof(temporal_client_options, plaintext_api_key), /* 1: target .. connect_timeout */
       sizeof(temporal_client_options));                     /* 2: plaintext_api_key */
LAYOUT(workflow_options, temporal_workflow_options, TEMPORAL_WORKFLOW_OPTIONS_VERSION,
       "start from TEMPORAL_WORKFLOW_OPTIONS_INIT", sizeof(temporal_workflow_options));
LAYOUT(activity_options, temporal_activity_options, TEMPORAL_ACTIVITY_OPTIONS_VERSION,
       "start from TEMPORAL_ACTIVITY_OPTIONS_INIT", sizeof(temporal_activity_options));
LAYOUT(worker_options, temporal_worker_options, TEMPORAL_WORKER_OPTIONS_VERSION,
       "start from TEMPORAL_WORKER_OPTIONS_INIT", sizeof(temporal_worker_options));
LAYOUT(thread_pool_options, temporal_thread_pool_options, TEMPORAL_THREAD_POOL_OPTIONS_VERSION,
       "start from TEMPORAL_THREAD_POOL_OPTIONS_INIT", sizeof(temporal_thread_pool_options));
LAYOUT(shared_state_manager_options, temporal_shared_state_manager_options,
       TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_VERSION, "start from TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT",
       sizeof(temporal_shared_state_manager_options));
LAYOUT(process_pool_options, temporal_process_pool_options, TEMPORAL_PROCESS_POOL_OPTIONS_VERSION,
       "start from TEMPORAL_PROCESS_POOL_OPTIONS_INIT", sizeof(temporal_process_pool_options));
LAYOUT(executor_vtable, temporal_executor_vtable, TEMPORAL_EXECUTOR_VTABLE_VERSION,
       "set it to TEMPORAL_EXECUTOR_VTABLE_VERSION", sizeof(temporal_executor_vtable));

const temporal__options_layout *const temporal__options_layouts[] = {
    &temporal__client_options_layout,       &temporal__workflow_options_layout,
    &temporal__activity_options_layout,     &temporal__worker_options_layout,
    &temporal__thread_pool_options_layout,  &temporal__shared_state_manager_options_layout,
    &temporal__process_pool_options_layout, &temporal__executor_vtable_layout,
};
const size_t temporal__options_layout_count =
    sizeof temporal__options_layouts / sizeof temporal__options_layouts[0];

/* How many bytes of `opts` this library may read: 0 (and the error recorded) for a version it does
 * not know. Only the version field, common to every version, is read. */
static size_t readable_size(const temporal__options_layout *layout, const void *opts) {
  if (!opts) {
    temporal__error(TEMPORAL_EINVAL, "%s is required (NULL given)", layout->name);
    return 0;
  }
  unsigned int version;
  memcpy(&version, opts, sizeof version);
  if (version == 0 || version > layout->current) {
    temporal__error(TEMPORAL_EINVAL, "%s: version %u is not supported (temporal-c %s accepts 1..%u): %s",
                    layout->name, version, TEMPORAL_VERSION_STRING, layout->current, layout->advice);
    return 0;
  }
  size_t size = layout->sizes[version - 1];
  return size < layout->size ? size : layout->size;
}

int temporal__options_check(const temporal__options_layout *layout, const void *opts) {
  return readable_size(layout, opts) ? 0 : TEMPORAL_EINVAL;
}

int temporal__options_copy(const temporal__options_layout *layout, void *out, const void *opts) {
  memset(out, 0, layout->size);
  if (opts) {
    size_t size = readable_size(layout, opts);
    if (!size) return TEMPORAL_EINVAL;
    memcpy(out, opts, size);
  }
  unsigned int version = layout->current;
  memcpy(out, &version, sizeof version); /* every struct starts with its version */
  return 0;
}
