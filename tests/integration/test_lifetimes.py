"""A thread that outlives its activity (issue 7, item 3).

A sync activity hands itself to a thread (taking a reference with temporal_activity_ref) that keeps
heartbeating every 10 ms for a second after the activity returned; an async one does the same, then
completes and heartbeats at once. The worker must keep serving, every call after the finish must
return TEMPORAL_ESTATE (-11) and reach nothing of the worker, and the thread drops its reference at
the end: no crash, no sanitizer or valgrind report (make test also runs this file under valgrind).
"""

import re
import uuid

import pytest

from test_kinds import KindsEnv, start_kinds_worker

TEMPORAL_ESTATE = -11
STRAY = re.compile(
    r"STRAY (\S+) calls=(\d+) ok=(\d+) estate=(\d+) other=(\d+) then_ok=(\d+) cancelled=(\d) wait=(-?\d+) "
    r"shutdown_wait=(-?\d+) info=(\S+)"
)


def stray_report(worker, activity_id: str) -> dict:
    line = worker.wait_for_prefix(f"STRAY {activity_id} ", 60)
    m = STRAY.match(line.strip())
    assert m, line
    keys = ("id", "calls", "ok", "estate", "other", "then_ok", "cancelled", "wait", "shutdown_wait", "info")
    return {k: (v if k in ("id", "info") else int(v)) for k, v in zip(keys, m.groups())}


@pytest.mark.parametrize("executor", ["thread", "process", "custom"])
def test_a_thread_that_outlives_its_sync_activity(executor, client, dev_server, task_queue, run, c_programs,
                                                  workflow_worker):
    worker = start_kinds_worker(c_programs, dev_server, task_queue, executor)
    env = KindsEnv(client, task_queue, run, worker, "_activity")
    activity_id = f"stray-{uuid.uuid4().hex[:8]}"
    assert env.run_activity("stray_thread_activity", 1000, activity_id=activity_id) == {"result": "returned"}
    report = stray_report(worker, activity_id)
    # The thread called all along; once the activity had finished every call was refused, and none
    # succeeded after a refusal.
    assert report["calls"] >= 50, report
    assert report["estate"] > 0 and report["other"] == 0 and report["then_ok"] == 0, report
    assert report["cancelled"] == 1, report  # a finished activity tells whoever asks to stop
    assert report["wait"] == TEMPORAL_ESTATE and report["shutdown_wait"] == TEMPORAL_ESTATE, report
    assert report["info"] == activity_id, report  # its info stays readable through the reference
    # The worker still serves.
    assert env.run_activity("say_hello_activity", "again") == {"result": "Hello, again!"}


def test_async_activity_after_complete(client, dev_server, task_queue, run, c_programs, workflow_worker):
    worker = start_kinds_worker(c_programs, dev_server, task_queue, "thread")
    env = KindsEnv(client, task_queue, run, worker, "_async")
    activity_id = f"stray-async-{uuid.uuid4().hex[:8]}"
    assert env.run_activity("stray_thread_async", 1000, activity_id=activity_id) == {"result": "returned"}
    # A heartbeat right after temporal_activity_complete is refused.
    after = worker.wait_for_prefix(f"AFTER_COMPLETE {activity_id} ", 30).split()
    assert int(after[2]) == TEMPORAL_ESTATE, after
    report = stray_report(worker, activity_id)
    assert report["estate"] > 0 and report["other"] == 0 and report["then_ok"] == 0, report
    assert report["wait"] == TEMPORAL_ESTATE, report
    assert env.run_activity("say_hello_async", "again") == {"result": "Hello, again!"}
