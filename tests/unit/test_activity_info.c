/* The activity's info as temporal__activity_init fills it from a polled task (the worker's poll
 * response, or the task in a pool job's bytes). */
#include <stdint.h>

#include "temporal/errors.h"
#include "test.h"
#include "activity/activity.h"

static void no_destroy(temporal_activity *activity) {
  (void)activity;
}

static const temporal__activity_ops ops = {.destroy = no_destroy};

/* Found by tests/fuzz (fuzz_job_child): seconds * 10^9 overflowed int64 (undefined behaviour) for
 * timestamps and durations beyond about 292 years. They saturate now; ordinary values are exact. */
TEST(activity_info_times_saturate_instead_of_overflowing) {
  Google__Protobuf__Timestamp far_future = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  far_future.seconds = INT64_MAX;
  Google__Protobuf__Timestamp far_past = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  far_past.seconds = INT64_MIN;
  far_past.nanos = -1;
  Google__Protobuf__Timestamp ordinary = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ordinary.seconds = 1767225600;
  ordinary.nanos = 250000000;
  /* The last whole second an int64 of nanoseconds holds, plus nanoseconds that pass the limit. */
  Google__Protobuf__Duration edge = GOOGLE__PROTOBUF__DURATION__INIT;
  edge.seconds = INT64_MAX / 1000000000;
  edge.nanos = 999999999;
  Google__Protobuf__Duration long_timeout = GOOGLE__PROTOBUF__DURATION__INIT;
  long_timeout.seconds = 206315043072; /* the value the fuzzer found */
  Google__Protobuf__Duration thirty_s = GOOGLE__PROTOBUF__DURATION__INIT;
  thirty_s.seconds = 30;

  Temporal__Api__Workflowservice__V1__PollActivityTaskQueueResponse *task = malloc(sizeof *task);
  CHECK(task != NULL);
  temporal__api__workflowservice__v1__poll_activity_task_queue_response__init(task);
  task->scheduled_time = &far_future;
  task->current_attempt_scheduled_time = &far_past;
  task->started_time = &ordinary;
  task->schedule_to_close_timeout = &edge;
  task->start_to_close_timeout = &long_timeout;
  task->heartbeat_timeout = &thirty_s;

  temporal_activity a;
  CHECK_EQ_INT(0, temporal__activity_init(&a, &ops, task, "ns", "tq"));
  CHECK(a.info.scheduled_time == INT64_MAX);
  CHECK(a.info.current_attempt_scheduled_time == INT64_MIN);
  CHECK(a.info.started_time == INT64_C(1767225600250000000));
  CHECK(a.info.schedule_to_close_timeout == INT64_MAX);
  CHECK(a.info.start_to_close_timeout == INT64_MAX);
  CHECK(a.info.heartbeat_timeout == 30 * TEMPORAL_SECOND);
  /* The sub-messages are this test's, not the task's: released before the task is. */
  task->scheduled_time = task->current_attempt_scheduled_time = task->started_time = NULL;
  task->schedule_to_close_timeout = task->start_to_close_timeout = task->heartbeat_timeout = NULL;
  temporal__activity_destroy(&a);
}
