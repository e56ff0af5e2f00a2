"""Does an activity cost more while thousands of others are in flight? (issue 10: "CPU per no-op with 4000
activities in flight within 10 % of the figure with none").

For each count K given, on a dev server of its own: the C bench worker (async kind, slots K + 100) is
given K standalone sleep activities (15 min each) and waits until they have all started; then N noops
are enqueued, and the worker's CPU time (its kernel CPU clock) from just before the enqueue until the
last noop closed, divided by N, is the figure. K = 0 is the same without the sleepers. The worker runs
on core 1, the dev server on core 0, as in bench/bench.py.

Usage: python bench/bench_in_flight.py [--build-dir build] [--in-flight 0,4000] [--noops 1000] [--rounds 2]
Prints one line per run and the medians; nothing is asserted.
"""

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

from temporalio.client import Client

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

SLEEP_MS = 900_000


async def one_run(build: Path, in_flight: int, noops: int) -> float:
    server = harness.DevServer()
    worker = None
    try:
        client = await Client.connect(server.target)
        acts = harness.Activities(client)
        tq = harness.new_task_queue(f"in-flight-{in_flight}")
        argv = [str(build / "bench" / "bench_worker"), "--kind", "async", "--target", server.target,
                "--task-queue", tq, "--slots", str(in_flight + 100), "--pollers", "5"]
        worker = subprocess.Popen(harness.pinned(harness.WORKER_CORE, argv), stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        if in_flight:
            ids = await acts.enqueue(tq, "sleep", [SLEEP_MS], in_flight, start_to_close_s=SLEEP_MS / 1000 + 300)
            deadline = time.time() + 600
            while await acts.started(ids[-20:]) < 20:
                if time.time() > deadline:
                    raise RuntimeError("the sleepers did not all start")
                await asyncio.sleep(1)
            await asyncio.sleep(2)
        cpu0 = harness.cpu_clock_ns(worker.pid)
        t0 = time.time()
        await acts.enqueue(tq, "noop", [], noops)
        query = f"TaskQueue = '{tq}' AND ActivityType = 'noop' AND ExecutionStatus != 'Running'"
        if not await acts.wait_count(query, noops, 600):
            raise RuntimeError("the noops did not all close")
        cpu1 = harness.cpu_clock_ns(worker.pid)
        per = (cpu1 - cpu0) / 1e3 / noops
        rss = harness.memory_kib([worker.pid])[0] / 1024
        print(f"  {in_flight:5d} in flight: {noops} noops in {time.time() - t0:.1f} s, "
              f"{per:.0f} us of worker CPU per noop, RSS {rss:.1f} MiB", flush=True)
        return per
    finally:
        if worker:
            worker.kill()
            worker.wait()
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build-dir", default="build")
    ap.add_argument("--in-flight", default="0,4000")
    ap.add_argument("--noops", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    build = Path(args.build_dir).resolve()
    counts = [int(k) for k in args.in_flight.split(",")]
    figures = {k: [] for k in counts}
    for _ in range(args.rounds):
        for k in counts:  # interleaved
            figures[k].append(asyncio.run(one_run(build, k, args.noops)))
    base = statistics.median(figures[counts[0]])
    for k in counts:
        med = statistics.median(figures[k])
        print(f"{k:5d} in flight: median {med:.0f} us per noop ({med / base:.2f} x the {counts[0]} in flight figure)")


if __name__ == "__main__":
    main()
