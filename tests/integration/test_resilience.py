"""A server that restarts: the worker rides it out. An activity running while the dev server goes
down finishes, its completion is retried until the restarted server accepts it (no result lost), and
the worker polls again and serves new work. The server keeps its state in a SQLite file so the
restarted one knows the workflow."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from temporalio.client import Client
from temporalio.worker import Worker

import workflows


def test_worker_survives_a_server_restart(restartable_server, loop, c_programs, task_queue):
    server = restartable_server
    worker = c_programs.start("kinds_worker", "--target", server.target, "--task-queue", task_queue)

    async def scenario():
        client = await Client.connect(server.target)
        async with Worker(client, task_queue=task_queue, workflows=workflows.ALL):
            handle = await client.start_workflow(
                workflows.RunActivity.run,
                {"activity": "sleep_async", "args": [4000], "start_to_close_seconds": 60},
                id=f"restart-{uuid.uuid4().hex}",
                task_queue=task_queue,
                execution_timeout=timedelta(seconds=120),
            )
            await asyncio.sleep(1.0)  # the activity is running on the C worker
            await asyncio.get_running_loop().run_in_executor(None, server.stop)
            await asyncio.sleep(4.0)  # the activity finishes while the server is down
            await asyncio.get_running_loop().run_in_executor(None, server.start)
            first = await asyncio.wait_for(handle.result(), 90)
            # New work after the restart: the pollers reconnected.
            second = await client.execute_workflow(
                workflows.RunActivity.run,
                {"activity": "say_hello_async", "args": ["again"]},
                id=f"after-restart-{uuid.uuid4().hex}",
                task_queue=task_queue,
                execution_timeout=timedelta(seconds=60),
            )
            return first, second

    first, second = loop.run_until_complete(asyncio.wait_for(scenario(), 180))
    assert first == {"result": None}, first
    assert second == {"result": "Hello, again!"}, second
    assert worker.proc.poll() is None, worker.describe()
    # The scenario happened as designed: the completion met the server down and was retried.
    assert "RespondActivityTaskCompleted: UNAVAILABLE" in worker.stderr(), worker.describe()
