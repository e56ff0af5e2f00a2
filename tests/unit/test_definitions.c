/* Activity definitions: the kind comes from the function's signature, the default name is the
 * function's name, and definitions are plain values (static const arrays compile). */
#include "converter/converter_internal.h"
#include "temporal/activity.h"
#include "temporal/errors.h"
#include "test.h"

static temporal_result *say_hello(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  const char *name = NULL;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc != 0) return temporal_result_from_code(rc);
  json_t *greeting = json_sprintf("Hello, %s!", name);
  return temporal_result_json(greeting);
}

static int async_calls;
static void fetch_async(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  (void)args;
  async_calls++;
}

static temporal_result *handle_any(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  return temporal_result_json(json_integer((json_int_t)temporal_args_count(args)));
}

static void handle_any_async(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  (void)args;
}

/* The kind is a compile-time constant picked by the signature. */
_Static_assert(TEMPORAL__ACTIVITY_KIND_OF(say_hello) == TEMPORAL_ACTIVITY_KIND_SYNC, "sync kind");
_Static_assert(TEMPORAL__ACTIVITY_KIND_OF(fetch_async) == TEMPORAL_ACTIVITY_KIND_ASYNC, "async kind");

/* What a user writes at file scope. */
static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello),
    TEMPORAL_ACTIVITY_DEFN_NAMED("my-activity", fetch_async),
    TEMPORAL_ACTIVITY_DEFN_DYNAMIC(handle_any),
};

TEST(definitions_default_name_and_sync_kind) {
  const temporal_activity_definition *d = &activities[0];
  CHECK_STR_EQ("say_hello", d->name);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_SYNC, d->kind);
  CHECK(d->sync_fn == say_hello);
  CHECK(d->async_fn == NULL);
  CHECK_EQ_INT(0, d->flags);
  CHECK(d->data == NULL);
}

TEST(definitions_named_async_kind) {
  const temporal_activity_definition *d = &activities[1];
  CHECK_STR_EQ("my-activity", d->name);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_ASYNC, d->kind);
  CHECK(d->async_fn == fetch_async);
  CHECK(d->sync_fn == NULL);
  CHECK_EQ_INT(0, d->flags);
  d->async_fn(NULL, NULL);
  CHECK_EQ_INT(1, async_calls);
}

TEST(definitions_dynamic) {
  const temporal_activity_definition *d = &activities[2];
  CHECK_STR_EQ("", d->name);
  CHECK(d->flags & TEMPORAL_ACTIVITY_DYNAMIC);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_SYNC, d->kind);
  CHECK(d->sync_fn == handle_any);

  const temporal_activity_definition async_dynamic = TEMPORAL_ACTIVITY_DEFN_DYNAMIC(handle_any_async);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_ASYNC, async_dynamic.kind);
  CHECK(async_dynamic.async_fn == handle_any_async);
  CHECK(async_dynamic.sync_fn == NULL);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_DYNAMIC, async_dynamic.flags);
}

TEST(definitions_automatic_storage_and_data) {
  /* A definition is a value: copy it, set data on the copy. */
  int state = 7;
  temporal_activity_definition d = TEMPORAL_ACTIVITY_DEFN_NAMED("custom", say_hello);
  d.data = &state;
  CHECK_STR_EQ("custom", d.name);
  CHECK(*(int *)d.data == 7);
  temporal_activity_definition copy = d;
  CHECK(copy.sync_fn == say_hello);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_SYNC, copy.kind);
  CHECK_EQ_INT(3, sizeof activities / sizeof activities[0]);
}

TEST(definitions_sync_function_runs_through_definition) {
  temporal_payload *p = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_string(&p, "Temporal"));
  temporal_args *args = NULL;
  const temporal_payload *list[] = {p};
  CHECK_EQ_INT(0, temporal__args_from_payloads(&args, list, 1));
  temporal_payload_free(p);

  temporal_result *r = activities[0].sync_fn(NULL, args);
  CHECK_EQ_INT(TEMPORAL__RESULT_VALUE, r->kind);
  CHECK_STR_EQ("\"Hello, Temporal!\"", (const char *)temporal_payload_data(r->value, NULL));
  temporal_result_free(r);

  r = activities[2].sync_fn(NULL, args);
  CHECK_STR_EQ("1", (const char *)temporal_payload_data(r->value, NULL));
  temporal_result_free(r);
  temporal__args_free(args);

  /* Wrong input: the getter's message becomes the failure. */
  CHECK_EQ_INT(0, temporal__args_from_payloads(&args, NULL, 0));
  r = activities[0].sync_fn(NULL, args);
  CHECK_EQ_INT(TEMPORAL__RESULT_ERROR, r->kind);
  CHECK_STR_EQ("argument 0 requested but the activity received 0 argument(s)",
               temporal_application_error_message(r->error));
  temporal_result_free(r);
  temporal__args_free(args);
}
