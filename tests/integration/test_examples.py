"""examples/hello, as `make demo` runs it: hello_worker serves say_hello as each kind of activity
(sync on a thread pool, async on the event loop, sync on a process pool), hello_client calls every
one as a standalone activity through the server, and the worker's log shows where each ran.
examples/cpp: cpp_worker's activities, written in C++ with the same macros, serve a Python workflow."""

import re
import time

import pytest

from conftest import Env, find_program


def greeting_pids(stderr: str) -> dict:
    """activity type -> the pid its "greeting ... from pid N" log line (temporal_activity_log) names."""
    pids = {}
    for m in re.finditer(
        r"^temporal-c INFO greeting World from pid (\d+) \[activity_id=\S+ activity_type=(\S+) ",
        stderr,
        re.M,
    ):
        pids[m.group(2)] = int(m.group(1))
    return pids


def test_hello_example(c_programs, dev_server, task_queue):
    worker = c_programs.start("hello_worker", "--target", dev_server, "--task-queue", task_queue,
                              env={"TEMPORAL_LOG_LEVEL": "info"})
    done = c_programs.run("hello_client", "--target", dev_server, "--task-queue", task_queue)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr, worker.describe())
    assert done.stdout.splitlines() == [
        'say_hello_activity("World") -> "Hello, World!"  [sync, thread pool]',
        'say_hello_async("World") -> "Hello, World!"  [async, event loop]',
        'say_hello_process("World") -> "Hello, World!"  [sync, process pool]',
        'my-activity("World") -> "Hello, World!"  [sync, thread pool]',
    ]

    # Every kind really ran, and where the label says: the thread-pool and async ones in the worker
    # process, the process-pool one in a child of its own.
    deadline = time.monotonic() + 10
    while len(pids := greeting_pids(worker.stderr())) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert set(pids) == {"say_hello_activity", "say_hello_async", "say_hello_process", "my-activity"}, (
        worker.describe()
    )
    main_pid = worker.proc.pid
    assert pids["say_hello_activity"] == main_pid
    assert pids["my-activity"] == main_pid
    assert pids["say_hello_async"] == main_pid
    assert pids["say_hello_process"] != main_pid
    assert f"hello_worker (pid {main_pid})" in "".join(worker.stdout)


@pytest.mark.skipif(find_program("cpp_worker") is None, reason="built without C++ (TEMPORAL_CXX=OFF)")
def test_cpp_worker(c_programs, dev_server, task_queue, client, run, workflow_worker):
    worker = c_programs.start("cpp_worker", "--target", dev_server, "--task-queue", task_queue)
    env = Env(client=client, target=dev_server, task_queue=task_queue, run=run, c_worker=worker)
    assert env.result("greet", "C++") == "Hello, C++!"  # sync, on the thread pool
    assert env.result("greet_async", "C++") == "Hello, C++!"  # async, on the loop
    outcome = env.error("greet", 42)  # the same argument check as in C
    assert "expected string" in outcome["message"], outcome
