/* The hello example's activities (examples/hello/hello_activities.c, linked in as the
 * hello_activities library), unit-tested through the activity environment the way a user tests
 * theirs: no server, every kind. say_hello_process is a sync function like say_hello_activity; that
 * hello_worker runs it in a process-pool child is the executor's business, which the environment
 * (running everything on the test's thread) leaves out. */
#include <stdatomic.h>

#include <temporal/temporal.h>
#include <uv.h>

#include "hello_activities.h"
#include "test.h"

/* The definitions hello_worker registers, by the same macros. */
static const temporal_activity_definition activities[] = {
    TEMPORAL_ACTIVITY_DEFN(say_hello_activity),
    TEMPORAL_ACTIVITY_DEFN(say_hello_async),
    TEMPORAL_ACTIVITY_DEFN(say_hello_process),
    TEMPORAL_ACTIVITY_DEFN_NAMED("my-activity", say_hello_activity),
};
#define ACTIVITY_COUNT (sizeof activities / sizeof activities[0])

/* The last line the activities logged (they log through the process-wide sink). */
static char logged[2048];
static void capture(temporal_log_level level, const char *line, void *data) {
  (void)level;
  (void)data;
  snprintf(logged, sizeof logged, "%s", line);
}

/* Runs `defn` with one argument given as JSON text, on `env` (a fresh one when NULL); what it logs
 * goes to `logged`. */
static temporal_result *run_on(temporal_activity_environment *env, const temporal_activity_definition *defn,
                               const char *arg_json) {
  temporal_activity_environment *own = NULL;
  if (!env) {
    CHECK_EQ_INT(0, temporal_activity_environment_new(&own));
    env = own;
  }
  json_t *value = json_loads(arg_json, JSON_DECODE_ANY, NULL);
  CHECK(value != NULL);
  temporal_payload *arg = NULL;
  CHECK_EQ_INT(0, temporal_payload_new_json(&arg, value));
  json_decref(value);
  const temporal_payload *args[] = {arg};
  temporal_result *result = NULL;
  temporal_log_set_sink(capture, NULL);
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, defn, args, 1));
  temporal_payload_free(arg);
  temporal_activity_environment_free(own);
  return result;
}

TEST(examples_hello_every_kind_says_hello) {
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_SYNC, activities[0].kind);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_ASYNC, activities[1].kind);
  CHECK_EQ_INT(TEMPORAL_ACTIVITY_KIND_SYNC, activities[2].kind);
  CHECK_STR_EQ("say_hello_activity", activities[0].name);
  CHECK_STR_EQ("say_hello_async", activities[1].name);
  CHECK_STR_EQ("say_hello_process", activities[2].name);
  CHECK_STR_EQ("my-activity", activities[3].name);
  for (size_t which = 0; which < ACTIVITY_COUNT; which++) {
    temporal_result *result = run_on(NULL, &activities[which], "\"Temporal\"");
    json_t *greeting = NULL;
    CHECK_EQ_INT(0, temporal_result_value_json(&greeting, result));
    CHECK_STR_EQ("Hello, Temporal!", json_string_value(greeting));
    json_decref(greeting);
    temporal_result_free(result);
  }
}

TEST(examples_hello_rejects_a_non_string) {
  for (size_t which = 0; which < ACTIVITY_COUNT; which++) {
    temporal_result *result = run_on(NULL, &activities[which], "42");
    CHECK_EQ_INT(TEMPORAL_RESULT_ERROR, temporal_result_kind_of(result));
    const temporal_application_error *error = temporal_result_get_error(result);
    CHECK_CONTAINS(temporal_application_error_message(error), "argument 0");
    CHECK(!temporal_application_error_non_retryable(error));
    temporal_result_free(result);
  }
}

/* The async one waits on the loop before it answers, and holds no thread meanwhile: a timer of the
 * test's own on the same loop fires in between. */
static atomic_int ticks;
static void on_tick(uv_timer_t *timer) {
  atomic_fetch_add(&ticks, 1);
  uv_close((uv_handle_t *)timer, NULL);
}

TEST(examples_hello_async_answers_later_on_the_loop) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  uv_timer_t tick;
  CHECK_EQ_INT(0, uv_timer_init(temporal_activity_environment_loop(env), &tick));
  uv_timer_start(&tick, on_tick, HELLO_ASYNC_DELAY_MS / 5, 0);
  uint64_t start = uv_hrtime();
  temporal_result *result = run_on(env, &activities[1], "\"loop\"");
  uint64_t took_ms = (uv_hrtime() - start) / 1000000;
  CHECK(took_ms >= HELLO_ASYNC_DELAY_MS - 5);
  CHECK_EQ_INT(1, atomic_load(&ticks));
  json_t *greeting = NULL;
  CHECK_EQ_INT(0, temporal_result_value_json(&greeting, result));
  CHECK_STR_EQ("Hello, loop!", json_string_value(greeting));
  json_decref(greeting);
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}

/* Cancelled before its timer fires, the async one stops the timer and ends as cancelled. */
TEST(examples_hello_async_cancelled) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  CHECK_EQ_INT(0, temporal_activity_environment_cancel(env, NULL)); /* the run starts cancelled */
  temporal_result *result = run_on(env, &activities[1], "\"World\"");
  /* Had its timer fired first, it would have completed with the greeting: the kind is the proof,
   * not a time (under valgrind on a busy machine the run can take longer than the timer). */
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(result));
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}

/* Each logs the greeting with the activity's context. */
TEST(examples_hello_logs_with_context) {
  temporal_log_set_level(TEMPORAL_LOG_INFO);
  for (size_t which = 0; which < 3; which++) {
    temporal_activity_environment *env = NULL;
    CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
    temporal_activity_info info = *temporal_activity_environment_get_info(env);
    info.activity_type = activities[which].name;
    CHECK_EQ_INT(0, temporal_activity_environment_set_info(env, &info));
    logged[0] = '\0';
    temporal_result_free(run_on(env, &activities[which], "\"Temporal\""));
    CHECK_CONTAINS(logged, "greeting Temporal from pid ");
    CHECK_CONTAINS(logged, activities[which].name);
    CHECK_CONTAINS(logged, "activity_id=test");
    temporal_activity_environment_free(env);
  }
  temporal_log_set_sink(NULL, NULL);
}
