"""Issue 2: a C worker runs activities for a real server; Python SDK workflows call them.

Every test runs the C test_worker (tests/integration/workers/test_worker.c) on a task queue of its
own, next to a Python workflow worker, and asserts what the workflow really received.
"""

import asyncio
import re
import uuid

import pytest
from temporalio.client import WorkflowHandle

import workflows

REGISTERED = ["say_hello_activity", "my-activity", "fail_activity", "echo_activity", "add_activity"]


# ---- results ---------------------------------------------------------------------------------------


def test_say_hello_activity_result_reaches_workflow(env):
    assert env.result("say_hello_activity", "World") == "Hello, World!"


def test_same_function_under_custom_name(env):
    assert env.result("my-activity", "World") == "Hello, World!"


def test_python_docs_workflow_calls_c_activity(env):
    result = env.run(
        env.client.execute_workflow(
            workflows.SayHelloWorkflow.run,
            "Temporal",
            id=f"hello-{uuid.uuid4().hex}",
            task_queue=env.task_queue,
        )
    )
    assert result == "Hello, Temporal!"


def test_json_values_round_trip(env):
    value = {"list": [1, 2.5, "three", None, True, False], "nested": {"k": "v"}, "unicode": "héllo ✓"}
    assert env.result("echo_activity", value) == value
    assert env.result("echo_activity", "plain string") == "plain string"
    assert env.result("echo_activity", None) is None


def test_integer_arguments(env):
    assert env.result("add_activity", 2, 3) == 5
    assert env.result("add_activity", -(2**40), 1) == -(2**40) + 1


def test_many_concurrent_activities(env):
    async def many():
        return await asyncio.gather(
            *(env.run_activity_async("say_hello_activity", f"n{i}") for i in range(20))
        )

    outcomes = env.run(many())
    assert [o.get("result") for o in outcomes] == [f"Hello, n{i}!" for i in range(20)]


class TestSmallWorker:
    """Fewer slots, pollers and threads than activities: tasks wait for a slot, none is lost."""

    @pytest.fixture
    def worker_args(self):
        return ["--slots", "2", "--pollers", "1", "--threads", "2"]

    def test_more_activities_than_slots(self, env):
        async def many():
            return await asyncio.gather(
                *(env.run_activity_async("add_activity", i, 1) for i in range(10))
            )

        outcomes = env.run(many())
        assert [o.get("result") for o in outcomes] == [i + 1 for i in range(10)]


# ---- application errors ------------------------------------------------------------------------------


def attempts_of(env, workflow_id: str) -> int:
    """The attempt recorded in the workflow's ActivityTaskStarted event (its last attempt)."""

    async def fetch():
        handle: WorkflowHandle = env.client.get_workflow_handle(workflow_id)
        attempts = []
        async for event in handle.fetch_history_events():
            if event.HasField("activity_task_started_event_attributes"):
                attempts.append(event.activity_task_started_event_attributes.attempt)
        return attempts

    attempts = env.run(fetch())
    assert len(attempts) == 1, attempts
    return attempts[0]


def run_failing(env, *args, max_attempts):
    workflow_id = f"fail-{uuid.uuid4().hex}"
    outcome = env.run(
        env.client.execute_workflow(
            workflows.RunActivity.run,
            {"activity": "fail_activity", "args": list(args), "max_attempts": max_attempts},
            id=workflow_id,
            task_queue=env.task_queue,
        )
    )
    assert "error" in outcome, outcome
    return outcome["error"], attempts_of(env, workflow_id)


def test_application_error_reaches_workflow(env):
    error, attempts = run_failing(env, "the C code gave up", "MyCError", False, max_attempts=3)
    assert error["class"] == "ActivityError"
    assert error["cause_class"] == "ApplicationError"
    assert error["message"] == "the C code gave up"
    assert error["type"] == "MyCError"
    assert error["non_retryable"] is False
    # Retryable: every attempt the policy allows was made.
    assert error["retry_state"] == "MAXIMUM_ATTEMPTS_REACHED"
    assert attempts == 3


def test_non_retryable_application_error_is_not_retried(env):
    error, attempts = run_failing(env, "do not try again", "FatalCError", True, max_attempts=5)
    assert error["cause_class"] == "ApplicationError"
    assert error["message"] == "do not try again"
    assert error["type"] == "FatalCError"
    assert error["non_retryable"] is True
    assert error["retry_state"] == "NON_RETRYABLE_FAILURE"
    assert attempts == 1


# ---- bad input fails only its activity ---------------------------------------------------------------


def test_unknown_activity_type_is_not_found_and_worker_keeps_serving(env):
    error = env.error("no_such_activity", "World")
    assert error["cause_class"] == "ApplicationError"
    assert error["type"] == "NotFoundError"
    assert error["non_retryable"] is False
    message = error["message"]
    assert "no_such_activity" in message
    listed = r",\s*".join(re.escape(n) for n in sorted(REGISTERED))
    assert re.search(listed, message), f"registered names not listed sorted: {message!r}"
    # The same worker still serves.
    assert env.result("say_hello_activity", "World") == "Hello, World!"


def test_non_json_argument_fails_only_that_activity(env):
    error = env.error("echo_activity", raw_args=[{"encoding": "json/plain", "data": "{not json"}])
    assert error["cause_class"] == "ApplicationError"
    assert "Failed decoding arguments" in error["message"]
    assert env.result("echo_activity", {"still": "serving"}) == {"still": "serving"}
    assert env.result("say_hello_activity", "World") == "Hello, World!"


def test_wrong_argument_type_fails_with_clear_message(env):
    error = env.error("add_activity", "x", 1)
    assert error["cause_class"] == "ApplicationError"
    message = error["message"]
    assert "string" in message and re.search(r"int", message), message
    assert env.result("add_activity", 40, 2) == 42


def test_missing_argument_fails_with_clear_message(env):
    error = env.error("add_activity", 1)
    assert error["cause_class"] == "ApplicationError"
    assert re.search(r"\b1\b", error["message"]), error["message"]  # names the missing index
    assert env.result("say_hello_activity", "World") == "Hello, World!"


# ---- refused at creation / start -----------------------------------------------------------------


def test_duplicate_names_refused_at_worker_creation(c_programs, dev_server, task_queue):
    done = c_programs.run(
        "test_worker", "--target", dev_server, "--task-queue", task_queue, "--duplicate-names"
    )
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "READY" not in done.stdout
    assert "more than one activity named" in done.stderr
    assert "say_hello_activity" in done.stderr


def test_wrong_namespace_refused_at_start(c_programs, dev_server, task_queue):
    namespace = f"no-such-namespace-{uuid.uuid4().hex[:8]}"
    done = c_programs.run(
        "test_worker", "--target", dev_server, "--task-queue", task_queue, "--namespace", namespace
    )
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    assert "READY" not in done.stdout
    assert namespace in done.stderr
