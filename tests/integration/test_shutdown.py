"""Worker shutdown, timed (issue 7, items 4, 7 and 8), against both kinds of server:

  polls-end      the session's dev server: it ends a worker's long polls when the worker calls
                 ShutdownWorker (capability worker_poll_complete_on_shutdown);
  polls-outlive  a dev server without that setting, as many users run: polls would run to their
                 deadline, so the worker must cancel them itself.

What must hold on both: an idle worker stops in well under a second; the grace period counts from
the shutdown call; every kind (async, thread pool, process pool, custom executor) hears of the
shutdown at once (async activities through their on_worker_shutdown callback) and is interrupted,
with reason worker_shutdown, when the grace period ends; the interrupted attempt reaches the
workflow as the retryable WorkerShutdown failure; temporal_worker_wait returns by grace + kill_grace
even when a process-pool child ignores the interruption.

Times are CLOCK_MONOTONIC, which the worker prints and Python's time.monotonic() reads. The bounds
asserted are loose (the suite also runs under sanitizers and valgrind on a busy machine); the
figures are printed.
"""

import asyncio
import signal
import time
import uuid
from datetime import timedelta

import pytest
from temporalio.client import Client

import workflows

# kind -> (kinds_worker --executor, its shutdown-watching activity)
KINDS = {
    "async": ("thread", "shutdown_watch_async"),
    "thread": ("thread", "shutdown_watch_activity"),
    "process": ("process", "shutdown_watch_activity"),
    "custom": ("custom", "shutdown_watch_activity"),
}
GRACE_MS = 1000
KILL_GRACE_MS = 1000
SHUTDOWN_MESSAGE = "Worker is shutting down and this activity did not complete in time"


@pytest.fixture(params=["polls-end", "polls-outlive"])
def server(request, other_dev_server, dev_server, client, run):
    """(target, client) of a server of either kind."""
    if request.param == "polls-end":
        return dev_server, client
    target = other_dev_server("--polls-outlive-shutdown")
    return target, run(Client.connect(target))


def start_worker(c_programs, target, task_queue, executor, *extra):
    return c_programs.start("kinds_worker", "--target", target, "--task-queue", task_queue, "--executor",
                            executor, "--graceful-shutdown-ms", str(GRACE_MS), "--kill-grace-ms",
                            str(KILL_GRACE_MS), *extra)


def sigterm(worker) -> float:
    sent = time.monotonic()
    worker.proc.send_signal(signal.SIGTERM)
    return sent


def line_time(worker, prefix: str, since: float, timeout: float = 30) -> tuple:
    """(seconds after `since`, the line's fields) of the first line starting with `prefix`: the
    field after the prefix is a CLOCK_MONOTONIC time in ms."""
    fields = worker.wait_for_prefix(prefix, timeout).split()
    at_ms = int(fields[len(prefix.split())])
    return at_ms / 1000.0 - since, fields


def wait_watching(run, worker, activity_id: str) -> None:
    """Until the activity itself says it runs. The server's STARTED state is not enough: it is set
    when a poll is matched, before the worker has the task, and a shutdown that cancels the polls in
    between loses that task (the server times it out), which is not what these tests measure. The
    session loop runs meanwhile: the workflow workers live on it."""
    deadline = time.monotonic() + 30
    while not any(line.startswith(f"WATCHING {activity_id} ") for line in list(worker.stdout)):
        assert time.monotonic() < deadline, f"the activity did not start:\n{worker.describe()}"
        run(asyncio.sleep(0.05))


def test_an_idle_worker_stops_at_once(server, c_programs, task_queue):
    target, _ = server
    worker = start_worker(c_programs, target, task_queue, "thread")
    time.sleep(0.5)  # its polls are in flight
    sent = sigterm(worker)
    stopped, _ = line_time(worker, "STOPPED ", sent)
    assert worker.proc.wait(timeout=30) == 0
    print(f"  idle worker stopped {stopped:.3f} s after SIGTERM")
    assert stopped < 2.0, stopped


