"""Calls that hang hold up no other activity (issue 10).

The worker's heartbeats and reports run on the transport's engine (src/transport/call_async.c), any
number at once. A gRPC proxy (grpc_proxy.py) between the C worker and the dev server holds every call
about the activities whose ids carry a marker: the first heartbeat of one activity, and the Completed
report of another. While both hang, the other activities must heartbeat on schedule (or the server
times them out, with a 2 s heartbeat timeout) and their reports must reach the server; only then does
the test let the held calls through, and the two held activities must complete too.
"""

import asyncio
import uuid
from datetime import timedelta

import pytest

import workflows
from grpc_proxy import HoldingProxy

FREE_HEARTBEATING = 6
FREE_QUICK = 6
PERIOD_MS, TOTAL_MS = 250, 3000  # each free heartbeating activity: a heartbeat every 250 ms for 3 s
HEARTBEAT_TIMEOUT = 2  # s: a heartbeat held behind another one would let the server time it out


def start(client, task_queue, activity, args, activity_id, heartbeat_timeout=None):
    request = {"activity": activity, "args": args, "activity_id": activity_id, "start_to_close_seconds": 90}
    if heartbeat_timeout:
        request["heartbeat_timeout_seconds"] = heartbeat_timeout
    return client.start_workflow(
        workflows.RunActivity.run,
        request,
        id=f"engine-{activity_id}-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=150),
    )


@pytest.fixture
def proxy(dev_server):
    p = HoldingProxy(dev_server, marker=b"held-")
    yield p
    p.stop()


def test_a_hanging_heartbeat_or_report_holds_up_no_other_activity(client, run, c_programs, workflow_workers,
                                                                  proxy):
    tag = uuid.uuid4().hex[:8]
    task_queue = f"engine-{tag}"
    workflow_workers(task_queue)
    worker = c_programs.start("kinds_worker", "--target", proxy.target, "--task-queue", task_queue,
                              "--executor", "thread", "--threads", "4")

    held_heartbeat, held_report = f"held-hb-{tag}", f"held-done-{tag}"
    free_hb = [f"free-hb-{i}-{tag}" for i in range(FREE_HEARTBEATING)]
    free_quick = [f"free-done-{i}-{tag}" for i in range(FREE_QUICK)]

    async def scenario():
        held = [
            await start(client, task_queue, "steady_heartbeat_async", [PERIOD_MS, TOTAL_MS], held_heartbeat,
                        heartbeat_timeout=60),
            await start(client, task_queue, "say_hello_activity", ["held"], held_report),
        ]
        free = [await start(client, task_queue, "steady_heartbeat_async", [PERIOD_MS, TOTAL_MS], aid,
                            heartbeat_timeout=HEARTBEAT_TIMEOUT) for aid in free_hb]
        free += [await start(client, task_queue, "say_hello_activity", [aid], aid) for aid in free_quick]
        # Every free activity ends while the two held calls still hang.
        free_outcomes = await asyncio.gather(*(h.result() for h in free))
        still_holding = not proxy.released()
        proxy.release()
        held_outcomes = await asyncio.gather(*(h.result() for h in held))
        return free_outcomes, still_holding, held_outcomes

    free_outcomes, still_holding, held_outcomes = run(scenario(), timeout=120)
    stderr = worker.stderr()
    assert still_holding, "the proxy let the held calls go on its own (max_hold) before the others ended"
    # What was held: the heartbeating activity's first heartbeat, and the quick one's Completed report.
    assert any(m.endswith("/RecordActivityTaskHeartbeat") for m in proxy.held), proxy.held
    assert any(m.endswith("/RespondActivityTaskCompleted") for m in proxy.held), proxy.held

    for aid, outcome in zip(free_hb, free_outcomes[:FREE_HEARTBEATING]):
        assert outcome == {"result": {"beats": TOTAL_MS // PERIOD_MS}}, (aid, outcome, stderr[-3000:])
        # Its heartbeats went through meanwhile: at least one per heartbeat timeout it ran.
        assert len(proxy.calls("/RecordActivityTaskHeartbeat", aid.encode())) >= TOTAL_MS // 1000 // HEARTBEAT_TIMEOUT + 1
    for aid, outcome in zip(free_quick, free_outcomes[FREE_HEARTBEATING:]):
        assert outcome == {"result": f"Hello, {aid}!"}, (aid, outcome, stderr[-3000:])
        assert proxy.calls("/RespondActivityTaskCompleted", aid.encode()), aid

    # Let through, the held calls complete their activities as usual.
    assert held_outcomes[0] == {"result": {"beats": TOTAL_MS // PERIOD_MS}}, (held_outcomes[0], stderr[-3000:])
    assert held_outcomes[1] == {"result": "Hello, held!"}, (held_outcomes[1], stderr[-3000:])
    assert worker.stop() == 0, worker.describe()
