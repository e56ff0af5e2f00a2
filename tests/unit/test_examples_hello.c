/* The hello example's activity, unit-tested through the activity environment the way a user tests
 * theirs (no server). examples/hello keeps say_hello_activity static inside hello_worker.c, so the
 * function is repeated here verbatim; keep the two in step. */
#include <temporal/temporal.h>

#include "test.h"

static temporal_result *say_hello_activity(temporal_activity *activity, const temporal_args *args) {
  (void)activity;
  const char *name;
  int rc = temporal_args_get_string(&name, args, 0);
  if (rc < 0) return temporal_result_from_code(rc); /* e.g. "argument 0: expected string, got integer" */
  json_t *greeting = json_sprintf("Hello, %s!", name);
  if (!greeting) return temporal_result_errorf("EncodingError", "cannot build the greeting");
  return temporal_result_json(greeting);
}

static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),
    TEMPORAL_ACTIVITY_DEFN_NAMED("my-activity", say_hello_activity),
};

/* Runs activities[which] with one argument given as JSON text. */
static temporal_result *run_hello(size_t which, const char *arg_json) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  json_t *value = json_loads(arg_json, JSON_DECODE_ANY, NULL);
  CHECK(value != NULL);
  temporal_payload *arg = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_json(&arg, value));
  json_decref(value);
  const temporal_payload *args[] = {arg};
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &activities[which], args, 1));
  temporal_payload_free(arg);
  temporal_activity_environment_free(env);
  return result;
}

TEST(examples_hello_says_hello) {
  for (size_t which = 0; which < 2; which++) {
    temporal_result *result = run_hello(which, "\"Temporal\"");
    json_t *greeting = NULL;
    CHECK_EQ_INT(0, temporal_result_value_json(&greeting, result));
    CHECK_STR_EQ("Hello, Temporal!", json_string_value(greeting));
    json_decref(greeting);
    temporal_result_free(result);
  }
  CHECK_STR_EQ("say_hello_activity", activities[0].name);
  CHECK_STR_EQ("my-activity", activities[1].name);
}

TEST(examples_hello_rejects_a_non_string) {
  temporal_result *result = run_hello(0, "42");
  CHECK_EQ_INT(TEMPORAL_RESULT_ERROR, temporal_result_kind_of(result));
  const temporal_application_error *error = temporal_result_get_error(result);
  CHECK_CONTAINS(temporal_application_error_message(error), "argument 0");
  CHECK(!temporal_application_error_non_retryable(error));
  temporal_result_free(result);
}
