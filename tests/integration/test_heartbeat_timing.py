"""Heartbeats that keep activities alive (issue 7, item 1).

Details recorded inside a throttle interval (0.8 x heartbeat_timeout) must go out when the interval
ends, with no further call from the activity: an activity that heartbeats more often than its
timeout is never timed out by the server, in any kind. And nothing is re-sent on the activity's
behalf: one that heartbeats once and then goes quiet is timed out at its heartbeat timeout.

Each kind runs on a kinds_worker of its own (its own heartbeat manager) with debug logging, whose
"heartbeat sent (... X s after the previous one)" lines give the send intervals, which are printed.
"""

import asyncio
import re
import statistics
import uuid
from datetime import timedelta

import workflows

# kind -> (kinds_worker --executor, the steady-heartbeat activity of that kind)
KINDS = {
    "async": ("thread", "steady_heartbeat_async"),
    "thread": ("thread", "steady_heartbeat_activity"),
    "process": ("process", "steady_heartbeat_activity"),
    "custom": ("custom", "steady_heartbeat_activity"),
}
TIMEOUTS = (1, 2, 4)  # heartbeat_timeout, seconds
SENT = re.compile(r"activity (\S+): heartbeat sent \(\d+ details, (?:([0-9.]+) s after the previous one|the first)\)")


def send_intervals(stderr: str) -> dict:
    """activity id -> the seconds between its consecutive heartbeat sends."""
    out: dict = {}
    for m in SENT.finditer(stderr):
        out.setdefault(m.group(1), [])
        if m.group(2):
            out[m.group(1)].append(float(m.group(2)))
    return out


def run_activity(client, task_queue, activity, args, heartbeat_timeout, activity_id, start_to_close):
    return client.execute_workflow(
        workflows.RunActivity.run,
        {
            "activity": activity,
            "args": args,
            "heartbeat_timeout_seconds": heartbeat_timeout,
            "start_to_close_seconds": start_to_close,
            "activity_id": activity_id,
        },
        id=f"hb-timing-{activity_id}-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=120),
    )


def test_steady_heartbeats_keep_every_kind_alive(client, dev_server, run, c_programs, workflow_workers):
    # Every kind at once, each with heartbeat timeouts of 1, 2 and 4 s: a heartbeat every
    # 0.5 x timeout for 5 x timeout. Each workflow must get the activity's result.
    queues, workers = {}, {}
    for kind, (executor, _) in KINDS.items():
        queues[kind] = f"hb-timing-{kind}-{uuid.uuid4().hex[:8]}"
        workflow_workers(queues[kind])
        # A child (or custom-executor thread) per activity: one waiting for a free one would be timed
        # out before it starts.
        workers[kind] = c_programs.start(
            "kinds_worker", "--target", dev_server, "--task-queue", queues[kind], "--executor", executor,
            "--processes", str(len(TIMEOUTS)), *(("--threads", str(len(TIMEOUTS))) if executor == "custom" else ()),
            env={"TEMPORAL_LOG_LEVEL": "debug"},
        )

    async def all_of_them():
        calls, keys = [], []
        for kind, (_, activity) in KINDS.items():
            for timeout in TIMEOUTS:
                period_ms, total_ms = timeout * 500, timeout * 5000
                calls.append(run_activity(client, queues[kind], activity, [period_ms, total_ms], timeout,
                                          f"{kind}-{timeout}s", start_to_close=timeout * 5 + 30))
                keys.append((kind, timeout))
        return dict(zip(keys, await asyncio.gather(*calls)))

    outcomes = run(all_of_them(), timeout=120)
    for (kind, timeout), outcome in outcomes.items():
        assert outcome == {"result": {"beats": 10}}, (kind, timeout, outcome, workers[kind].stderr()[-3000:])

    for kind in KINDS:
        intervals = send_intervals(workers[kind].stderr())
        for timeout in TIMEOUTS:
            got = intervals.get(f"{kind}-{timeout}s", [])
            # About 5 x timeout / (0.8 x timeout) = 6 sends after the first.
            assert len(got) >= 4, (kind, timeout, got)
            print(f"  {kind:7} heartbeat_timeout {timeout} s: {len(got) + 1} sends, intervals "
                  f"median {statistics.median(got):.3f} s, min {min(got):.3f}, max {max(got):.3f} "
                  f"(due {0.8 * timeout:.1f})")
            # What keeps the activity alive: no gap between sends reaches the timeout.
            assert max(got) < timeout, (kind, timeout, got)


def test_an_activity_that_goes_quiet_is_still_timed_out(client, dev_server, run, c_programs, workflow_workers):
    # One heartbeat, then 6 s of silence under a 1 s heartbeat timeout: the worker must not keep it
    # alive by re-sending, so the server times it out (in the thread and the process pool alike).
    workers = {}
    for executor in ("thread", "process"):
        queue = f"hb-quiet-{executor}-{uuid.uuid4().hex[:8]}"
        workflow_workers(queue)
        workers[executor] = (queue, c_programs.start("kinds_worker", "--target", dev_server, "--task-queue", queue,
                                                     "--executor", executor, env={"TEMPORAL_LOG_LEVEL": "debug"}))

    async def both():
        calls = [run_activity(client, queue, "heartbeat_once_activity", [6000], 1, f"quiet-{executor}", 60)
                 for executor, (queue, _) in workers.items()]
        results = await asyncio.gather(*calls)
        return [(executor, workers[executor][1], result) for executor, result in zip(workers, results)]

    for executor, worker, outcome in run(both(), timeout=60):
        err = outcome.get("error")
        assert err is not None, (executor, outcome)
        assert err["cause_class"] == "TimeoutError", (executor, err)
        assert err["timeout_type"] == "HEARTBEAT", (executor, err)
        # Exactly one send: the activity's own.
        sends = [m for m in SENT.finditer(worker.stderr()) if m.group(1) == f"quiet-{executor}"]
        assert len(sends) == 1, (executor, [m.group(0) for m in sends])
