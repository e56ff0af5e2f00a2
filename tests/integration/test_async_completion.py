"""Async activity completion: a C activity returns temporal_result_async() (async_completion_worker
prints its task token and ids), and client_probe finishes it from another process through
temporal_async_activity_handle: by task token, by workflow id + run id + activity id, and by activity
id + run id for a standalone activity. The workflows are the Python SDK's (workflows.py)."""

from __future__ import annotations

import asyncio
import json
import queue
import subprocess
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest

import workflows
from conftest import find_program, program_env

pytestmark = pytest.mark.skipif(
    find_program("client_probe") is None or find_program("async_completion_worker") is None,
    reason="client_probe or async_completion_worker is not built",
)

NOT_FOUND_EXIT = 3
TOKEN_TIMEOUT = 30.0


@dataclass
class Token:
    """One TOKEN line of async_completion_worker."""

    token: str
    activity_id: str
    workflow_id: str
    workflow_run_id: str
    activity_run_id: str

    @classmethod
    def parse(cls, line: str) -> "Token":
        fields = [None if f == "-" else f for f in line.split()[1:]]
        return cls(*fields)


@pytest.fixture
def worker(c_programs, dev_server, task_queue):
    return c_programs.start(
        "async_completion_worker", "--target", dev_server, "--task-queue", task_queue
    )


def next_token(prog, timeout: float = TOKEN_TIMEOUT) -> Token:
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no TOKEN line within {timeout} s:\n{prog.describe()}")
        try:
            line = prog.lines.get(timeout=left)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError(f"the worker exited before printing a TOKEN line:\n{prog.describe()}")
        if line.startswith("TOKEN "):
            return Token.parse(line)


def wait_token(run, prog) -> Token:
    # In a thread, so the session loop (and the Python workflow worker on it) runs meanwhile.
    return run(asyncio.to_thread(next_token, prog))


def probe(c_programs, dev_server, *args):
    return c_programs.run("client_probe", "--target", dev_server, *args, timeout=60)


def by_token(tok: Token) -> list:
    return ["--token", tok.token]


def by_ids(tok: Token) -> list:
    return [
        "--workflow-id", tok.workflow_id, "--run-id", tok.workflow_run_id,
        "--activity-id", tok.activity_id,
    ]


def start_run_activity(run, client, task_queue, activity, **request):
    request = {"activity": activity, "args": [], "start_to_close_seconds": 60, **request}
    return run(
        client.start_workflow(
            workflows.RunActivity.run,
            request,
            id=f"async-{activity}-{uuid.uuid4().hex}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=80),
        )
    )


def assert_ok(done):
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("activity", ["complete_later_activity", "complete_later_async"])
def test_complete_by_token(client, run, task_queue, workflow_worker, worker, c_programs, dev_server, activity):
    handle = start_run_activity(run, client, task_queue, activity)
    tok = wait_token(run, worker)
    assert tok.workflow_id == handle.id and tok.activity_run_id is None
    done = probe(
        c_programs, dev_server, "async-complete", *by_token(tok),
        "--result-json", '{"done": true, "n": 7}',
    )
    assert_ok(done)
    assert run(handle.result()) == {"result": {"done": True, "n": 7}}


def test_complete_without_value(client, run, task_queue, workflow_worker, worker, c_programs, dev_server):
    handle = start_run_activity(run, client, task_queue, "complete_later_activity")
    tok = wait_token(run, worker)
    assert_ok(probe(c_programs, dev_server, "async-complete", *by_token(tok)))
    assert run(handle.result()) == {"result": None}


def test_fail_by_token(client, run, task_queue, workflow_worker, worker, c_programs, dev_server):
    handle = start_run_activity(run, client, task_queue, "complete_later_activity", max_attempts=1)
    tok = wait_token(run, worker)
    done = probe(
        c_programs, dev_server, "async-fail", *by_token(tok),
        "--message", "could not finish", "--type", "LaterError", "--details-json", '{"why": "test"}',
    )
    assert_ok(done)
    error = run(handle.result())["error"]
    assert error["cause_class"] == "ApplicationError", error
    assert error["type"] == "LaterError"
    assert error["message"] == "could not finish"
    assert error["details"] == [{"why": "test"}]


