/* Job bytes, what a child reads: the bytes a process-pool child (or a user executor) gets for one
 * activity, decoded by temporal__job_decode (job.c) and run by temporal_executor_run (job_run.c):
 * the activity task unpacked, its info and arguments decoded, the activity called, its heartbeats
 * written to the shared state manager's slot, its result serialized for the parent.
 *
 * The bytes name the activity function by address. This target runs its own function instead of
 * the address in the input (calling a fuzzed address would only test the fuzzer): it decodes the
 * job, puts its function in, and encodes the job again.
 *
 * Properties: malformed bytes fail with TEMPORAL_EDECODE only; a job that decodes encodes back to
 * exactly the same bytes, and its strings hold no NUL; a job runs exactly when its slot exists and
 * its task unpacks; the activity then sees the task's fields in its info and its arguments through
 * every getter, and the result bytes the child produces always decode in the parent to the result
 * the activity returned (or to "Failed decoding arguments" when the activity could not be called). */
#include <string.h>

#include "check.h"
#include "converter/converter_internal.h"
#include "temporal/errors.h"
#include "executor/job.h"
#include "same.h"
#include "temporal/log.h"
#include "activity/activity.h"

#define SLOTS 4
#define MAX_DETAILS_SIZE 4096

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static temporal_shared_state_manager *manager;
/* What the running activity compares itself with, and what it reports back to the target. */
static const Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *expected_task;
static const temporal__job_header *expected_job;
static int data_marker;
static temporal_result *activity_returned;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  temporal_log_set_level(TEMPORAL_LOG_OFF);
  /* A few small slots: the fuzzer reaches the last one and the details limit easily. */
  temporal_shared_state_manager_options opts = TEMPORAL_SHARED_STATE_MANAGER_OPTIONS_INIT;
  opts.max_activities = SLOTS;
  opts.max_heartbeat_details_size = MAX_DETAILS_SIZE;
  FUZZ_REQUIRE(temporal_shared_state_manager_new(&manager, &opts) == 0);
  return 0;
}

static void require_same_string(const char *s, const char *expected) {
  FUZZ_REQUIRE(s && strcmp(s, expected ? expected : "") == 0);
}

/* The activity's info says what the task says. */
static void check_info(const temporal_activity *activity) {
  const Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *t = expected_task;
  const temporal_activity_info *info = temporal_activity_get_info(activity);
  require_same_string(info->activity_id, t->activity_id);
  require_same_string(info->activity_type, t->activity_type ? t->activity_type->name : "");
  require_same_string(info->activity_run_id, t->activity_run_id);
  require_same_string(info->workflow_id, t->workflow_execution ? t->workflow_execution->workflow_id : "");
  require_same_string(info->workflow_run_id, t->workflow_execution ? t->workflow_execution->run_id : "");
  require_same_string(info->workflow_type, t->workflow_type ? t->workflow_type->name : "");
  FUZZ_REQUIRE(strlen(info->namespace_) ==
               (t->workflow_namespace[0] ? strlen(t->workflow_namespace) : expected_job->namespace_len));
  FUZZ_REQUIRE(strlen(info->task_queue) == expected_job->task_queue_len);
  FUZZ_REQUIRE(info->task_token_len == t->task_token.len);
  FUZZ_REQUIRE(info->task_token_len == 0 ||
               memcmp(info->task_token, t->task_token.data, t->task_token.len) == 0);
  FUZZ_REQUIRE(info->attempt == t->attempt);
  FUZZ_REQUIRE(info->has_retry_policy == (t->retry_policy != NULL));
  for (size_t i = 0; i < info->retry_policy.non_retryable_error_type_count; i++)
    FUZZ_REQUIRE(info->retry_policy.non_retryable_error_types[i] != NULL);
  FUZZ_REQUIRE(info->heartbeat_details != NULL);
  size_t details = t->heartbeat_details ? t->heartbeat_details->n_payloads : 0;
  size_t seen = temporal_args_count(info->heartbeat_details);
  FUZZ_REQUIRE(seen == details || seen == 0); /* details that do not decode are dropped */
  FUZZ_REQUIRE(temporal_activity_data(activity) == &data_marker);
}

/* What the activity returns, from its arguments: the JSON ones as an array; when one holds bytes
 * (or, for the dynamic activity, does not decode), an application error carrying every argument as
 * a detail. Built twice, so the target keeps a copy to compare the parent's reading with. */
