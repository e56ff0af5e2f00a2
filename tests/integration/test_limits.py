"""Results and heartbeat details the server will never accept (issue 7, item 5).

An activity whose result (or heartbeat details) exceeds the server's payload limit, or the server's
gRPC message limit, must fail its attempt as non-retryable (type PayloadsTooLarge) with the size and
the limit in the message, even under a retry policy with unlimited attempts, and nothing else is
affected: the worker keeps serving, other activities complete.

The session's dev server says its payload limit (2 MiB) in DescribeNamespace. A second server with
that limit raised to 16 MiB lets a 5 MiB result reach gRPC's own 4 MiB receive limit instead.
"""

import asyncio
import uuid
from datetime import timedelta

from temporalio.client import Client

import workflows
from test_kinds import start_kinds_worker

MIB = 1024 * 1024
TEMPORAL_ETOOBIG = -14


def run_activity(client, task_queue, activity, *args, **request):
    return client.execute_workflow(
        workflows.RunActivity.run,
        {"activity": activity, "args": list(args), **request},
        id=f"limits-{activity}-{uuid.uuid4().hex[:8]}",
        task_queue=task_queue,
        execution_timeout=timedelta(seconds=60),
    )


def assert_too_large(outcome, *fragments):
    err = outcome.get("error")
    assert err is not None, outcome
    assert err["cause_class"] == "ApplicationError", err
    assert err["type"] == "PayloadsTooLarge", err
    assert err["non_retryable"] is True, err
    # Not retried although attempts are unlimited: the first attempt's failure is final.
    assert err["retry_state"] == "NON_RETRYABLE_FAILURE", err
    for fragment in fragments:
        assert fragment in err["message"], (fragment, err["message"])


def test_results_over_the_servers_payload_limit(client, dev_server, task_queue, run, c_programs, workflow_worker):
    worker = start_kinds_worker(c_programs, dev_server, task_queue, "thread")

    async def go():
        return await asyncio.gather(
            run_activity(client, task_queue, "big_result_activity", int(2.5 * MIB), max_attempts=0),
            run_activity(client, task_queue, "big_result_activity", 5 * MIB, max_attempts=0),
            run_activity(client, task_queue, "say_hello_activity", "beside them"),
        )

    medium, large, hello = run(go())
    # A JSON string of n bytes is n + 2 bytes of data, plus its metadata: the size is that of the
    # Payloads the server measures.
    assert_too_large(medium, "result is 26214", "at most 2097152 bytes", "blob_size_limit_error")
    assert_too_large(large, "result is 52429", "at most 2097152 bytes")
    assert hello == {"result": "Hello, beside them!"}
    # The worker still serves.
    assert run(run_activity(client, task_queue, "say_hello_activity", "after")) == {"result": "Hello, after!"}


def test_heartbeat_details_over_the_servers_payload_limit(client, dev_server, task_queue, run, c_programs,
                                                          workflow_worker):
    worker = start_kinds_worker(c_programs, dev_server, task_queue, "thread")
    activity_id = f"big-hb-{uuid.uuid4().hex[:8]}"
    outcome = run(run_activity(client, task_queue, "big_heartbeat_activity", int(2.5 * MIB), max_attempts=0,
                               activity_id=activity_id))
    # The heartbeat call said so at once, and the attempt (which then stopped) failed for good.
    assert int(worker.wait_for_prefix(f"BIG_HEARTBEAT {activity_id} ", 10).split()[2]) == TEMPORAL_ETOOBIG
    assert_too_large(outcome, "heartbeat details", "at most 2097152 bytes")
    assert run(run_activity(client, task_queue, "say_hello_activity", "after")) == {"result": "Hello, after!"}


def test_result_over_the_grpc_message_limit(other_dev_server, run, c_programs, workflow_workers):
    # (other_dev_server first: set up first, so stopped after the workers that use it.)
    # With the payload limit raised past gRPC's 4 MiB receive limit, a 5 MiB result gets as far as
    # the wire, where the server's gRPC refuses it (RESOURCE_EXHAUSTED): reported with both sizes.
    target = other_dev_server("--dynamic-config", f"limit.blobSize.error={16 * MIB}")
    other = run(Client.connect(target))
    task_queue = f"grpc-limit-{uuid.uuid4().hex[:8]}"
    workflow_workers(task_queue, on=other)
    start_kinds_worker(c_programs, target, task_queue, "thread")

    async def go():
        return await asyncio.gather(
            run_activity(other, task_queue, "big_result_activity", 5 * MIB, max_attempts=0),
            run_activity(other, task_queue, "big_result_activity", int(2.5 * MIB)),
        )

    large, medium = run(go())
    assert_too_large(large, "result is 52429", "too large for the server to receive", "4194304")
    # Under both limits there: accepted.
    assert medium == {"result": "x" * int(2.5 * MIB)}
