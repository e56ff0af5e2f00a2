"""The C client against the real dev server: namespace check, a standalone activity and a workflow,
each served by the C worker (and, for the workflow, the Python workflow worker).

client_probe is tests/integration/workers/client_probe.c; these tests are skipped only when it is not
built."""

import json
import uuid

import pytest

from conftest import find_program
from grpc_proxy import HoldingProxy

pytestmark = pytest.mark.skipif(
    find_program("client_probe") is None, reason="client_probe is not built"
)


def test_check_namespace(c_programs, dev_server):
    done = c_programs.run("client_probe", "--target", dev_server, "check-namespace")
    assert done.returncode == 0, (done.stdout, done.stderr)


def test_check_wrong_namespace(c_programs, dev_server):
    namespace = f"no-such-namespace-{uuid.uuid4().hex[:8]}"
    done = c_programs.run(
        "client_probe", "--target", dev_server, "--namespace", namespace, "check-namespace"
    )
    assert done.returncode == 3, (done.returncode, done.stdout, done.stderr)
    assert namespace in done.stderr


@pytest.mark.parametrize("activity_type", ["say_hello_activity", "my-activity"])
def test_standalone_activity_on_c_worker(env, c_programs, activity_type):
    done = c_programs.run(
        "client_probe", "--target", env.target, "start-activity",
        "--task-queue", env.task_queue, "--type", activity_type, "--arg-json", '"World"',
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == "Hello, World!"


def test_workflow_started_by_c_client(env, c_programs):
    done = c_programs.run(
        "client_probe", "--target", env.target, "start-workflow",
        "--task-queue", env.task_queue, "--type", "SayHelloWorkflow", "--arg-json", '"World"',
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == "Hello, World!"


def test_standalone_activity_application_error(env, c_programs):
    done = c_programs.run(
        "client_probe", "--target", env.target, "start-activity",
        "--task-queue", env.task_queue, "--type", "fail_activity",
        "--arg-json", '"no luck"', "--arg-json", '"ProbeError"', "--arg-json", "true",
        "--max-attempts", "3",
    )
    assert done.returncode == 4, (done.returncode, done.stdout, done.stderr)
    failure = json.loads(done.stdout.strip().splitlines()[-1])["failure"]
    # The activity's own error, whether the client reports it at the top or as the cause.
    assert "ProbeError" in (failure.get("type"), failure.get("cause_type")), failure
    assert "no luck" in (failure.get("message"), failure.get("cause_message")), failure


def test_every_call_carries_the_namespace_and_the_api_key(dev_server, c_programs):
    """The client's and the worker's calls, blocking (polls, the client's) and asynchronous (the
    worker's report), all reach the server with the namespace, the API key and the client's name and
    version as metadata: a gRPC proxy between them and the dev server records what each call sent.
    Two activities in a row, so later calls on the same connection carry them too."""
    proxy = HoldingProxy(dev_server, marker=b"\x00never held\x00")
    try:
        key = f"key-{uuid.uuid4().hex}"
        task_queue = f"metadata-{uuid.uuid4().hex[:8]}"
        c_programs.start("test_worker", "--target", proxy.target, "--api-key", key, "--plaintext-api-key",
                         "--task-queue", task_queue)
        for name in ("first", "second"):
            done = c_programs.run(
                "client_probe", "--target", proxy.target, "--api-key", key, "--plaintext-api-key", "start-activity",
                "--task-queue", task_queue, "--type", "say_hello_activity", "--arg-json", json.dumps(name),
            )
            assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
            assert json.loads(done.stdout.strip().splitlines()[-1]) == f"Hello, {name}!"
        seen = proxy.sent_metadata()
    finally:
        proxy.stop()
    methods = {method.rsplit("/", 1)[-1] for method, _ in seen}
    for expected in ("StartActivityExecution", "PollActivityTaskQueue", "RespondActivityTaskCompleted"):
        assert expected in methods, methods
    for method, metadata in seen:
        assert metadata.get("authorization") == f"Bearer {key}", (method, metadata)
        assert metadata.get("temporal-namespace") == "default", (method, metadata)
        assert metadata.get("client-name") == "temporal-c", (method, metadata)
        assert metadata.get("client-version"), (method, metadata)
