"""Issue 4 against the real dev server: what a running C activity knows about itself (info), why it
was stopped (cancellation details) and what the worker then reports (the final-result order), the
worker's own local timeouts, graceful shutdown (thread pool and process pool), the dynamic
activity's raw payloads, rich application errors, and context-tagged log lines.

The activities are tests/integration/workers/context_worker.c; the workflows are the Python SDK's
(context_workflows.ContextWorkflow, and workflows.RunActivity for raw payloads).

To keep the run short, one C worker and one Python workflow worker serve the whole module (each case
uses its own workflow and activity ids), and the slow interruption cases -- cancel, pause, reset,
NotFound and the three local timeouts -- run concurrently once (the `interruptions` fixture); each
test then asserts its own case. Graceful shutdown runs workers of its own: a thread-pool one per
test, and one process-pool scenario (`process_pool_scenario`: children that ignore cancellation, a
local timeout and shutdown, and are killed) shared by the process-pool tests.

A process-pool child killed after kill_grace is reported as its interruption calls for (WorkerShutdown
at shutdown, cancelled after a cancel request), not as the executor's loss of it.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional

import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import PauseActivityRequest, ResetActivityRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.worker import Worker

import context_workflows
import workflows
from conftest import CProgram, CPrograms, find_program, program_env

pytestmark = pytest.mark.skipif(
    find_program("context_worker") is None or find_program("client_probe") is None,
    reason="context_worker or client_probe is not built",
)

LINE_TIMEOUT = 45.0  # a DETAILS/STARTED line; generous for the sanitizer build on 2 cores
SHUTDOWN_MESSAGE = "Worker is shutting down and this activity did not complete in time"
NO_REASON = {
    "cancel_requested": False,
    "paused": False,
    "reset": False,
    "timed_out": False,
    "not_found": False,
    "worker_shutdown": False,
}


def reasons(details: dict) -> dict:
    """Only the six cancellation-details flags of a DETAILS line."""
    return {k: details[k] for k in NO_REASON}


def only(**flags: bool) -> dict:
    return {**NO_REASON, **flags}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# ---- stdout/stderr lines of the C programs -----------------------------------------------------------


async def wait_line(prog: CProgram, prefix: str, timeout: float = LINE_TIMEOUT) -> str:
    """The first stdout line starting with `prefix`. Polls the program's collected stdout (the pump
    thread appends to it), so many coroutines can wait on one program at once while the loop runs."""
    deadline = time.monotonic() + timeout
    while True:
        for line in list(prog.stdout):
            if line.startswith(prefix):
                return line.rstrip("\n")
        if prog.proc.poll() is not None:
            await asyncio.sleep(0.2)  # let the pump collect the last lines
            for line in list(prog.stdout):
                if line.startswith(prefix):
                    return line.rstrip("\n")
            raise AssertionError(f"exited before printing {prefix!r}:\n{prog.describe()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {prefix!r} line within {timeout} s:\n{prog.describe()}")
        await asyncio.sleep(0.05)


async def wait_details(prog: CProgram, activity_id: str) -> dict:
    line = await wait_line(prog, f"DETAILS {activity_id} ")
    return json.loads(line.split(" ", 2)[2])


async def wait_started(prog: CProgram, activity_id: str) -> int:
    """Waits for STARTED <id>; returns its CLOCK_MONOTONIC ms."""
    line = await wait_line(prog, f"STARTED {activity_id} ")
    return int(line.split()[3])


async def wait_stderr(prog: CProgram, text: str, timeout: float = 20.0) -> str:
    """The first stderr line containing `text`."""
    deadline = time.monotonic() + timeout
    while True:
        for line in prog.stderr().splitlines():
            if text in line:
                return line
        if time.monotonic() > deadline:
            raise AssertionError(f"no stderr line with {text!r} within {timeout} s:\n{prog.describe()}")
        await asyncio.sleep(0.1)


def stderr_lines_with(prog: CProgram, text: str) -> list:
    return [line for line in prog.stderr().splitlines() if text in line]


# ---- the module's environment ------------------------------------------------------------------------


@dataclass
class ContextEnv:
    client: Client
    target: str
    task_queue: str  # the workflows' queue, and the shared C worker's
    loop: asyncio.AbstractEventLoop
    worker: CProgram  # the shared context_worker (thread pool, debug logging)

    async def start(self, request: dict, workflow_id: Optional[str] = None) -> WorkflowHandle:
        return await self.client.start_workflow(
            context_workflows.ContextWorkflow.run,
            request,
            id=workflow_id or unique(f"ctx-{request['activity']}"),
            task_queue=self.task_queue,
            execution_timeout=timedelta(seconds=120),
        )

    async def probe(self, *args: str) -> subprocess.CompletedProcess:
        """client_probe, in a thread so that the loop (and the workflow worker) runs meanwhile."""
        command = [str(find_program("client_probe")), "--target", self.target, *args]
        return await asyncio.to_thread(
            subprocess.run, command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=90, env=program_env(),
        )

    def run(self, coro, timeout: float = 120.0) -> Any:
        return self.loop.run_until_complete(asyncio.wait_for(coro, timeout))


@pytest.fixture(scope="module")
def ctx(dev_server: str, client: Client, loop: asyncio.AbstractEventLoop, tmp_path_factory) -> ContextEnv:
    """One Python workflow worker (workflows.ALL + ContextWorkflow) and one C context_worker on the
    module's task queue. The C worker logs at debug level, so the tests can see when it decides not to
    report an activity. At the end it must exit 0 on SIGTERM with no sanitizer report."""
    task_queue = unique("context")

    async def make() -> Worker:  # the worker wants a running loop when it is made
        return Worker(
            client, task_queue=task_queue, workflows=[*workflows.ALL, *context_workflows.ALL]
        )

    wf_worker = loop.run_until_complete(make())
    wf_task = loop.create_task(wf_worker.run())
    programs = CPrograms(tmp_path_factory.mktemp("context"), loop)
    try:
        c_worker = programs.start(
            "context_worker", "--target", dev_server, "--task-queue", task_queue,
            env={"TEMPORAL_LOG_LEVEL": "debug"},
        )
        yield ContextEnv(client, dev_server, task_queue, loop, c_worker)
    finally:
        problems = programs.stop_all()
        loop.run_until_complete(asyncio.wait_for(wf_worker.shutdown(), 60))
        loop.run_until_complete(asyncio.wait_for(wf_task, 60))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


async def last_failure(handle: WorkflowHandle, activity_id: str, timeout: float = 30.0):
    """The pending activity's last_failure once the server has recorded one (and the pending info)."""
    deadline = time.monotonic() + timeout
    while True:
        desc = await handle.describe()
        for pending in desc.raw_description.pending_activities:
            if pending.activity_id == activity_id and pending.HasField("last_failure"):
                return pending.last_failure, pending
        if time.monotonic() > deadline:
            raise AssertionError(f"no last_failure recorded for {activity_id}: {desc.raw_description}")
        await asyncio.sleep(0.2)