def test_fail_is_retried_then_completed(client, run, task_queue, workflow_worker, worker, c_programs,
                                        dev_server):
    # A retryable failure from the client is an ordinary failed attempt: the server runs the next
    # attempt on the worker, which prints a new token.
    handle = start_run_activity(run, client, task_queue, "complete_later_activity", max_attempts=2)
    first = wait_token(run, worker)
    assert_ok(probe(c_programs, dev_server, "async-fail", *by_token(first), "--message", "try again"))
    second = wait_token(run, worker)
    assert second.token != first.token
    assert_ok(probe(c_programs, dev_server, "async-complete", *by_token(second), "--result-json", '"second"'))
    assert run(handle.result()) == {"result": "second"}


def test_complete_by_workflow_ids(client, run, task_queue, workflow_worker, worker, c_programs, dev_server):
    handle = start_run_activity(run, client, task_queue, "complete_later_activity")
    tok = wait_token(run, worker)
    assert tok.workflow_id == handle.id and tok.workflow_run_id == handle.result_run_id
    done = probe(c_programs, dev_server, "async-heartbeat", *by_ids(tok), "--details-json", '"by id"')
    assert_ok(done)
    assert json.loads(done.stdout) == {"cancel_requested": False, "paused": False, "reset": False}
    assert_ok(probe(c_programs, dev_server, "async-complete", *by_ids(tok), "--result-json", '"by ids"'))
    assert run(handle.result()) == {"result": "by ids"}


def test_second_completion_is_not_found(client, run, task_queue, workflow_worker, worker, c_programs,
                                        dev_server):
    handle = start_run_activity(run, client, task_queue, "complete_later_activity")
    tok = wait_token(run, worker)
    assert_ok(probe(c_programs, dev_server, "async-complete", *by_token(tok), "--result-json", "1"))
    assert run(handle.result()) == {"result": 1}
    for args in (
        ["async-complete", *by_token(tok), "--result-json", "2"],
        ["async-fail", *by_token(tok), "--message", "too late"],
        ["async-heartbeat", *by_token(tok)],
        ["async-complete", *by_ids(tok), "--result-json", "2"],
    ):
        done = probe(c_programs, dev_server, *args)
        assert done.returncode == NOT_FOUND_EXIT, (args, done.returncode, done.stdout, done.stderr)
        assert "activity not found: already completed, timed out, or never existed" in done.stderr


def test_unknown_activity_is_not_found(c_programs, dev_server):
    done = probe(
        c_programs, dev_server, "async-complete", "--workflow-id", f"nope-{uuid.uuid4().hex}",
        "--activity-id", "1",
    )
    assert done.returncode == NOT_FOUND_EXIT, (done.returncode, done.stdout, done.stderr)
    assert "activity not found" in done.stderr


@pytest.mark.parametrize("address", ["token", "ids"])
def test_heartbeat_then_cancel(client, run, task_queue, workflow_worker, worker, c_programs, dev_server,
                               address):
    handle = run(
        client.start_workflow(
            workflows.CancelActivityOnSignal.run,
            {"activity": "complete_later_activity", "heartbeat_timeout_seconds": 30},
            id=f"async-cancel-{uuid.uuid4().hex}",
            task_queue=task_queue,
            execution_timeout=timedelta(seconds=80),
        )
    )
    tok = wait_token(run, worker)
    target = by_token(tok) if address == "token" else by_ids(tok)

    done = probe(c_programs, dev_server, "async-heartbeat", *target, "--details-json", '{"progress": 1}')
    assert_ok(done)
    assert json.loads(done.stdout)["cancel_requested"] is False

    # The heartbeat's details reached the server.
    desc = run(handle.describe())
    pending = desc.raw_description.pending_activities
    assert len(pending) == 1
    details = [json.loads(p.data) for p in pending[0].heartbeat_details.payloads]
    assert details == [{"progress": 1}]

    # Cancelling before cancellation was requested is refused, and the activity stays open.
    done = probe(c_programs, dev_server, "async-cancel", *target)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "refused the cancellation report" in done.stderr

    run(handle.signal(workflows.CancelActivityOnSignal.cancel_activity))
    wait_cancel_requested(run, c_programs, dev_server, target)

    assert_ok(probe(c_programs, dev_server, "async-cancel", *target, "--details-json", '"stopped"'))
    error = run(handle.result())["error"]
    assert error["cause_class"] == "CancelledError", error


