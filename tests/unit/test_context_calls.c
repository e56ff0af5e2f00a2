/* The public context calls as an activity sees them, driven through the testing environment. */
#include <temporal/temporal.h>

#include "test.h"

static int heartbeat_rc_before, heartbeat_rc_after;

static temporal_result *heartbeat_then_check(temporal_activity *activity, const temporal_args *args) {
  heartbeat_rc_before = temporal_activity_heartbeat_json(activity, NULL);
  /* The test cancels from the callback of this second heartbeat, as if its response said so. */
  json_t *detail = json_string("after");
  heartbeat_rc_after = temporal_activity_heartbeat_json(activity, detail);
  json_decref(detail);
  return temporal_result_cancelled();
}

static void cancel_on_first(const temporal_payload *const *details, size_t count, void *data) {
  temporal_activity_environment *env = data;
  static int calls;
  if (++calls == 2) temporal_activity_environment_cancel(env, NULL);
}

TEST(context_heartbeat_reports_cancellation_like_python_raises) {
  temporal_activity_environment *env = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_new(&env));
  temporal_activity_environment_on_heartbeat(env, cancel_on_first, env);
  static const temporal_activity_definition defn = TEMPORAL_ACTIVITY_DEFN(heartbeat_then_check);
  temporal_result *result = NULL;
  CHECK_EQ_INT(0, temporal_activity_environment_run(&result, env, &defn, NULL, 0));
  CHECK_EQ_INT(0, heartbeat_rc_before);
  CHECK_EQ_INT(TEMPORAL_ECANCELLED, heartbeat_rc_after);
  CHECK_CONTAINS(temporal_error_last(), "asked to stop");
  CHECK_EQ_INT(TEMPORAL_RESULT_CANCELLED, temporal_result_kind_of(result));
  temporal_result_free(result);
  temporal_activity_environment_free(env);
}