# ---- 1. info --------------------------------------------------------------------------------------------


def test_info_of_a_workflow_activity(ctx):
    activity_id = unique("info")
    request = {
        "activity": "info_activity",
        "args": [True],  # attempt 1 heartbeats and fails: attempt 2 reports
        "activity_id": activity_id,
        "start_to_close_ms": 20000,
        "schedule_to_close_ms": 60000,
        "heartbeat_timeout_ms": 7000,
        "retry": {
            "initial_interval_ms": 300,
            "backoff": 2.5,
            "maximum_interval_ms": 9000,
            "maximum_attempts": 4,
            "non_retryable_error_types": ["FooError", "BarError"],
        },
        "priority": {"priority_key": 2, "fairness_key": "tenant-a", "fairness_weight": 1.5},
    }
    before_ms = time.time() * 1000

    async def go():
        handle = await ctx.start(request)
        return await handle.result()

    out = ctx.run(go())
    assert "result" in out, out
    info, wf = out["result"], out["workflow"]
    assert info["activity_id"] == activity_id
    assert info["activity_type"] == "info_activity"
    assert info["activity_run_id"] == ""
    assert info["namespace"] == wf["namespace"] == ctx.client.namespace
    assert info["task_queue"] == ctx.task_queue
    assert (info["workflow_id"], info["workflow_run_id"], info["workflow_type"]) == (
        wf["id"], wf["run_id"], "ContextWorkflow"
    )
    assert info["task_token_len"] > 0
    assert info["attempt"] == 2
    assert info["heartbeat_details_count"] == 1
    assert info["heartbeat_details"] == [{"from_attempt": 1}]
    assert info["start_to_close_timeout_ms"] == 20000
    assert info["schedule_to_close_timeout_ms"] == 60000
    assert info["heartbeat_timeout_ms"] == 7000
    assert info["retry_policy"] == {
        "initial_interval_ms": 300,
        "backoff_coefficient": 2.5,
        "maximum_interval_ms": 9000,
        "maximum_attempts": 4,
        "non_retryable_error_types": ["FooError", "BarError"],
    }
    assert info["priority"] == {"priority_key": 2, "fairness_key": "tenant-a", "fairness_weight": 1.5}
    assert info["is_local"] is False
    # Times: the first scheduling, this attempt's scheduling (after attempt 1 and its backoff), its
    # start, all in this run (the server and the test share the host's clock; 1 s of slack).
    sched, cur, started, now = (
        info["scheduled_time_ms"], info["current_attempt_scheduled_time_ms"], info["started_time_ms"], info["now_ms"]
    )
    assert before_ms - 1000 <= sched < cur <= started <= now + 1000, info
    assert now - sched < 60000, info


