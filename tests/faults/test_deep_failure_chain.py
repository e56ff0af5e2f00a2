"""A Failure chain thousands of causes deep, read by the C client.

The failure comes from a server, and a server only checks that a message is not nested past its own
protobuf limit (Go's is 10,000), so a client must survive whatever a buggy or hostile worker sent it.
The C worker fails a standalone activity with an application error 9,000 causes deep; client_probe
waits for that activity's outcome with temporal_activity_handle_result, as any C program waiting on
an activity would.

Before the fix, the worker sent the whole chain and the client died of a stack overflow reading it.
Now two bounds hold, and this test passes through the first: the worker cuts a chain it builds at 64
failures (src/converter/failure.c; the last one says how many were left out), so the chain reaches
the server 64 deep and the client reads it; and the client refuses any response nested more than 100
messages deep before unpacking it (src/core/proto_depth.c), which the unit tests proto_depth_* and the
fuzz target fuzz_failure_decode prove. A chain deeper than 100 sent by another SDK (Go's runtime
allows 10,000) is not sent here yet: neither this library nor the Python SDK can send one.

It must not crash: either the failure arrives (its top cause intact, the chain cut short somewhere is
fine) or the call fails with an error that says the failure was too deeply nested.

The Python SDK plays no part in this one: its protobuf runtimes refuse messages nested past 100 levels,
so it can neither send nor read such a chain.
"""

import json
import re

DEPTH = 9000  # under the Go server's nesting limit: the server stores and returns the chain whole
SHALLOW = 50


def start_deep_failure(c_programs, target, task_queue, depth):
    return c_programs.run(
        "client_probe", "--target", target, "start-activity", "--task-queue", task_queue,
        "--type", "deep_failure_activity", "--arg-json", str(depth),
        "--start-to-close-s", "20", "--max-attempts", "1", "--timeout-s", "60",
        timeout=90,
    )


def test_shallow_chain_is_read_whole(dev_server, task_queue, c_programs):
    # The control: the same path at an ordinary depth gives the top failure and its cause.
    c_programs.start("faults_worker", "--target", dev_server, "--task-queue", task_queue)
    done = start_deep_failure(c_programs, dev_server, task_queue, SHALLOW)
    assert done.returncode == 4, (done.returncode, done.stdout, done.stderr)
    failure = json.loads(done.stdout.splitlines()[-1])["failure"]
    assert (failure["type"], failure["message"]) == ("DeepError", "level 0"), failure
    assert (failure["cause_type"], failure["cause_message"]) == ("DeepError", "level 1"), failure


def test_deep_chain_does_not_crash_the_client(dev_server, task_queue, c_programs):
    worker = c_programs.start("faults_worker", "--target", dev_server, "--task-queue", task_queue)
    done = start_deep_failure(c_programs, dev_server, task_queue, DEPTH)
    print(f"a failure {DEPTH} causes deep: client_probe exit {done.returncode}\n"
          f"  stdout: {done.stdout.strip()[:500]}\n  stderr: {done.stderr.strip()[-500:]}")
    # Today (before the depth bound in the client's decoding) this dies of SIGSEGV: a stack overflow
    # in protobuf-c's recursive unpacking.
    assert done.returncode >= 0, f"client_probe was killed by signal {-done.returncode}:\n{done.stderr}"
    if done.returncode == 4:  # the failure arrived, perhaps cut short
        failure = json.loads(done.stdout.splitlines()[-1])["failure"]
        assert (failure["type"], failure["message"]) == ("DeepError", "level 0"), failure
    else:  # refused: the error must say why
        assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
        assert re.search(r"deep|depth|nest|truncat", done.stderr, re.I), done.stderr
    # The worker that sent it is unharmed and still serves.
    ping = c_programs.run(
        "client_probe", "--target", dev_server, "start-activity", "--task-queue", task_queue,
        "--type", "ping_activity", "--start-to-close-s", "20", "--timeout-s", "30",
    )
    assert (ping.returncode, ping.stdout.strip()) == (0, '"pong"'), (ping.returncode, ping.stdout, ping.stderr)
    assert worker.proc.poll() is None, worker.describe()
