"""The Python SDK's side of the benchmark (bench/bench.py): a worker with the same four activities as
the C and Go bench workers, under the same names.

  python bench_worker.py --target HOST:PORT --task-queue Q [--kind async|thread] [--slots N] [--pollers P]

--kind async: `async def` activities on the worker's event loop.
--kind thread: plain `def` activities on a ThreadPoolExecutor of --slots threads (the SDK's advice:
at least max_concurrent_activities).

Prints READY when the worker was built and starts running (the SDK has no "polling" callback; it
begins polling as run() starts), and runs until SIGINT or SIGTERM, then shuts down with no grace
period (the SDK's default: running activities are cancelled).
"""

import argparse
import asyncio
import concurrent.futures
import os
import signal
import sys

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import PollerBehaviorSimpleMaximum, Worker


# ---- async def ------------------------------------------------------------------------------------


@activity.defn(name="noop")
async def noop_async() -> None:
    return None


@activity.defn(name="echo")
async def echo_async(s: str) -> str:
    return s


@activity.defn(name="sleep")
async def sleep_async(ms: int) -> None:
    await asyncio.sleep(ms / 1000)


@activity.defn(name="heartbeat")
async def heartbeat_async(total_ms: int, period_ms: int, details: str) -> int:
    beats = 0
    for _ in range(0, total_ms, max(period_ms, 1)):
        activity.heartbeat(details)
        beats += 1
        await asyncio.sleep(period_ms / 1000)
    return beats


# ---- def, on a thread pool ------------------------------------------------------------------------


@activity.defn(name="noop")
def noop_sync() -> None:
    return None


@activity.defn(name="echo")
def echo_sync(s: str) -> str:
    return s


@activity.defn(name="sleep")
def sleep_sync(ms: int) -> None:
    # Returns early when cancelled, as the C worker's temporal_activity_wait_for_cancelled.
    activity.wait_for_cancelled_sync(ms / 1000)


@activity.defn(name="heartbeat")
def heartbeat_sync(total_ms: int, period_ms: int, details: str) -> int:
    beats = 0
    for _ in range(0, total_ms, max(period_ms, 1)):
        activity.heartbeat(details)
        beats += 1
        if activity.wait_for_cancelled_sync(period_ms / 1000) or activity.is_cancelled():
            break
    return beats


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="127.0.0.1:7233")
    ap.add_argument("--namespace", default="default")
    ap.add_argument("--task-queue", required=True)
    ap.add_argument("--kind", choices=["async", "thread"], default="async")
    ap.add_argument("--slots", type=int, default=100)
    ap.add_argument("--pollers", type=int, default=5)
    args = ap.parse_args()

    client = await Client.connect(args.target, namespace=args.namespace)
    executor = None
    if args.kind == "async":
        activities = [noop_async, echo_async, sleep_async, heartbeat_async]
    else:
        activities = [noop_sync, echo_sync, sleep_sync, heartbeat_sync]
        executor = concurrent.futures.ThreadPoolExecutor(max_workers=args.slots)
    worker = Worker(
        client,
        task_queue=args.task_queue,
        activities=activities,
        activity_executor=executor,
        max_concurrent_activities=args.slots,
        activity_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=args.pollers),
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with worker:
        print("READY", flush=True)
        await stop.wait()
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.stdout.flush()
    # The SDK's core threads may still run while the interpreter tears down (it sometimes dies of
    # SIGSEGV then); the worker has shut down, so leave at once.
    os._exit(0)