def test_info_of_a_standalone_activity(ctx):
    activity_id = unique("standalone-info")
    done = ctx.run(ctx.probe(
        "start-activity", "--task-queue", ctx.task_queue, "--type", "info_activity", "--id", activity_id,
        "--start-to-close-s", "15", "--schedule-to-close-s", "40", "--heartbeat-timeout-s", "6",
        "--max-attempts", "3", "--arg-json", "false", "--timeout-s", "60",
    ))
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    info = json.loads(done.stdout.splitlines()[-1])
    assert info["activity_id"] == activity_id
    assert info["activity_type"] == "info_activity"
    assert info["activity_run_id"] != ""
    # What the probe's stderr says it started is the run this activity saw.
    assert f"started {activity_id} run {info['activity_run_id']}" in done.stderr
    assert (info["workflow_id"], info["workflow_run_id"], info["workflow_type"]) == ("", "", "")
    assert info["namespace"] == ctx.client.namespace
    assert info["task_queue"] == ctx.task_queue
    assert info["attempt"] == 1
    assert info["heartbeat_details_count"] == 0
    assert info["start_to_close_timeout_ms"] == 15000
    assert info["schedule_to_close_timeout_ms"] == 40000
    assert info["heartbeat_timeout_ms"] == 6000
    assert info["retry_policy"]["maximum_attempts"] == 3
    assert info["task_token_len"] > 0
    assert info["scheduled_time_ms"] <= info["started_time_ms"] <= info["now_ms"] + 1000


# ---- 2 and 3. interruptions: cancel, pause, reset, NotFound, local timeouts -----------------------------


async def case_cancel(ctx: ContextEnv) -> dict:
    aid = unique("cancel")
    handle = await ctx.start({
        "activity": "details_activity", "args": ["every"], "activity_id": aid,
        "heartbeat_timeout_ms": 2000, "start_to_close_ms": 60000,
    })
    await wait_started(ctx.worker, aid)
    await asyncio.sleep(0.5)
    await handle.signal(context_workflows.ContextWorkflow.cancel_activity)
    details = await wait_details(ctx.worker, aid)
    return {"aid": aid, "details": details, "outcome": await handle.result()}


async def case_pause(ctx: ContextEnv) -> dict:
    aid = unique("pause")
    handle = await ctx.start({
        "activity": "details_activity", "args": ["every"], "activity_id": aid,
        "heartbeat_timeout_ms": 2000, "start_to_close_ms": 60000,
    })
    await wait_started(ctx.worker, aid)
    await ctx.client.workflow_service.pause_activity(PauseActivityRequest(
        namespace=ctx.client.namespace, execution=WorkflowExecution(workflow_id=handle.id),
        identity="test_context", id=aid, reason="paused by the test",
    ))
    details = await wait_details(ctx.worker, aid)
    failure, pending = await last_failure(handle, aid)
    await handle.terminate("pause case done")
    return {"aid": aid, "details": details, "failure": failure, "pending": pending}


async def case_reset(ctx: ContextEnv) -> dict:
    aid = unique("reset")
    handle = await ctx.start({
        "activity": "details_activity", "args": ["every"], "activity_id": aid,
        "heartbeat_timeout_ms": 2000, "start_to_close_ms": 60000,
    })
    await wait_started(ctx.worker, aid)
    await ctx.client.workflow_service.reset_activity(ResetActivityRequest(
        namespace=ctx.client.namespace, execution=WorkflowExecution(workflow_id=handle.id),
        identity="test_context", id=aid,
    ))
    details = await wait_details(ctx.worker, aid)
    # With one attempt allowed, the server records the worker's failure report as the activity's
    # final failure (ActivityTaskFailed), which the workflow then sees.
    return {"aid": aid, "details": details, "outcome": await handle.result()}