def start_waiting_probe(loop, c_programs, dev_server, *args) -> asyncio.Task:
    """client_probe run to its end in a thread, as a task on the session loop: it waits for a
    standalone activity's outcome while the test drives the activity."""
    command = [str(c_programs.path("client_probe")), "--target", dev_server, *args]
    return loop.create_task(
        asyncio.to_thread(
            subprocess.run, command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=90, env=program_env(),
        )
    )


def wait_cancel_requested(run, c_programs, dev_server, target, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        done = probe(c_programs, dev_server, "async-heartbeat", *target)
        assert_ok(done)
        if json.loads(done.stdout)["cancel_requested"]:
            return
        assert time.monotonic() < deadline, "the heartbeat never reported cancel_requested"
        run(asyncio.sleep(0.2))


def test_standalone_activity(loop, run, task_queue, worker, c_programs, dev_server):
    activity_id = f"standalone-{uuid.uuid4().hex[:8]}"
    waiter = start_waiting_probe(
        loop, c_programs, dev_server, "start-activity", "--task-queue", task_queue,
        "--type", "complete_later_activity", "--id", activity_id, "--heartbeat-timeout-s", "30",
        "--timeout-s", "60",
    )
    tok = wait_token(run, worker)
    assert tok.activity_id == activity_id
    assert tok.workflow_id is None and tok.activity_run_id
    target = ["--activity-id", tok.activity_id, "--activity-run-id", tok.activity_run_id]

    done = probe(c_programs, dev_server, "async-heartbeat", *target, "--details-json", "3")
    assert_ok(done)
    assert json.loads(done.stdout)["cancel_requested"] is False
    # No cancellation was requested: the report is refused (the server words it differently for
    # standalone activities) and the activity stays open.
    done = probe(c_programs, dev_server, "async-cancel", *target)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    assert "refused the cancellation report" in done.stderr
    assert_ok(probe(c_programs, dev_server, "async-complete", *target, "--result-json", '"standalone done"'))

    waited = run(waiter)
    assert waited.returncode == 0, (waited.returncode, waited.stdout, waited.stderr)
    assert json.loads(waited.stdout.splitlines()[-1]) == "standalone done"

    done = probe(c_programs, dev_server, "async-complete", *target, "--result-json", '"again"')
    assert done.returncode == NOT_FOUND_EXIT, (done.returncode, done.stdout, done.stderr)
    assert "activity not found" in done.stderr


def test_standalone_cancel(loop, run, task_queue, worker, c_programs, dev_server):
    activity_id = f"standalone-cancel-{uuid.uuid4().hex[:8]}"
    # Starts, requests cancellation 1 s later, then waits for the outcome.
    waiter = start_waiting_probe(
        loop, c_programs, dev_server, "start-activity", "--task-queue", task_queue,
        "--type", "complete_later_activity", "--id", activity_id, "--heartbeat-timeout-s", "30",
        "--cancel-after-ms", "1000", "--timeout-s", "60",
    )
    tok = wait_token(run, worker)
    target = ["--activity-id", tok.activity_id, "--activity-run-id", tok.activity_run_id]
    wait_cancel_requested(run, c_programs, dev_server, target)
    assert_ok(probe(c_programs, dev_server, "async-cancel", *target))
    waited = run(waiter)
    # The activity ended as cancelled: a failure to whoever waits for its outcome.
    assert waited.returncode == 4, (waited.returncode, waited.stdout, waited.stderr)
    failure = json.loads(waited.stdout.splitlines()[-1])["failure"]
    assert "Cancel" in (failure.get("type") or ""), failure