def test_every_kind_is_interrupted_when_the_grace_period_ends(server, c_programs, workflow_workers, run):
    target, on = server
    workers, queues, ids, calls = {}, {}, {}, []
    for kind, (executor, _) in KINDS.items():
        queues[kind] = f"shutdown-{kind}-{uuid.uuid4().hex[:8]}"
        workflow_workers(queues[kind], on=on)
        workers[kind] = start_worker(c_programs, target, queues[kind], executor)
        ids[kind] = f"watch-{kind}-{uuid.uuid4().hex[:8]}"

    async def start_all():
        return [
            await on.start_workflow(
                workflows.RunActivity.run,
                {"activity": activity, "args": [], "activity_id": ids[kind], "start_to_close_seconds": 60},
                id=f"shutdown-{ids[kind]}", task_queue=queues[kind], execution_timeout=timedelta(seconds=90))
            for kind, (_, activity) in KINDS.items()
        ]

    handles = run(start_all())
    for kind, worker in workers.items():  # every activity runs when the workers are told to stop
        wait_watching(run, worker, ids[kind])
    sent = {kind: sigterm(w) for kind, w in workers.items()}
    for kind, worker in workers.items():
        seen, _ = line_time(worker, f"SHUTDOWN_SEEN {ids[kind]} ", sent[kind])
        interrupted, fields = line_time(worker, f"INTERRUPTED {ids[kind]} ", sent[kind])
        stopped, _ = line_time(worker, "STOPPED ", sent[kind])
        print(f"  {kind:7} told of shutdown {seen:.3f} s, interrupted {interrupted:.3f} s, "
              f"worker_wait returned {stopped:.3f} s after SIGTERM (grace {GRACE_MS / 1000:.1f} s)")
        assert "shutdown=1" in fields and "timed_out=0" in fields, fields
        assert seen < 0.5 * GRACE_MS / 1000, (kind, seen)
        assert GRACE_MS / 1000 - 0.05 <= interrupted < GRACE_MS / 1000 + 1.0, (kind, interrupted)
        assert stopped < (GRACE_MS + KILL_GRACE_MS) / 1000 + 1.0, (kind, stopped)
        assert worker.proc.wait(timeout=30) == 0

    async def outcomes():
        return await asyncio.gather(*(h.result() for h in handles))

    for kind, outcome in zip(KINDS, run(outcomes())):
        err = outcome.get("error")
        assert err and err["type"] == "WorkerShutdown" and err["message"] == SHUTDOWN_MESSAGE, (kind, outcome)
        assert err["non_retryable"] is False, (kind, err)


def test_a_process_child_that_ignores_the_interruption_is_killed_in_time(server, c_programs, workflow_workers, run):
    # The child sees the interruption at the end of the grace period, ignores it, and is killed
    # kill_grace later: temporal_worker_wait returns by grace + kill_grace.
    target, on = server
    queue = f"shutdown-stubborn-{uuid.uuid4().hex[:8]}"
    workflow_workers(queue, on=on)
    worker = start_worker(c_programs, target, queue, "process")
    activity_id = f"stubborn-{uuid.uuid4().hex[:8]}"

    async def start():
        return await on.start_workflow(
            workflows.RunActivity.run,
            {"activity": "shutdown_watch_activity", "args": [60000], "activity_id": activity_id,
             "start_to_close_seconds": 120},
            id=f"shutdown-{activity_id}", task_queue=queue, execution_timeout=timedelta(seconds=150))

    handle = run(start())
    wait_watching(run, worker, activity_id)
    sent = sigterm(worker)
    interrupted, _ = line_time(worker, f"INTERRUPTED {activity_id} ", sent)
    stopped, _ = line_time(worker, "STOPPED ", sent)
    print(f"  process child ignoring it: interrupted {interrupted:.3f} s, worker_wait returned {stopped:.3f} s "
          f"after SIGTERM (grace {GRACE_MS / 1000:.1f} s + kill_grace {KILL_GRACE_MS / 1000:.1f} s)")
    assert interrupted < GRACE_MS / 1000 + 1.0, interrupted
    assert (GRACE_MS + KILL_GRACE_MS) / 1000 - 0.05 <= stopped < (GRACE_MS + KILL_GRACE_MS) / 1000 + 1.5, stopped
    assert worker.proc.wait(timeout=30) == 0
    outcome = run(handle.result())
    assert outcome["error"]["type"] == "WorkerShutdown", outcome
