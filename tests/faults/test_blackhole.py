"""A network blackhole between the C worker and the server for 40 s, healed in place.

The worker reaches the server through a loopback proxy of the test's own (blackhole_proxy.py); the
test's client talks to the server directly, so only the worker's path goes dark. When the hole opens
the worker has activities running, polls waiting at the server and completions about to be sent;
while it lasts more activities are started. None may be lost: every activity completes with its own
result once the path heals (at-least-once: re-runs are counted and printed, not failed).

The worker must notice: gRPC keepalive (a ping every 20 s, 10 s to answer: src/transport/channel.c)
finds the dead connection within 30 s, and the worker logs it ("connection to ... lost") once it has
not come back for a second; when the path heals it logs the return ("... is back after N s"). The
hole lasts 40 s so the loss falls inside it whatever the keepalive timer's phase.

Printed: what the worker logged about its connection during the hole and when (detection), and the
recovery time from the heal to the first activity completing at the server, and to the last.
"""

import asyncio
import collections
import re
import time

import pytest

from blackhole_proxy import BlackholeProxy
from log_watch import LogWatch
from standalone import Standalone

HOLE_S = 40.0
# Keepalive interval + timeout + the one second the worker waits before calling a connection lost,
# and slack for a busy machine.
DETECT_BY_S = 20 + 10 + 1 + 3
RUNNING = 8  # activities running when the hole opens, each for LONG_MS
LONG_MS = 3000
DURING = 40  # activities started while the hole lasts
# The worker has room for more than the running ones, so its pollers stay at the server during the hole.
SLOTS = 16

# What a worker says about its connection; printed with the time it was seen.
CONNECTION_WORDS = re.compile(
    r"keepalive|connect|recover|transport|goaway|unavailable|deadline_exceeded|socket|retrying", re.I)


@pytest.fixture
def proxy(dev_server):
    p = BlackholeProxy(dev_server).start()
    yield p
    p.close()


def test_blackhole_loses_nothing(proxy, client, task_queue, c_programs, run, tmp_path):
    record = tmp_path / "runs.txt"
    worker = c_programs.start("faults_worker", "--target", proxy.target, "--task-queue", task_queue,
                              "--threads", str(SLOTS), "--slots", str(SLOTS), "--record", str(record))
    log = LogWatch(worker.stderr_path)
    standalone = Standalone(client, task_queue)
    times = {}

    async def result(handle):
        return await standalone.outcome_of(handle), time.monotonic()

    async def scenario():
        # The path works before the hole.
        assert await standalone.outcome("ping_activity", []) == ("result", "pong")
        # Each result is awaited from its start (the test's client is not behind the proxy), so the
        # time it arrives is when the server learned it.
        tasks = []
        for n in range(RUNNING):
            handle = await standalone.start("record_activity", [n, LONG_MS], attempts=10, start_to_close_s=90)
            tasks.append(asyncio.ensure_future(result(handle)))
        await asyncio.sleep(1.0)  # they are running on the worker (well inside LONG_MS)
        times["hole"] = await asyncio.to_thread(proxy.blackhole)
        for n in range(RUNNING, RUNNING + DURING):
            handle = await standalone.start("record_activity", [n, 100], attempts=10, start_to_close_s=90)
            tasks.append(asyncio.ensure_future(result(handle)))
            await asyncio.sleep(HOLE_S / DURING / 2)  # spread over the first half of the hole
        await asyncio.sleep(times["hole"] + HOLE_S - time.monotonic())
        times["heal"] = await asyncio.to_thread(proxy.heal)
        done, pending = await asyncio.wait(tasks, timeout=120)
        assert not pending, f"{len(pending)} activities did not complete within 120 s of the heal"
        # The worker serves new work afterwards too.
        assert await standalone.outcome("ping_activity", []) == ("result", "pong")
        return [t.result() for t in tasks]

    try:
        outcomes = run(scenario(), timeout=200)
    finally:
        lines = log.stop()

    wrong = [(n, o) for n, ((kind, o), _) in enumerate(outcomes) if kind != "result" or o["n"] != n]
    assert not wrong, f"{len(wrong)} activities lost or wrong, e.g. {wrong[:3]}"
    assert worker.proc.poll() is None, worker.describe()

    hole, heal = times["hole"], times["heal"]
    finished = sorted(at for _, at in outcomes)
    # The hole held: nothing the worker did reached the server until it healed.
    assert all(at > heal for at in finished), [at - hole for at in finished if at <= heal]
    runs = collections.Counter(line.split()[0] for line in record.read_text().splitlines())
    later_attempts = sum(1 for (_, o), _ in outcomes if o["attempt"] > 1)
    print(f"blackhole of {HOLE_S:.0f} s between worker and server ({proxy.connections} connection(s) through the "
          f"proxy): {RUNNING} activities running when it opened, {DURING} started inside it\n"
          f"  recovery: first completion {finished[0] - heal:.2f} s after the heal, last {finished[-1] - heal:.2f} s "
          f"after\n"
          f"  0 lost; {sum(runs.values()) - len(runs)} re-runs, {later_attempts} completed on a later attempt")
    said = [(at - hole, line) for at, line in lines if at >= hole and CONNECTION_WORDS.search(line)]
    print(f"  the worker's log from the hole on ({len(said)} lines about its connection; s after the hole opened):")
    for offset, line in said[:20]:
        print(f"    +{offset:6.2f} s  {line}")
    lost = [(offset, line) for offset, line in said if "connection to" in line and " lost " in line]
    back = [(at - heal, line) for at, line in lines if at >= heal and "connection to" in line and "is back" in line]
    assert lost, "the worker never logged the lost connection"
    print(f"  detection: logged {lost[0][0]:.2f} s after the hole opened; the return logged "
          f"{back[0][0] if back else float('nan'):.2f} s after the heal")
    assert lost[0][0] <= DETECT_BY_S, lost[0]
    assert back, "the worker never logged that its connection came back"