static temporal_result *result_from(const temporal_args *args) {
  size_t n = temporal_args_count(args);
  json_t *array = json_array();
  FUZZ_REQUIRE(array);
  bool all_json = true;
  for (size_t i = 0; i < n; i++) {
    json_t *v = NULL;
    if (temporal_args_get_json(&v, args, i) == 0)
      FUZZ_REQUIRE(json_array_append(array, v) == 0);
    else
      all_json = false;
  }
  if (all_json) return temporal_result_json(array);
  json_decref(array);
  temporal_application_error *e = NULL;
  FUZZ_REQUIRE(temporal_application_error_new(&e, "Echo", "arguments that are not JSON") == 0);
  for (size_t i = 0; i < n; i++) {
    const temporal_payload *p = NULL;
    FUZZ_REQUIRE(temporal_args_get_payload(&p, args, i) == 0);
    FUZZ_REQUIRE(temporal_application_error_add_detail(e, p) == 0);
  }
  return temporal_result_error(e);
}

static temporal_result *fuzz_activity(temporal_activity *activity, const temporal_args *args) {
  check_info(activity);
  size_t n = temporal_args_count(args);
  FUZZ_REQUIRE(n == (expected_task->input ? expected_task->input->n_payloads : 0));
  /* A heartbeat with the arguments as details goes through the slot (payloads -> bytes). */
  const temporal_payload **details = calloc(n ? n : 1, sizeof *details);
  FUZZ_REQUIRE(details);
  for (size_t i = 0; i < n; i++) FUZZ_REQUIRE(temporal_args_get_payload(&details[i], args, i) == 0);
  int rc = temporal_activity_heartbeat(activity, details, n);
  FUZZ_REQUIRE(rc == 0 || rc == TEMPORAL_ECANCELLED || rc == TEMPORAL_ESTATE || rc == TEMPORAL_ETOOBIG);
  free(details);
  (void)temporal_activity_is_cancelled(activity);
  activity_returned = result_from(args);
  return result_from(args);
}

/* The job a child would run: this target's function at the address the bytes name. */
static void check_run(temporal__job_header h) {
  h.sync_fn = (uintptr_t)fuzz_activity;
  h.data = (uintptr_t)&data_marker;
  uint8_t *job = NULL;
  size_t len = 0;
  FUZZ_REQUIRE(temporal__job_encode(&job, &len, &h) == 0);
  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task =
      temporal__api__workflowservice__v1__poll_activity_task_queue_response__unpack(NULL, h.task_len, h.task);
  expected_task = task;
  expected_job = &h;
  activity_returned = NULL;

  uint8_t *result = NULL;
  size_t result_len = 0;
  int rc = temporal_executor_run(&result, &result_len, manager, job, len);
  free(job);
  bool runs = task && h.slot < SLOTS;
  FUZZ_REQUIRE(rc == (runs ? 0 : TEMPORAL_EDECODE));
  if (rc == 0) {
    /* What the parent reads (pool_dispatch.c hands these bytes to temporal_executor_job_finish). */
    temporal_result *parsed = NULL;
    FUZZ_REQUIRE(temporal__result_deserialize(&parsed, result, result_len) == 0);
    if (activity_returned) {
      FUZZ_REQUIRE(same_result(parsed, activity_returned));
    } else {
      /* The arguments did not decode, so the activity was never called. */
      FUZZ_REQUIRE(!(h.flags & TEMPORAL_ACTIVITY_DYNAMIC));
      FUZZ_REQUIRE(parsed->kind == TEMPORAL__RESULT_ERROR);
      FUZZ_REQUIRE(strcmp(parsed->error->message, "Failed decoding arguments") == 0);
    }
    temporal_result_free(parsed);
  } else {
    FUZZ_REQUIRE(!activity_returned);
  }
  temporal_result_free(activity_returned);
  free(result);
  if (task) protobuf_c_message_free_unpacked(&task->base, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  temporal__job_header h;
  int rc = temporal__job_decode(&h, data, size);
  if (rc != 0) {
    FUZZ_REQUIRE(rc == TEMPORAL_EDECODE);
    return 0;
  }
  FUZZ_REQUIRE(!memchr(h.name, 0, h.name_len) && !memchr(h.namespace_, 0, h.namespace_len) &&
               !memchr(h.task_queue, 0, h.task_queue_len));
  /* The format has one spelling for each job: encoding what was decoded gives the input back. */
  uint8_t *again = NULL;
  size_t len = 0;
  FUZZ_REQUIRE(temporal__job_encode(&again, &len, &h) == 0);
  FUZZ_REQUIRE(len == size && memcmp(again, data, size) == 0);
  free(again);
  check_run(h);
  return 0;
}
