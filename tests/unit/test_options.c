/* The version check of the options structs (src/core/options.h): every version from 1 to the
 * current one is read, and only as many bytes as that version has; anything else is refused with a
 * message that names the struct, the version and the accepted range. */
#include <stdlib.h>

#include <temporal/client.h>
#include <temporal/errors.h>

#include "core/options.h"
#include "test.h"

TEST(options_layouts_are_consistent) {
  CHECK(temporal__options_layout_count == 8);
  for (size_t i = 0; i < temporal__options_layout_count; i++) {
    const temporal__options_layout *l = temporal__options_layouts[i];
    CHECK(l->current >= 1);
    CHECK_EQ_INT(l->size, l->sizes[l->current - 1]); /* the newest version is the whole struct */
    CHECK(l->sizes[0] > sizeof(unsigned int));       /* version 1 has more than its version */
    for (unsigned int v = 1; v < l->current; v++) CHECK(l->sizes[v - 1] < l->sizes[v]);
  }
}

/* A program built against version 1 of temporal_client_options hands in a struct that ends before
 * plaintext_api_key: exactly that many bytes here, followed by nothing the program owns (ASan and
 * valgrind would see a read past them). */
TEST(options_read_a_version_1_client_struct) {
  size_t v1_size = offsetof(temporal_client_options, plaintext_api_key);
  unsigned char *v1 = malloc(v1_size);
  CHECK(v1 != NULL);
  temporal_client_options fields = TEMPORAL_CLIENT_OPTIONS_INIT;
  fields.version = 1;
  fields.target = "example:7233";
  fields.api_key = "key";
  fields.connect_timeout = 3 * TEMPORAL_SECOND;
  memcpy(v1, &fields, v1_size);

  temporal_client_options o;
  memset(&o, 0xff, sizeof o);
  CHECK_EQ_INT(0, TEMPORAL__OPTIONS_READ(&o, (const temporal_client_options *)(const void *)v1));
  CHECK_EQ_INT(TEMPORAL_CLIENT_OPTIONS_VERSION, o.version);
  CHECK_STR_EQ("example:7233", o.target);
  CHECK_STR_EQ("key", o.api_key);
  CHECK_EQ_INT(3 * TEMPORAL_SECOND, o.connect_timeout);
  CHECK(!o.plaintext_api_key); /* not in version 1: its default */
  free(v1);
}

TEST(options_read_the_current_client_struct) {
  temporal_client_options in = TEMPORAL_CLIENT_OPTIONS_INIT;
  in.api_key = "key";
  in.plaintext_api_key = true;
  temporal_client_options o;
  CHECK_EQ_INT(0, TEMPORAL__OPTIONS_READ(&o, (const temporal_client_options *)&in));
  CHECK(o.plaintext_api_key);
  CHECK_STR_EQ("key", o.api_key);
}

TEST(options_read_null_is_all_defaults) {
  temporal_worker_options o;
  memset(&o, 0xff, sizeof o);
  CHECK_EQ_INT(0, TEMPORAL__OPTIONS_READ(&o, (const temporal_worker_options *)NULL));
  CHECK_EQ_INT(TEMPORAL_WORKER_OPTIONS_VERSION, o.version);
  CHECK(o.task_queue == NULL && o.activities == NULL && o.loop == NULL);
  CHECK_EQ_INT(0, o.max_concurrent_activities);
  CHECK_EQ_INT(0, o.graceful_shutdown_timeout);
}

TEST(options_refuse_unknown_versions) {
  temporal_thread_pool_options in = TEMPORAL_THREAD_POOL_OPTIONS_INIT;
  const temporal_thread_pool_options *opts = &in; /* constructors receive const pointers */
  temporal_thread_pool_options o;
  in.version = 0; /* a struct made without its _INIT macro */
  CHECK_EQ_INT(TEMPORAL_EINVAL, TEMPORAL__OPTIONS_READ(&o, opts));
  CHECK_CONTAINS(temporal_error_last(), "temporal_thread_pool_options: version 0 is not supported");
  CHECK_CONTAINS(temporal_error_last(), "accepts 1..1): start from TEMPORAL_THREAD_POOL_OPTIONS_INIT");
  in.version = TEMPORAL_THREAD_POOL_OPTIONS_VERSION + 1; /* built against newer headers */
  CHECK_EQ_INT(TEMPORAL_EINVAL, TEMPORAL__OPTIONS_READ(&o, opts));
  CHECK_CONTAINS(temporal_error_last(), "temporal_thread_pool_options: version 2 is not supported");
  CHECK_EQ_INT(0, o.version); /* nothing copied */
}

TEST(options_check_a_vtable) {
  temporal_executor_vtable vt = {TEMPORAL_EXECUTOR_VTABLE_VERSION, NULL, NULL};
  const temporal_executor_vtable *vtable = &vt;
  CHECK_EQ_INT(0, TEMPORAL__OPTIONS_CHECK(vtable));
  vt.version = 7;
  CHECK_EQ_INT(TEMPORAL_EINVAL, TEMPORAL__OPTIONS_CHECK(vtable));
  CHECK_CONTAINS(temporal_error_last(), "temporal_executor_vtable: version 7 is not supported");
  CHECK_CONTAINS(temporal_error_last(), "set it to TEMPORAL_EXECUTOR_VTABLE_VERSION");
  CHECK_EQ_INT(TEMPORAL_EINVAL, TEMPORAL__OPTIONS_CHECK((const temporal_executor_vtable *)NULL));
  CHECK_CONTAINS(temporal_error_last(), "temporal_executor_vtable is required");
}
