"""A crash storm in the process pool: one activity in ten kills its child process on its first attempt
(SIGSEGV or abort()), hundreds of activities in a row.

Each crash must cost only that attempt: the pool abandons the job with an ExecutorError (retryable),
replaces the child, and the server's retry runs on a fresh one. Nothing is lost (every activity
completes), no activity but the crashing ones ever fails an attempt because of a crash (a child's
death never takes a neighbour's job with it), and the worker process itself never goes down (the
same process serves the whole storm and shuts down cleanly at the end).

At-least-once, as everywhere in Temporal: now and then the server hands an attempt to a poll that
never gets it (about 1 in 1,000 here, on the dev server's 5 s long polls, for the Python SDK's worker
too), and the attempt is retried once its start-to-close timeout passes. Such retries are counted and
printed; a retry for any other reason fails the test.

Throughput is printed against a crash-free run of the same size on the same worker, not asserted: a
crash costs a fork and the retry's backoff, which the ratio shows.
"""

import asyncio
import collections
import time

import pytest

from standalone import Standalone

N = 300
PROCESSES = 4
START_TO_CLOSE_S = 10  # what an attempt lost on its way to the worker costs


def crashes(n: int) -> bool:
    return n % 10 == 0  # 10 %


def how(n: int, storm: bool) -> str:
    """How activity n ends its first attempt: half the crashes SIGSEGV, half abort()."""
    if not (storm and crashes(n)):
        return "none"
    return "segv" if n % 20 else "abort"


async def batch(standalone: Standalone, storm: bool):
    """Starts N storm_activity at once and waits for them all: (seconds, outcomes by n, handles)."""
    started = time.monotonic()
    handles = await asyncio.gather(
        *(standalone.start("storm_activity", [n, how(n, storm)], attempts=3, start_to_close_s=START_TO_CLOSE_S)
          for n in range(N)))
    outcomes = await asyncio.gather(*(standalone.outcome_of(h) for h in handles))
    return time.monotonic() - started, outcomes, handles


async def last_failures(handles) -> list:
    """What the server kept of each activity's last failed attempt."""
    described = await asyncio.gather(*(h.describe(include_last_failure=True) for h in handles))
    return [str(await d.last_failure()) for d in described]


def is_lost_dispatch(failure: str) -> bool:
    """The attempt timed out without the worker ever reporting on it: it never reached the worker."""
    return "StartToClose timeout" in failure


def check_retries(run, worker, label, storm, outcomes, handles) -> int:
    """Every retried activity was retried for a reason this test allows: its own crash, or an attempt
    lost on its way to the worker. Returns how many were lost on their way."""
    retried = [n for n, (_, o) in enumerate(outcomes) if o["attempt"] > 1]
    failures = dict(zip(retried, run(last_failures([handles[n] for n in retried]))))
    lost = [n for n in retried if is_lost_dispatch(failures[n])]
    crashed = [n for n in retried if storm and crashes(n) and "was killed by signal" in failures[n]]
    wrong = sorted(set(retried) - set(lost) - set(crashed))
    # A crashing activity that completed on attempt 1 did not crash.
    wrong += [n for n, (_, o) in enumerate(outcomes) if storm and crashes(n) and o["attempt"] == 1]
    if wrong:
        log = worker.stderr().splitlines()
        report = []
        for n in wrong:
            report.append(f"  {label} n={n} ({how(n, storm)}): attempt {outcomes[n][1]['attempt']}; "
                          f"the attempt before: {failures.get(n)}")
            report += [f"    {line}" for line in log if handles[n].id in line]
        pytest.fail(f"{len(wrong)} activities retried for a wrong reason, or not at all:\n" + "\n".join(report),
                    pytrace=False)
    return len(lost)


def test_crash_storm_loses_nothing(client, dev_server, task_queue, c_programs, run):
    # Debug log: a failure's message then shows what the worker did with each activity in question.
    worker = c_programs.start("faults_worker", "--target", dev_server, "--task-queue", task_queue,
                              "--executor", "process", "--processes", str(PROCESSES),
                              env={"TEMPORAL_LOG_LEVEL": "debug"})
    standalone = Standalone(client, task_queue)

    calm_s, calm, calm_handles = run(batch(standalone, storm=False), timeout=180)
    assert worker.proc.poll() is None, worker.describe()
    storm_s, storm, storm_handles = run(batch(standalone, storm=True), timeout=180)

    # 0 lost: every activity completed, with its own result.
    failed = [(n, o) for n, o in enumerate(calm + storm) if o[0] != "result"]
    assert not failed, f"{len(failed)} activities failed, e.g. {failed[:3]}"
    assert [o[1]["n"] for o in calm] == list(range(N)) and [o[1]["n"] for o in storm] == list(range(N))
    lost = check_retries(run, worker, "crash-free", False, calm, calm_handles)
    lost += check_retries(run, worker, "storm", True, storm, storm_handles)
    # The worker never restarted: the process the test started is the one still serving, and it
    # still answers.
    assert worker.proc.poll() is None, worker.describe()
    assert run(standalone.outcome("ping_activity", [])) == ("result", "pong")

    crashing = sum(crashes(n) for n in range(N))
    # The crashes happened as designed, in children, each one noticed by the pool (fewer only when a
    # crashing activity's first attempt never reached the worker).
    deaths = [line for line in worker.stderr().splitlines() if "was killed by signal" in line]
    assert crashing - lost <= len(deaths) <= crashing, "\n".join(deaths)
    assert any("SIGSEGV" in d for d in deaths) and any("SIGABRT" in d for d in deaths), deaths
    children = collections.Counter(o[1]["pid"] for o in storm)
    print(f"crash storm: {N} activities, {crashing} crashing their child on attempt 1, {PROCESSES} processes\n"
          f"  crash-free: {calm_s:.2f} s ({N / calm_s:.0f}/s); storm: {storm_s:.2f} s ({N / storm_s:.0f}/s); "
          f"storm/crash-free time ratio {storm_s / calm_s:.2f}\n"
          f"  0 lost, 0 worker restarts (pid {worker.proc.pid}); {len(deaths)} children died and were replaced, "
          f"{len(children)} served the storm; {lost} attempts retried after never reaching the worker "
          f"(at-least-once)")
