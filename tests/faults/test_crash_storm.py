"""A crash storm in the process pool: one activity in ten kills its child process on its first attempt
(SIGSEGV or abort()), hundreds of activities in a row.

Each crash must cost only that attempt: the pool abandons the job with an ExecutorError (retryable),
replaces the child, and the server's retry runs on a fresh one. Nothing is lost (every activity
completes, the crashed ones on attempt 2 and no other one ever retried), and the worker process itself
never goes down (the same process serves the whole storm and shuts down cleanly at the end).

Throughput is printed against a crash-free run of the same size on the same worker, not asserted: a
crash costs a fork and the retry's backoff, which the ratio shows.
"""

import asyncio
import collections
import time

from standalone import Standalone

N = 300
PROCESSES = 4


def crashes(n: int) -> bool:
    return n % 10 == 0  # 10 %


def how(n: int, storm: bool) -> str:
    """How activity n ends its first attempt: half the crashes SIGSEGV, half abort()."""
    if not (storm and crashes(n)):
        return "none"
    return "segv" if n % 20 else "abort"


async def batch(standalone: Standalone, storm: bool):
    """Starts N storm_activity at once and waits for them all: (seconds, outcomes by n)."""
    started = time.monotonic()
    handles = await asyncio.gather(
        *(standalone.start("storm_activity", [n, how(n, storm)], attempts=3, start_to_close_s=30)
          for n in range(N)))
    outcomes = await asyncio.gather(*(standalone.outcome_of(h) for h in handles))
    return time.monotonic() - started, outcomes


def test_crash_storm_loses_nothing(client, dev_server, task_queue, c_programs, run):
    worker = c_programs.start("faults_worker", "--target", dev_server, "--task-queue", task_queue,
                              "--executor", "process", "--processes", str(PROCESSES))
    standalone = Standalone(client, task_queue)

    calm_s, calm = run(batch(standalone, storm=False), timeout=180)
    assert worker.proc.poll() is None, worker.describe()
    storm_s, storm = run(batch(standalone, storm=True), timeout=180)

    failed = [(n, o) for n, o in enumerate(calm + storm) if o[0] != "result"]
    assert not failed, f"{len(failed)} activities failed, e.g. {failed[:3]}"
    # Every activity completed with its own result; the crashed ones on their retry, the rest at once
    # (a child's crash never took a neighbour's job down with it).
    assert [o[1]["n"] for o in calm] == list(range(N)) and [o[1]["n"] for o in storm] == list(range(N))
    assert all(o[1]["attempt"] == 1 for o in calm), [o for o in calm if o[1]["attempt"] != 1][:3]
    attempts = {n: o[1]["attempt"] for n, o in enumerate(storm)}
    wrong = {n: a for n, a in attempts.items() if a != (2 if crashes(n) else 1)}
    assert not wrong, f"activities on an unexpected attempt (n: attempt): {wrong}"
    # The worker never restarted: the process the test started is the one still serving, and it
    # still answers.
    assert worker.proc.poll() is None, worker.describe()
    assert run(standalone.outcome("ping_activity", [])) == ("result", "pong")

    crashed = sum(crashes(n) for n in range(N))
    # The crashes happened as designed, in children, each one noticed by the pool.
    deaths = [line for line in worker.stderr().splitlines() if "was killed by signal" in line]
    assert len(deaths) == crashed, "\n".join(deaths)
    assert sum("SIGSEGV" in d for d in deaths) == sum("SIGABRT" in d for d in deaths) == crashed // 2, deaths
    children = collections.Counter(o[1]["pid"] for o in storm)
    print(f"crash storm: {N} activities, {crashed} crashing their child on attempt 1, {PROCESSES} processes\n"
          f"  crash-free: {calm_s:.2f} s ({N / calm_s:.0f}/s); storm: {storm_s:.2f} s ({N / storm_s:.0f}/s); "
          f"storm/crash-free time ratio {storm_s / calm_s:.2f}\n"
          f"  0 lost, 0 worker restarts (pid {worker.proc.pid}); {len(children)} child processes served the storm")
