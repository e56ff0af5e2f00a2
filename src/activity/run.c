/* Running a sync definition where the activity is (a thread-pool thread, a process-pool child, the
 * test environment), and the outcome of an input that does not decode: the same wherever the
 * activity would have run. */
#include "activity/activity.h"
#include "core/core.h"

temporal_result *temporal__decode_failure(const char *why) {
  temporal_application_error *err = NULL, *cause = NULL;
  if (temporal_application_error_new(&err, "ApplicationError", "Failed decoding arguments") != 0)
    return temporal_result_errorf(NULL, "Failed decoding arguments");
  if (temporal_application_error_new(&cause, "DecodeError", why) == 0)
    temporal_application_error_set_cause(err, cause);
  return temporal_result_error(err);
}

temporal_result *temporal__activity_call_sync(temporal_activity *a) {
  temporal_result *r = a->defn.sync_fn(a, a->args);
  return r ? r : temporal_result_none();
}