async def case_not_found(ctx: ContextEnv) -> dict:
    aid = unique("notfound")
    handle = await ctx.start({
        "activity": "details_activity", "args": ["every"], "activity_id": aid,
        "heartbeat_timeout_ms": 2000, "start_to_close_ms": 60000,
    })
    await wait_started(ctx.worker, aid)
    # Completed from outside, by workflow id + run id + activity id: the worker's next heartbeat
    # for it is answered NotFound.
    done = await ctx.probe(
        "async-complete", "--workflow-id", handle.id, "--run-id", handle.result_run_id, "--activity-id", aid,
        "--result-json", '"completed from outside"',
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    details = await wait_details(ctx.worker, aid)
    return {"aid": aid, "details": details, "outcome": await handle.result()}


async def case_timeout(ctx: ContextEnv, name: str, mode: str, **options: int) -> dict:
    aid = unique(name)
    handle = await ctx.start({"activity": "details_activity", "args": [mode], "activity_id": aid, **options})
    details = await wait_details(ctx.worker, aid)
    return {"aid": aid, "details": details, "outcome": await handle.result()}


@pytest.fixture(scope="module")
def interruptions(ctx) -> dict:
    """Runs every interruption case at once; each test asserts its own (a case that raised re-raises
    there)."""
    cases = {
        "cancel": case_cancel(ctx),
        "pause": case_pause(ctx),
        "reset": case_reset(ctx),
        "not_found": case_not_found(ctx),
        # Never heartbeats: only the start_to_close timer (2 s + 5 s) can stop it.
        "start_to_close": case_timeout(ctx, "stc", "silent", start_to_close_ms=2000),
        # One heartbeat at its start, then silence: heartbeat timer (1 s + 5 s after it).
        "heartbeat": case_timeout(
            ctx, "hbt", "once", heartbeat_timeout_ms=1000, start_to_close_ms=30000
        ),
        # Heartbeats every 100 ms all along, yet start_to_close 3 s + 5 s stops it: recording
        # heartbeats must not push the start_to_close deadline. (No heartbeat timeout: the server
        # caps it at start_to_close, so a throttled send would reach the server after it timed the
        # attempt out and end the activity by NotFound first. Without one, the throttle is 30 s and
        # only the first heartbeat is sent.)
        "heartbeating": case_timeout(ctx, "hbing", "every", start_to_close_ms=3000),
    }

    async def all_cases():
        results = await asyncio.gather(*cases.values(), return_exceptions=True)
        return dict(zip(cases, results))

    return ctx.run(all_cases(), timeout=150)


def case(interruptions: dict, name: str) -> dict:
    result = interruptions[name]
    if isinstance(result, BaseException):
        raise result
    return result


async def assert_not_reported(ctx: ContextEnv, aid: str) -> None:
    """The worker decided to report nothing for the activity (it logs that at debug level), and no
    report for it was attempted and refused."""
    await wait_stderr(ctx.worker, f"activity {aid}: not reported")
    assert not stderr_lines_with(ctx.worker, f"activity {aid}: report failed")
    assert not stderr_lines_with(ctx.worker, f"activity {aid}: the server no longer knows")


def test_cancel_requested_by_the_workflow(ctx, interruptions):
    c = case(interruptions, "cancel")
    assert reasons(c["details"]) == only(cancel_requested=True), c["details"]
    err = c["outcome"]["error"]
    assert err["chain"][0]["class"] == "CancelledError", err


def test_paused_is_reported_as_activity_pause(ctx, interruptions):
    c = case(interruptions, "pause")
    assert reasons(c["details"]) == only(paused=True), c["details"]
    failure = c["failure"]
    assert failure.application_failure_info.type == "ActivityPause", failure
    assert not failure.application_failure_info.non_retryable
    assert c["pending"].paused


def test_reset_is_reported_as_activity_reset(ctx, interruptions):
    c = case(interruptions, "reset")
    assert reasons(c["details"]) == only(reset=True), c["details"]
    top = c["outcome"]["error"]["chain"][0]
    assert (top["class"], top["type"], top["non_retryable"]) == ("ApplicationError", "ActivityReset", False), c


def test_heartbeat_not_found_interrupts_and_reports_nothing(ctx, interruptions):
    c = case(interruptions, "not_found")
    assert reasons(c["details"]) == only(not_found=True), c["details"]
    # The workflow got what was given from outside; the worker's cancelled outcome went nowhere.
    assert c["outcome"].get("result") == "completed from outside", c["outcome"]
    ctx.run(assert_not_reported(ctx, c["aid"]))


def assert_local_timeout(ctx, c: dict, server_timeout: str, low_ms: int, high_ms: int) -> None:
    assert reasons(c["details"]) == only(timed_out=True), c["details"]
    # The server timed the attempt out long before: the workflow saw that, not the worker's outcome.
    err = c["outcome"]["error"]
    assert err["chain"][0]["class"] == "TimeoutError", err
    assert err["chain"][0]["timeout_type"] == server_timeout, err
    elapsed = c["details"]["elapsed_ms"]
    assert low_ms <= elapsed < high_ms, c["details"]
    ctx.run(assert_not_reported(ctx, c["aid"]))


def test_local_start_to_close_timeout(ctx, interruptions):
    # start_to_close 2 s: the worker interrupts it itself at about 2 + 5 s.
    assert_local_timeout(ctx, case(interruptions, "start_to_close"), "START_TO_CLOSE", 6000, 20000)


def test_local_heartbeat_timeout(ctx, interruptions):
    # heartbeat_timeout 1 s, one heartbeat: interrupted about 1 + 5 s after it.
    assert_local_timeout(ctx, case(interruptions, "heartbeat"), "HEARTBEAT", 5000, 20000)


def test_local_start_to_close_runs_despite_heartbeats(ctx, interruptions):
    # Heartbeats keep coming; start_to_close 3 s + 5 s still fires.
    assert_local_timeout(ctx, case(interruptions, "heartbeating"), "START_TO_CLOSE", 7000, 20000)


# ---- 4. graceful shutdown ---------------------------------------------------------------------------------


async def wait_exit(prog: CProgram, timeout: float = 40.0) -> int:
    return await asyncio.to_thread(prog.proc.wait, timeout)


def start_context_worker(c_programs: CPrograms, ctx: ContextEnv, task_queue: str, *extra: str) -> CProgram:
    # Debug logging: the tests look for the worker's "not reported" decisions.
    return c_programs.start(
        "context_worker", "--target", ctx.target, "--task-queue", task_queue, *extra,
        env={"TEMPORAL_LOG_LEVEL": "debug"},
    )


def assert_worker_shutdown_failure(failure, pending) -> None:
    info = failure.application_failure_info
    assert info.type == "WorkerShutdown", failure
    assert failure.message == SHUTDOWN_MESSAGE, failure
    assert not info.non_retryable, failure
    assert pending.attempt == 2, pending


def test_graceful_shutdown_thread_pool(ctx, c_programs):
    queue = unique("graceful-thread")
    first = start_context_worker(c_programs, ctx, queue, "--graceful-shutdown-ms", "3000")
    fin_id, ign_id = unique("finisher"), unique("ignorer")

    async def go():
        common = {"task_queue": queue, "start_to_close_ms": 60000}
        fin = await ctx.start({"activity": "shutdown_finisher", "args": ["wait", 1000], "activity_id": fin_id, **common})
        ign = await ctx.start({
            "activity": "shutdown_ignorer", "args": ["cooperative"], "activity_id": ign_id,
            "retry": {"maximum_attempts": 2}, **common,
        })
        await wait_started(first, fin_id)
        await wait_started(first, ign_id)
        sigterm_ms = time.monotonic() * 1000
        first.proc.send_signal(signal.SIGTERM)
        saw_ms = int((await wait_line(first, f"SAW_SHUTDOWN {fin_id} ")).split()[2])
        details = await wait_details(first, ign_id)
        code = await wait_exit(first)
        fin_outcome = await fin.result()
        # Attempt 1 of the ignorer was reported as a retryable WorkerShutdown failure: with no worker
        # on the queue, attempt 2 waits, and the server shows why attempt 1 ended.
        failure, pending = await last_failure(ign, ign_id)
        second = start_context_worker(c_programs, ctx, queue)
        ign_outcome = await ign.result()
        return sigterm_ms, saw_ms, details, code, fin_outcome, failure, pending, second, ign_outcome

    sigterm_ms, saw_ms, details, code, fin_outcome, failure, pending, second, ign_outcome = ctx.run(go(), 150)
    assert code == 0, first.describe()
    # is_worker_shutdown is true right after SIGTERM, well inside the grace period.
    assert saw_ms - sigterm_ms < 2500, (sigterm_ms, saw_ms)
    # The finisher completed during the grace: its result was not lost.
    assert fin_outcome.get("result") == {
        "finished": "after shutdown began", "was_cancelled": False, "worker_pid": first.proc.pid
    }, fin_outcome
    # The ignorer was stopped only when the grace ended, with reason worker_shutdown.
    assert reasons(details) == only(worker_shutdown=True), details
    assert details["is_worker_shutdown"] is True
    assert 2900 <= details["mono_ms"] - sigterm_ms < 20000, (sigterm_ms, details)
    assert_worker_shutdown_failure(failure, pending)
    # Retried on the other worker.
    assert ign_outcome.get("result") == {"attempt": 2, "worker_pid": second.proc.pid}, ign_outcome


@pytest.fixture(scope="module")
def process_pool_scenario(ctx, tmp_path_factory) -> dict:
    """A process-pool worker (4 children, kill grace 1 s, graceful shutdown 3 s), driven once:
    1. at the same time: a child that heartbeats but ignores its workflow's cancellation, and a child
       that ignores its local start_to_close timeout; each is killed after the kill grace;
    2. then, with a finisher, a cooperative ignorer and a stubborn child running, SIGTERM.
    A second (thread-pool) worker then takes the retried attempts. The tests assert parts of it."""
    programs = CPrograms(tmp_path_factory.mktemp("process-pool"), ctx.loop)
    queue = unique("graceful-process")
    fin_id, coop_id, stub_id, cancel_id, timeout_id = (
        unique(n) for n in ("finisher", "cooperative", "stubborn", "cancelled", "timedout")
    )

    async def go() -> dict:
        first = start_context_worker(
            programs, ctx, queue, "--executor", "process", "--processes", "4",
            "--graceful-shutdown-ms", "3000", "--kill-grace-ms", "1000",
        )
        common = {"task_queue": queue, "start_to_close_ms": 60000}
        retry2 = {"retry": {"maximum_attempts": 2}}
        out = {"first": first, "timeout_id": timeout_id, "queue": queue}

        # 1a. Cancellation ignored by a child.
        async def ignore_cancel():
            cancelled = await ctx.start({
                "activity": "shutdown_ignorer", "args": ["stubborn_hb"], "activity_id": cancel_id,
                "heartbeat_timeout_ms": 2000, **common, **retry2,
            })
            await wait_started(first, cancel_id)
            cancel_ms = time.monotonic() * 1000
            await cancelled.signal(context_workflows.ContextWorkflow.cancel_activity)
            out["cancelled_outcome"] = await cancelled.result()
            out["cancel_elapsed_ms"] = time.monotonic() * 1000 - cancel_ms

        # 1b. A local timeout ignored by a child (start_to_close 2 s: interrupted at about 7 s).
        async def ignore_timeout():
            timed_out = await ctx.start({
                "activity": "shutdown_ignorer", "args": ["stubborn"], "activity_id": timeout_id,
                **common, "start_to_close_ms": 2000,
            })
            started_ms = await wait_started(first, timeout_id)
            out["timeout_outcome"] = await timed_out.result()
            await wait_stderr(first, f"activity {timeout_id}: not reported", timeout=40)
            out["timeout_ended_ms"] = time.monotonic() * 1000 - started_ms

        # 1c. A log line from inside a child carries the same context as in a thread.
        async def log_in_child():
            marker = uuid.uuid4().hex
            out["log_marker"] = marker
            handle = await ctx.start({
                "activity": "log_activity", "args": [marker], "activity_id": unique("childlog"), **common,
            })
            out["log_outcome"] = await handle.result()
            out["log_line"] = await wait_stderr(first, f"LOGMARK {marker}")

        await asyncio.gather(ignore_cancel(), ignore_timeout(), log_in_child())

        # 2. Shutdown.
        fin = await ctx.start({"activity": "shutdown_finisher", "args": ["poll", 1000], "activity_id": fin_id, **common})
        coop = await ctx.start({"activity": "shutdown_ignorer", "args": ["cooperative"], "activity_id": coop_id,
                                **common, **retry2})
        stub = await ctx.start({"activity": "shutdown_ignorer", "args": ["stubborn"], "activity_id": stub_id,
                                **common, **retry2})
        for aid in (fin_id, coop_id, stub_id):
            await wait_started(first, aid)
        out["sigterm_ms"] = time.monotonic() * 1000
        first.proc.send_signal(signal.SIGTERM)
        out["saw_ms"] = int((await wait_line(first, f"SAW_SHUTDOWN {fin_id} ")).split()[2])
        out["coop_details"] = await wait_details(first, coop_id)
        out["exit_code"] = await wait_exit(first)
        out["exit_ms"] = time.monotonic() * 1000
        out["fin_outcome"] = await fin.result()
        out["coop_failure"] = await last_failure(coop, coop_id)
        out["stub_failure"] = await last_failure(stub, stub_id)
        out["second"] = start_context_worker(programs, ctx, queue)
        out["retried"] = [await coop.result(), await stub.result()]
        return out

    try:
        yield ctx.run(go(), 150)
    finally:
        problems = programs.stop_all()
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def test_graceful_shutdown_process_pool(process_pool_scenario):
    s = process_pool_scenario
    first = s["first"]
    assert s["exit_code"] == 0, first.describe()
    # The child learned of the shutdown through the shared state, right after SIGTERM.
    assert s["saw_ms"] - s["sigterm_ms"] < 2500, s
    assert s["fin_outcome"].get("result") == {
        "finished": "after shutdown began", "was_cancelled": False, "worker_pid": first.proc.pid
    }, s["fin_outcome"]
    # A child that honours cancellation: stopped when the grace ends, reported WorkerShutdown.
    details = s["coop_details"]
    assert reasons(details) == only(worker_shutdown=True), details
    assert details["is_worker_shutdown"] is True
    assert 2900 <= details["mono_ms"] - s["sigterm_ms"] < 20000, s
    assert_worker_shutdown_failure(*s["coop_failure"])
    # A child that ignores cancellation: killed after the kill grace; its attempt is still reported
    # as a retryable failure (so the server retries it), and shutdown ends.
    failure, pending = s["stub_failure"]
    assert failure.HasField("application_failure_info"), failure
    assert not failure.application_failure_info.non_retryable, failure
    assert pending.attempt == 2, pending
    # grace 3 s + kill grace 1 s before the worker could exit.
    assert s["exit_ms"] - s["sigterm_ms"] >= 3900, s
    retried = [o.get("result") for o in s["retried"]]
    assert retried == [{"attempt": 2, "worker_pid": s["second"].proc.pid}] * 2, s["retried"]


def test_killed_child_at_shutdown_is_reported_as_worker_shutdown(process_pool_scenario):
    # It was cancelled with reason worker_shutdown like every activity left after the grace period;
    # being killed for ignoring that must not change the report (docs/PROTOCOL.md, "Final report of an attempt").
    assert_worker_shutdown_failure(*process_pool_scenario["stub_failure"])


def test_child_ignoring_cancellation_is_killed(process_pool_scenario):
    # The workflow asked for cancellation and waits for the activity to confirm it: without the kill
    # it would wait forever. It ends after the 1 s kill grace (and a heartbeat interval), and the
    # server does not retry an attempt whose cancellation was requested.
    s = process_pool_scenario
    err = s["cancelled_outcome"].get("error")
    assert err is not None, s["cancelled_outcome"]
    assert 1000 <= s["cancel_elapsed_ms"] < 20000, s


def test_child_ignoring_local_timeout_is_killed_and_not_reported(process_pool_scenario):
    s = process_pool_scenario
    err = s["timeout_outcome"]["error"]
    assert (err["chain"][0]["class"], err["chain"][0]["timeout_type"]) == ("TimeoutError", "START_TO_CLOSE"), err
    # Local timeout at about 2 + 5 s, the kill 1 s later, then the decision not to report.
    assert 7000 <= s["timeout_ended_ms"] < 30000, s
    first = s["first"]
    assert not stderr_lines_with(first, f"activity {s['timeout_id']}: report failed")
    assert not stderr_lines_with(first, f"activity {s['timeout_id']}: the server no longer knows")


def test_killed_child_after_cancel_request_is_reported_cancelled(process_pool_scenario):
    # Final-result order: cancel requested -> cancelled, so the workflow sees a CancelledError.
    err = process_pool_scenario["cancelled_outcome"]["error"]
    assert err["chain"][0]["class"] == "CancelledError", err


# ---- 5. dynamic activity ------------------------------------------------------------------------------------


def test_dynamic_activity_gets_type_and_raw_payloads(ctx):
    request = {
        "activity": "no_function_has_this_name",
        "args": [42, "two"],
        "raw_args": [
            {"encoding": "binary/plain", "data": "raw bytes"},
            {"encoding": "application/x-not-json", "data": "<<not json at all>>"},
        ],
    }

    async def go():
        return await ctx.client.execute_workflow(
            workflows.RunActivity.run, request, id=unique("dynamic"), task_queue=ctx.task_queue,
            execution_timeout=timedelta(seconds=60),
        )

    out = ctx.run(go())
    assert out == {
        "result": {
            "activity_type": "no_function_has_this_name",
            "count": 4,
            "payloads": [
                {"encoding": "json/plain", "data": "42"},
                {"encoding": "json/plain", "data": '"two"'},
                {"encoding": "binary/plain", "data": "raw bytes"},
                {"encoding": "application/x-not-json", "data": "<<not json at all>>"},
            ],
        }
    }, out


# ---- 6. application errors ---------------------------------------------------------------------------------


def test_application_error_fields_reach_the_workflow(ctx):
    async def one(delay_ms: int) -> dict:
        handle = await ctx.start({
            "activity": "app_error_activity", "args": [delay_ms], "activity_id": unique("apperr"),
            "retry": {"initial_interval_ms": 100, "maximum_attempts": 2},
        })
        return await handle.result()

    async def both():
        return await asyncio.gather(one(3000), one(0))

    delayed, control = ctx.run(both())
    err = delayed["error"]
    assert err["retry_state"] == "MAXIMUM_ATTEMPTS_REACHED", err
    top, first_cause, root = err["chain"]
    # next_retry_delay of attempt 1 (3 s) replaced the policy's 100 ms backoff.
    observed = top["details"][0]["observed_delay_ms"]
    assert 2900 <= observed < 20000, top
    assert delayed["elapsed_ms"] >= 2900, delayed
    assert control["error"]["chain"][0]["details"][0]["observed_delay_ms"] < 2500, control
    # Everything attempt 2's error carried.
    assert top["class"] == "ApplicationError"
    assert (top["type"], top["message"], top["non_retryable"]) == ("Final", "attempt 2 fails with everything", False)
    assert top["next_retry_delay_ms"] == 1500, top
    assert top["category"] == "BENIGN", top
    assert top["details"] == [
        {"observed_delay_ms": observed, "attempt": 2},
        "second detail",
        {"bytes_hex": "0001726177"},
    ], top
    assert (first_cause["class"], first_cause["type"], first_cause["message"], first_cause["non_retryable"]) == (
        "ApplicationError", "CauseOne", "the first cause", True
    ), first_cause
    assert (root["class"], root["type"], root["message"]) == ("ApplicationError", "CauseTwo", "the root cause"), root


# ---- 7. logging ----------------------------------------------------------------------------------------------


def assert_log_line_context(line: str, outcome: dict, activity_task_queue: str, namespace: str) -> None:
    assert outcome.get("result") == "logged", outcome
    wf = outcome["workflow"]
    for field in (
        "activity_id=",  # completed below with the id the workflow gave
        "activity_type=log_activity",
        "attempt=1",
        f"namespace={namespace}",
        f"task_queue={activity_task_queue}",
        f"workflow_id={wf['id']}",
        f"workflow_run_id={wf['run_id']}",
    ):
        assert field in line, (field, line)


def test_activity_log_lines_carry_the_context(ctx):
    marker, aid = uuid.uuid4().hex, unique("log")

    async def go():
        handle = await ctx.start({"activity": "log_activity", "args": [marker], "activity_id": aid})
        out = await handle.result()
        return out, await wait_stderr(ctx.worker, f"LOGMARK {marker}")

    out, line = ctx.run(go())
    assert f"activity_id={aid} " in line, line
    assert_log_line_context(line, out, ctx.task_queue, ctx.client.namespace)


def test_activity_log_lines_from_a_process_pool_child(ctx, process_pool_scenario):
    s = process_pool_scenario
    line = s["log_line"]
    assert "activity_id=childlog-" in line, line
    assert_log_line_context(line, s["log_outcome"], s["queue"], ctx.client.namespace)
